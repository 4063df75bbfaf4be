"""Arrivals: Poisson counts with the stated rate and seasonality; each channel its own stream."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra.numpy import arrays
from scipy import stats

import sim
from sim.calendar import month_of_day, month_starts
from sim.model.arrivals import arrival_order, daily_rates, draw_arrivals, poisson_arrivals, running_sum


@given(arrays(np.float64, st.integers(0, 300), elements=st.floats(-1e12, 1e12)))
def test_running_sum_is_numpys_cumsum_to_the_bit(values):
    # Arrival times of a seed must not change with the implementation of the sum.
    assert np.array_equal(running_sum(values), np.cumsum(values))


def test_counts_are_poisson_with_the_daily_rate(seed):
    """False failures, for any seed: the means within 5 standard errors (below 1e-6 each); the variances within
    20% of the mean, where the sample variance of 2,000 Poisson counts (mean 100 or 500) spreads as
    chi-squared over 1,999 degrees of freedom (about 3.2% relative sd: 6.3 sd, below 1e-8 each); the times
    uniform at the 1e-4 level of a Kolmogorov-Smirnov test."""
    rng = np.random.default_rng(seed)
    rates = np.r_[np.full(50, 2.0), np.full(50, 10.0)]
    counts = np.array([np.histogram(poisson_arrivals(rates, rng), bins=[0, 50, 100])[0] for _ in range(2000)])
    for column, expected in zip(counts.T, (100.0, 500.0)):
        assert abs(column.mean() - expected) < 5 * np.sqrt(expected / len(column))
        assert column.var(ddof=1) == pytest.approx(expected, rel=0.2)  # Poisson: variance = mean
    # Within a day of constant rate, arrival times are uniform.
    times = poisson_arrivals(np.full(1, 5000.0), rng)
    assert stats.kstest(times, "uniform").pvalue > 1e-4
    assert np.all(np.diff(times) >= 0)


def test_seasonality_follows_calendar_months():
    scenario = sim.load("playbooks/b2b_saas.yaml")
    rates = daily_rates(scenario.channels[0], scenario)
    assert rates[0] == pytest.approx(30 * 0.9)  # January
    assert rates[31] == pytest.approx(30 * 1.0)  # February
    assert rates[-1] == pytest.approx(30 * 1.0)  # December


def test_calendar_follows_start_date():
    assert month_starts(dt.date(2027, 3, 15), 40).tolist() == [0, 17]
    assert month_of_day(dt.date(2027, 12, 31), 3).tolist() == [11, 0, 0]


def test_channels_draw_from_their_own_streams():
    scenario = sim.load("playbooks/b2b_saas.yaml")
    more = scenario.model_copy(
        update={"channels": (scenario.channels[0].model_copy(update={"leads_per_day": 60.0}), *scenario.channels[1:])}
    )
    a, b = draw_arrivals(scenario, 1, 0), draw_arrivals(more, 1, 0)
    for c in (1, 2):  # doubling inbound leaves outbound and referral leads exactly as they were
        np.testing.assert_array_equal(a.time[a.channel == c], b.time[b.channel == c])


def test_tier_mix_is_respected(seed):
    """A chi-squared test at the 1e-4 level: false failures below 1e-4, for any seed."""
    scenario = sim.load("playbooks/b2b_saas.yaml")
    arrivals = draw_arrivals(scenario, seed, 0)
    inbound = arrivals.tier[arrivals.channel == 0]
    observed = np.bincount(inbound, minlength=3)
    expected = np.array([0.2, 0.5, 0.3]) * len(inbound)
    assert stats.chisquare(observed, expected).pvalue > 1e-4


# Times that share all but their lowest bits with a few others, with many (runs sorted otherwise), or equal them.
_near = st.tuples(st.floats(0, 400), st.sampled_from([2**4, 2**12, 2**20])).flatmap(
    lambda spread: st.lists(
        st.integers(0, spread[1]).map(lambda ulps: spread[0] + ulps * np.spacing(spread[0])), max_size=300
    )
)


@settings(deadline=None)  # the first call compiles
@given(
    st.one_of(
        _near,
        st.lists(st.sampled_from([0.0, 0.5, 1.0, np.inf]), max_size=300),
        st.lists(st.floats(0, 1e6) | st.just(np.inf), max_size=300),
    )
)
def test_arrival_order_is_a_stable_argsort(times):
    times = np.array(times, dtype=float)
    assert np.array_equal(arrival_order(times), np.argsort(times, kind="stable"))


def test_arrival_order_sorts_long_runs_of_nearly_equal_times():
    # 2,000 times within 64 ulps of each other: keys equal but for the position, in runs of hundreds.
    times = 100.0 + np.random.default_rng(5).integers(0, 64, 2000) * np.spacing(100.0)
    assert np.array_equal(arrival_order(times), np.argsort(times, kind="stable"))
