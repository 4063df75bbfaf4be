"""How a simulated year opens: the warm-up that fills the funnel before day 0.

A sales organisation that already exists starts its year with deals in every stage. Unless a
scenario says otherwise (``opening.warmup_days``), the engines simulate a warm-up before day 0
with the scenario's own rates and staff, and count nothing from it: the leads still in the
funnel at day 0 carry on into the year. The default length covers the time a won deal takes
from lead to payment for 99% of deals, without queueing: its stages' work and customer-side
times and its collection, summed, by a gamma distribution matched to their mean and variance
(Wilson and Hilferty's cube-root approximation of the quantile). A queue that builds up for
longer than that is a team that cannot keep up; the warm-up then opens the year with part of
its backlog.

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

from sim.scenario import Scenario

__all__ = ["warmup_days"]

_Z99 = 2.3263478740408408  # the standard normal's 99th percentile


def warmup_days(scenario: Scenario) -> int:
    """Whole days simulated before day 0 (see the module docs)."""
    if scenario.opening is not None and scenario.opening.warmup_days is not None:
        return math.ceil(scenario.opening.warmup_days)
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
