"""The one statistics module: each summary agrees with scipy's own or with a hand computation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from sim.stats import mean_interval, proportion, quantiles, spread, wilson


def test_wilson_matches_scipy():
    for k, n in [(0, 10), (3, 10), (50, 80), (80, 80)]:
        ci = stats.binomtest(k, n).proportion_ci(0.9, method="wilson")
        low, high = wilson(k, n, 0.9)
        assert float(low) == pytest.approx(ci.low, abs=1e-12) and float(high) == pytest.approx(ci.high, abs=1e-12)


def test_wilson_is_vectorised_and_nan_without_trials():
    low, high = wilson(np.array([0, 5]), np.array([0, 10]))
    assert math.isnan(low[0]) and math.isnan(high[0])
    assert low[1] < 0.5 < high[1]


def test_proportion_is_the_share_with_its_wilson_interval():
    hits = np.array([1, 1, 0, 1, 0, 0, 1, 1], float)
    ci = stats.binomtest(5, 8).proportion_ci(0.95, method="wilson")
    out = proportion(hits)
    assert out["mean"] == 5 / 8
    assert out["ci95"] == pytest.approx([ci.low, ci.high], abs=1e-12)


def test_mean_interval_is_the_t_interval():
    values = np.array([3.0, 1.0, 4.0, 1.0, 5.0])
    half = stats.t.ppf(0.975, 4) * values.std(ddof=1) / np.sqrt(5)
    out = mean_interval(values)
    assert out["mean"] == pytest.approx(2.8)
    assert out["ci95"] == pytest.approx([2.8 - half, 2.8 + half])
    assert mean_interval([7.0]) == {"mean": 7.0, "ci95": [7.0, 7.0]}


def test_spread_and_quantiles_use_linear_interpolation_and_say_when_empty():
    values = np.arange(11.0)
    assert spread(values) == {"mean": 5.0, "p10": 1.0, "p50": 5.0, "p90": 9.0}
    assert all(math.isnan(v) for v in spread([]).values())
    assert quantiles([], missing=None) == {"p10": None, "p50": None, "p90": None}
    fan = quantiles(np.array([[0.0, 10.0], [10.0, 20.0]]), axis=0)
    assert fan["p50"].tolist() == [5.0, 15.0]
