"""Summaries of a figure over replications (or deals), each computed in this one place.

- :func:`quantiles` and :func:`spread`: P10, P50 and P90 (numpy's linear interpolation), with the mean;
- :func:`mean_interval`: the mean and its t interval (replications are independent draws; paired
  differences on common random numbers are too);
- :func:`wilson` and :func:`proportion`: a share and its Wilson score interval, which stays within
  0 to 1 and keeps its coverage near 0 and 1, where the normal approximation does not.

Every interval is at ``LEVEL`` (95%) unless asked otherwise.

Examples
--------
>>> spread([1.0, 2.0, 3.0, 4.0, 5.0])
{'mean': 3.0, 'p10': 1.4, 'p50': 3.0, 'p90': 4.6}
>>> mean_interval([1.0, 2.0, 3.0])["ci95"]
[-0.484..., 4.484...]
>>> proportion([1.0, 0.0, 1.0, 1.0])
{'mean': 0.75, 'ci95': [0.300..., 0.954...]}
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import stats

__all__ = ["LEVEL", "QUANTILES", "quantiles", "spread", "mean_interval", "wilson", "proportion"]

LEVEL = 0.95
"""Confidence of every interval shown (pages, commands, reports)."""

QUANTILES = {"p10": 0.10, "p50": 0.50, "p90": 0.90}
"""The quantiles a spread reports, by name."""


def quantiles(values: Any, axis: int | None = None, missing: float | None = math.nan) -> dict[str, Any]:
    """P10, P50 and P90 of ``values`` (along ``axis`` when given: arrays); ``missing`` for each when empty.

    >>> quantiles([], missing=None)
    {'p10': None, 'p50': None, 'p90': None}
    >>> quantiles([[1, 2], [3, 4]], axis=0)["p50"]
    array([2., 3.])
    """
    v = np.asarray(values, dtype=float)
    if v.size == 0:
        return dict.fromkeys(QUANTILES, missing)
    if axis is not None:
        return {name: np.quantile(v, q, axis=axis) for name, q in QUANTILES.items()}
    return {name: float(np.quantile(v, q)) for name, q in QUANTILES.items()}


def spread(values: Any, missing: float | None = math.nan) -> dict[str, float | None]:
    """The mean and P10, P50, P90 of ``values``; ``missing`` for each when there are none.

    >>> spread([], missing=None)
    {'mean': None, 'p10': None, 'p50': None, 'p90': None}
    """
    v = np.asarray(values, dtype=float)
    mean = float(v.mean()) if v.size else missing
    return {"mean": mean, **quantiles(v, missing=missing)}


def mean_interval(values: Any, level: float = LEVEL) -> dict[str, Any]:
    """The mean and its t interval (``ci95``: low, high); a single value, or values all equal, give the
    mean as both ends.

    >>> mean_interval([2.0, 2.0])
    {'mean': 2.0, 'ci95': [2.0, 2.0]}
    """
    v = np.asarray(values, dtype=float)
    mean = float(v.mean())
    if len(v) < 2 or np.all(v == v[0]):
        return {"mean": mean, "ci95": [mean, mean]}
    low, high = stats.ttest_1samp(v, 0.0).confidence_interval(level)
    return {"mean": mean, "ci95": [float(low), float(high)]}


def wilson(successes: Any, trials: Any, level: float = LEVEL) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of a binomial proportion (vectorised; NaN where there are no trials).

    >>> low, high = wilson(8, 10, 0.95)
    >>> round(float(low), 3), round(float(high), 3)
    (0.49, 0.943)
    """
    k, n = np.asarray(successes, float), np.asarray(trials, float)
    z = stats.norm.ppf(0.5 + level / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z / (1 + z * z / n) * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return np.clip(centre - half, 0.0, None), np.clip(centre + half, None, 1.0)  # exact at 0 and 1, not -1e-17


def proportion(hits: Any, level: float = LEVEL) -> dict[str, Any]:
    """The share of true ``hits`` (one per replication) and its Wilson interval (``ci95``: low, high)."""
    h = np.asarray(hits, dtype=float)
    k, n = int(h.sum()), len(h)
    low, high = wilson(k, n, level)
    return {"mean": k / n, "ci95": [float(low), float(high)]}
