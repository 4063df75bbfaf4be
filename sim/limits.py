"""How big a run is, estimated before it starts, and the limits a command refuses to go past.

A scenario can be valid and still beyond any machine: a million leads a day, a team of a
billion reps, a sweep grid of a million points. :func:`estimate` works out from the scenario
alone what a run would simulate -- leads, stage visits (a lead reaching a stage), reps over the
horizon -- and from that the memory it needs and the time it takes; :func:`check` refuses a run
above :data:`MEMORY_BYTES` or :data:`SECONDS`, naming the estimate and the fields to change.
The limits are sized for the machine the project is built on, two cores and 24 GiB: most of
its memory, and about an hour of both cores. ``--no-limits`` lifts them on a bigger machine.

Examples
--------
>>> import sim
>>> size = estimate(sim.load("benchmarks/w1.yaml"), replications=100, engine="fast", detail=False)
>>> f"{size.leads:.3g} leads, {size.visits:.3g} stage visits"
'7.52e+06 leads, 1.19e+07 stage visits'
>>> check(sim.load("benchmarks/w1.yaml"), replications=10**7, engine="fast", detail=False)
Traceback (most recent call last):
...
sim.errors.ScenarioError: --replications: the run would simulate about 7.5e+11 leads ... or pass --no-limits
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sim.errors import Problem, ScenarioError
from sim.model.opening import warmup_days
from sim.scenario import Scenario

__all__ = [
    "CORES",
    "MEMORY_BYTES",
    "SECONDS",
    "MAX_POINTS",
    "RunSize",
    "estimate",
    "check",
    "check_points",
    "grid_points",
]

CORES = 2
"""Cores of the machine the limits are sized for."""

MEMORY_BYTES = 16 * 2**30
"""Most memory a run may need: two thirds of a 24 GiB machine, the rest for the system and a notebook."""

SECONDS = 3600.0
"""Longest a run may take on :data:`CORES` cores: about an hour."""

MAX_POINTS = 20_000
"""Most points of a sweep: each is a scenario held in memory and a file on disk."""

VISITS_PER_SECOND = {"des": 80_000, "fast": 15_000_000, "flow": 15_000_000}
"""Stage visits one core simulates per second, rounded down from the reference workload (``make bench``)."""

_WORK_PER_LEAD, _WORK_PER_VISIT = 64, 64  # bytes one replication uses while it runs, whatever its detail
_KEPT_PER_LEAD, _KEPT_PER_VISIT = 64, 64  # bytes the per-lead tables keep of every replication (detail runs)
_PER_REP = 256  # bytes a rep's roster entries and queue state take
_PER_DAY_AND_STAGE = 64  # bytes of the daily and monthly figures, per day of the horizon and stage
_LIMITS_NOTE = f"the limit on a machine of {CORES} cores and 24 GiB"


@dataclass(frozen=True)
class RunSize:
    """What a run simulates (over all replications), and the memory and time it needs."""

    leads: float
    visits: float
    reps: float
    memory: float
    seconds: float


def _leads_per_replication(scenario: Scenario) -> float:
    peak = lambda c: max(c.seasonality) if c.seasonality else 1.0  # noqa: E731 (the busiest month, to be safe)
    days = scenario.horizon_days + warmup_days(scenario)  # the warm-up's leads are simulated too
    return sum(c.leads_per_day * peak(c) for c in scenario.channels) * days


def _visits_per_lead(scenario: Scenario) -> float:
    """Stages a lead reaches, at most (the highest conversion over tiers and teams at every stage)."""
    reach, visits = 1.0, 0.0
    for k in range(len(scenario.stages)):
        visits += reach
        reach *= max(scenario.conversion_of(k, tier) for tier in scenario.tiers)
    return visits


def _reps(scenario: Scenario) -> float:
    years = scenario.horizon_days / 365
    total = 0.0
    for team in scenario.teams:
        staff = team.headcount + sum(h.count for h in team.hires)
        leaving = staff * team.attrition.annual_rate * years if team.attrition else 0.0
        total += staff + leaving
    return total


def estimate(scenario: Scenario, replications: int, engine: str, detail: bool) -> RunSize:
    """The size of ``replications`` replications of ``scenario`` on ``engine`` (``detail``: per-lead tables kept)."""
    leads = _leads_per_replication(scenario)
    visits = leads * _visits_per_lead(scenario)
    reps = _reps(scenario)
    days = scenario.horizon_days * (len(scenario.stages) + len(scenario.teams))  # days × stage or team
    working = leads * _WORK_PER_LEAD + visits * _WORK_PER_VISIT + reps * _PER_REP + days * _PER_DAY_AND_STAGE
    memory = min(replications, CORES) * working  # one replication at a time in each process
    if detail:  # every replication's tables, and their concatenation at the end
        memory += 2 * replications * (leads * _KEPT_PER_LEAD + visits * _KEPT_PER_VISIT + days * _PER_DAY_AND_STAGE)
    seconds = (
        replications
        * (visits + reps + days)
        / (VISITS_PER_SECOND.get(engine, VISITS_PER_SECOND["des"]) * min(replications, CORES))
    )
    return RunSize(replications * leads, replications * visits, reps, memory, seconds)


def _amount(value: float) -> str:
    return f"{value:.2g}" if value >= 1e6 else f"{value:,.0f}"


def _memory(value: float) -> str:
    return f"{value / 2**30:,.1f} GiB" if value < 1e15 else f"{value / 2**30:.2g} GiB"


def _duration(seconds: float) -> str:
    if seconds < 2 * 3600:
        return f"{seconds / 60:,.0f} minutes"
    return f"{seconds / 3600:,.0f} hours" if seconds < 1e6 else f"{seconds / 3600:.2g} hours"


def _field_to_change(scenario: Scenario, engine: str, detail: bool, replications_option: str) -> str:
    """Replications when one replication fits; otherwise what makes one replication big: leads or staff."""
    one = estimate(scenario, 1, engine, detail)
    if one.memory <= MEMORY_BYTES and one.seconds <= SECONDS:
        return replications_option
    if _reps(scenario) * _PER_REP > _leads_per_replication(scenario) * _WORK_PER_LEAD:
        return "teams"
    leads = [c.leads_per_day for c in scenario.channels]
    return f"channels[{leads.index(max(leads))}].leads_per_day"


def check(
    scenario: Scenario,
    replications: int,
    engine: str,
    detail: bool,
    runs: int = 1,
    replications_option: str = "--replications",
) -> RunSize:
    """Refuse a run above the limits, naming its size and what to change; return its size otherwise.

    ``runs``: how many such runs the command makes one after the other (strategies, sweep points).
    """
    size = estimate(scenario, replications, engine, detail)
    seconds = size.seconds * runs
    if size.memory <= MEMORY_BYTES and seconds <= SECONDS:
        return size
    field = _field_to_change(scenario, engine, detail, replications_option)
    over = []
    if size.memory > MEMORY_BYTES:
        over.append(f"about {_memory(size.memory)} of memory ({_memory(MEMORY_BYTES)} is {_LIMITS_NOTE})")
    if seconds > SECONDS:
        over.append(f"about {_duration(seconds)} ({_duration(SECONDS)} is {_LIMITS_NOTE})")
    what = (
        f"{_amount(size.leads)} leads and {_amount(size.visits)} stage visits"
        + (f", {_amount(size.reps)} reps" if field == "teams" else "")
        + (f" in each of {runs} runs" if runs > 1 else "")
    )
    change = ", ".join(dict.fromkeys([field, "horizon_days", replications_option]))
    message = (
        f"the run would simulate about {what} ({replications:,} replications), needing "
        f"{' and '.join(over)}; lower {change}, or pass --no-limits"
    )
    raise ScenarioError([Problem(field, message)])


def check_points(points: int, field: str) -> None:
    """Refuse a sweep of more than :data:`MAX_POINTS` points before any point is built."""
    if points > MAX_POINTS:
        raise ScenarioError(
            [
                Problem(
                    field,
                    f"the sweep would have {_amount(points)} points; at most {MAX_POINTS:,} "
                    f"(each is a scenario in memory and a file on disk): use fewer values or "
                    f"an lhs design, or pass --no-limits",
                )
            ]
        )


def grid_points(values: list[list]) -> int:
    """Points of a full grid over ``values``, counted without building it.

    >>> grid_points([[1, 2, 3], list(range(1000))])
    3000
    """
    return math.prod(len(v) for v in values)
