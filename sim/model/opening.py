"""How a simulated year opens: the warm-up that fills the funnel before day 0, or the open deals listed.

A sales organisation that already exists starts its year with deals in every stage. Unless a
scenario says otherwise (``opening.warmup_days``), the engines simulate a warm-up before day 0
with the scenario's own rates and staff, and count nothing from it: the leads still in the
funnel at day 0 carry on into the year. The default length covers the time a won deal takes
from lead to payment for 99% of deals, without queueing: its stages' work and customer-side
times and its collection, summed, by a gamma distribution matched to their mean and variance
(Wilson and Hilferty's cube-root approximation of the quantile). A queue that builds up for
longer than that is a team that cannot keep up; the warm-up then opens the year with part of
its backlog.

A scenario may instead list the deals open at day 0 (``opening.pipeline``, which ``calibrate``
writes from an export): then there is no warm-up. Each deal waits for a rep at its stage from
day 0 and gets its rep work in full; its age is taken off the stage's customer-side time, which
continues from its distribution given that it exceeds the age (:func:`remaining`). The
simplification: the age counts against the customer-side time only (exports do not record
rep effort, and a deal's chance to convert does not depend on its time in the engines).

Examples
--------
>>> from sim.scenario import loads
>>> text = '''
... name: Tiny
... horizon_days: 30
... channels: [{name: web, leads_per_day: 5}]
... stages: [{name: close, team: ae, work_days: {dist: fixed, value: 10}, conversion: 0.5}]
... teams: [{name: ae, headcount: 2}]
... deal_value: {dist: fixed, value: 1000}
... '''
>>> warmup_days(loads(text)), warmup_days(loads(text + "opening: {warmup_days: 0}"))
(10, 0)
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from sim.distributions import Distribution
from sim.scenario import Scenario

__all__ = ["warmup_days", "remaining", "in_words"]

_Z99 = 2.3263478740408408  # the standard normal's 99th percentile


def warmup_days(scenario: Scenario) -> int:
    """Whole days simulated before day 0 (see the module docs)."""
    if scenario.opening is not None and scenario.opening.warmup_days is not None:
        return math.ceil(scenario.opening.warmup_days)
    if scenario.opening is not None and scenario.opening.pipeline:
        return 0
    parts = [d for stage in scenario.stages for d in (stage.work_days, stage.wait_days) if d is not None]
    if scenario.collection_days is not None:
        parts.append(scenario.collection_days)
    mean, var = sum(d.mean for d in parts), sum(d.var for d in parts)
    if mean <= 0:
        return 0
    if var <= 0:
        return math.ceil(mean)
    shape = mean * mean / var
    quantile = mean * (1 - 1 / (9 * shape) + _Z99 * math.sqrt(1 / (9 * shape))) ** 3
    return math.ceil(max(quantile, mean))


def in_words(scenario: Scenario) -> str:
    """What the funnel holds when the year opens, in words (for printed assumptions).

    >>> from sim.scenario import load
    >>> in_words(load("benchmarks/w1.yaml"))
    'the pipeline of a warm-up of 11 days before day 0 (leads in the funnel at day 0 carry on)'
    """
    if scenario.opening is not None and scenario.opening.pipeline:
        return f"{sum(deal.count for deal in scenario.opening.pipeline):,} open deals listed in opening.pipeline"
    days = warmup_days(scenario)
    if days:
        return f"the pipeline of a warm-up of {days} days before day 0 (leads in the funnel at day 0 carry on)"
    return "an empty funnel (a start-up; opening.warmup_days is 0)"


def remaining(dist: Distribution, age: float, rng: np.random.Generator, size: int) -> np.ndarray:
    """``size`` draws of ``X - age`` given ``X > age``, ``X`` from ``dist``: what is left of a time that
    has lasted ``age`` days. An exponential time forgets its age; the others are drawn by the inverse
    distribution function from ``F(age)`` on (an empirical one among its values above the age); an age
    beyond every value the distribution takes leaves nothing (0).

    >>> from pydantic import TypeAdapter
    >>> d = TypeAdapter(Distribution).validate_python({"dist": "uniform", "low": 0, "high": 10})
    >>> left = remaining(d, 6.0, np.random.default_rng(0), 1000)
    >>> bool(left.min() >= 0 and left.max() <= 4), round(float(left.mean()))
    (True, 2)
    """
    if age <= 0 or dist.dist == "exponential":
        return dist.sample(rng, size)
    if dist.dist == "fixed":
        return np.full(size, max(dist.value - age, 0.0))
    if dist.dist == "empirical":
        above = np.asarray(dist.values, float)
        above = above[above > age]
        return rng.choice(above, size) - age if len(above) else np.zeros(size)
    frozen = _frozen(dist)
    survival = frozen.sf(age)
    if not survival > 0:
        return np.zeros(size)
    return np.maximum(frozen.isf(survival * (1.0 - rng.random(size))) - age, 0.0)


def _frozen(dist: Distribution):
    """``dist`` as a frozen scipy distribution (for its distribution function and inverse)."""
    if dist.dist == "gamma":
        shape, scale = dist.shape_scale
        return stats.gamma(shape, scale=scale)
    if dist.dist == "lognormal":
        mu, sigma = dist.mu_sigma
        return stats.lognorm(sigma, scale=math.exp(mu))
    if dist.dist == "uniform":
        return stats.uniform(dist.low, dist.high - dist.low)
    low, mode, high = dist.low, dist.mode, dist.high  # triangular
    return stats.triang((mode - low) / (high - low) if high > low else 0.0, loc=low, scale=high - low)
