"""Service levels: how long leads wait for a rep and how busy reps are, held against limits.

A recommendation that raises profit by leaving leads unanswered for a fortnight, or reps busy
every minute of the year, would hurt a real team. Two kinds of limit say what is acceptable:

- :class:`MaxWait` -- ``STAGE:DAYS[:SHARE]``: at least ``SHARE`` of the leads that reach the stage
  in the year have a rep start on them within ``DAYS`` calendar days (``qualify:3:0.9``: first
  contact within three days for nine leads in ten). A lead that went cold, or is still waiting at
  the horizon after more than ``DAYS``, was not served in time; one still waiting for less is not
  counted yet. ``SHARE`` defaults to 0.9.
- ``max_utilisation``: no team busier than this share of its working time (0.85 leaves the slack
  that keeps queues short and reps able to prospect).

A limit holds with 95% confidence over the replications: the lower end of the interval of the
share served in time is at least ``SHARE``, the upper end of a team's utilisation at most the
ceiling, so that a recommendation found on these replications keeps them on others. :func:`evaluate` simulates a
scenario once and gives every figure a decision needs: per-replication money, the waits and
the utilisation.

Examples
--------
>>> MaxWait.parse("qualify:3:0.9")
MaxWait(stage='qualify', days=3.0, share=0.9)
>>> MaxWait.parse("qualify:3")
MaxWait(stage='qualify', days=3.0, share=0.9)
>>> MaxWait.parse("qualify:3:90")
Traceback (most recent call last):
...
ValueError: 'qualify:3:90' is not STAGE:DAYS[:SHARE] with DAYS > 0 and SHARE between 0 and 1, e.g. qualify:3:0.9
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from sim.costs import add_profit
from sim.engine import EXACT
from sim.errors import Problem, ScenarioError
from sim.model.timeline import Timeline
from sim.results import Results
from sim.scenario import Scenario, _unknown

__all__ = ["MaxWait", "ServiceLevels", "NO_LIMITS", "Evaluation", "evaluate", "served_in_time"]

DEFAULT_SHARE = 0.9
"""The share of leads a wait limit covers when ``--max-wait`` names none."""

CONFIDENCE = 0.95
"""How sure a wait limit's share must be to count as kept (one-sided, over replications)."""


@dataclass(frozen=True)
class MaxWait:
    """At least ``share`` of the leads reaching ``stage`` wait at most ``days`` for a rep."""

    stage: str
    days: float
    share: float = DEFAULT_SHARE

    @classmethod
    def parse(cls, text: str) -> "MaxWait":
        """``STAGE:DAYS[:SHARE]`` (the stage's name may hold colons of its own)."""
        parts = text.rsplit(":", 2)
        try:
            if len(parts) == 3 and _is_number(parts[2]):
                stage, days, share = parts[0], float(parts[1]), float(parts[2])
            else:
                stage, days = text.rsplit(":", 1)
                days, share = float(days), DEFAULT_SHARE
        except ValueError:
            stage, days, share = "", math.nan, math.nan
        if not stage or not days > 0 or not math.isfinite(days) or not 0 < share < 1:
            raise ValueError(
                f"{text!r} is not STAGE:DAYS[:SHARE] with DAYS > 0 and SHARE between 0 and 1, e.g. qualify:3:0.9"
            )
        return cls(stage, days, share)

    def __str__(self) -> str:
        return f"{self.stage}: {self.share:.0%} of leads started within {self.days:g} days"


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class ServiceLevels:
    """The limits a recommendation must keep."""

    max_wait: tuple[MaxWait, ...] = ()
    max_utilisation: float | None = None

    def check(self, scenario: Scenario) -> None:
        """Refuse limits naming stages the scenario does not have (:class:`ScenarioError`)."""
        names = [s.name for s in scenario.stages]
        problems = [
            Problem("--max-wait", _unknown(limit.stage, names, "stage"))
            for limit in self.max_wait
            if limit.stage not in names
        ]
        if self.max_utilisation is not None and not 0 < self.max_utilisation <= 1:
            problems.append(Problem("--max-utilisation", f"{self.max_utilisation:g} is not a share above 0, at most 1"))
        if problems:
            raise ScenarioError(problems)

    def as_dict(self) -> dict[str, Any]:
        return {
            "max_wait": [{"stage": w.stage, "days": w.days, "share": w.share} for w in self.max_wait],
            "max_utilisation": self.max_utilisation,
        }


NO_LIMITS = ServiceLevels()
"""No service level to keep."""


def served_in_time(timeline: Timeline, stage: int, days: float) -> tuple[int, int]:
    """Of the leads reaching ``stage`` (index) in the year: how many a rep started within ``days``, and how many
    are decided (started, gone cold, or still waiting after more than ``days`` at the horizon).

    >>> from sim.scenario import load
    >>> from sim.engine.fast import run_replication
    >>> timeline = run_replication(load("benchmarks/w1.yaml").replace({"horizon_days": 5}), 1, 0)
    >>> within, counted = served_in_time(timeline, 0, 1.0)
    >>> within <= counted == int((timeline.arrive[0] >= 0).sum())
    True
    """
    arrive, start, end = timeline.arrive[stage], timeline.start[stage], timeline.end[stage]
    year = arrive >= 0.0  # NaN (never reached) compares false
    started = ~np.isnan(start)
    waited = np.where(started, start, timeline.horizon) - arrive
    within = year & started & (waited <= days)
    late = year & ~within & (started | ~np.isnan(end) | (waited > days))  # started late, gone cold, or still waiting
    return int(within.sum()), int(within.sum() + late.sum())


@dataclass(frozen=True)
class Evaluation:
    """One scenario simulated for a decision: per-replication money, waits and utilisation, and the verdict."""

    replications: pd.DataFrame
    utilisation: dict[str, float]
    utilisation_high: dict[str, float]
    waits: list[dict[str, Any]] = field(default_factory=list)
    broken: list[str] = field(default_factory=list)

    @property
    def feasible(self) -> bool:
        return not self.broken

    def service(self) -> dict[str, Any]:
        return {
            "waits": self.waits,
            "utilisation": self.utilisation,
            "utilisation_high": self.utilisation_high,
            "broken": self.broken,
        }


def evaluate(
    scenario: Scenario, replications: range, seed: int, levels: ServiceLevels = NO_LIMITS, engine: str = "fast"
) -> Evaluation:
    """Simulate ``replications`` (a range of replication numbers) of ``scenario`` and hold them against ``levels``.

    ``replications`` carries costs and profit (:func:`sim.costs.add_profit`); each wait limit reports the
    share served in time, its lower 95% bound over replications and whether it holds; ``broken`` names
    every limit not kept.
    """
    if engine not in EXACT:
        raise ValueError(f"service levels need an exact engine ({', '.join(EXACT)}), not {engine!r}")
    run = EXACT[engine]
    stages = [s.name for s in scenario.stages]
    counts = np.zeros((len(levels.max_wait), len(replications), 2))

    def timelines():
        for j, r in enumerate(replications):
            timeline = run(scenario, seed, r, reps=False)
            for i, limit in enumerate(levels.max_wait):
                counts[i, j] = served_in_time(timeline, stages.index(limit.stage), limit.days)
            yield timeline

    results = Results.from_timelines(scenario, timelines(), engine, seed, detail=False)
    table = add_profit(results.replications)
    target = scenario.targets.annual_revenue if scenario.targets else math.nan
    table["hit_target"] = np.where(np.isnan(target), np.nan, (table["revenue"] >= target).astype(float))
    per_team = results.stage_stats.drop_duplicates(["replication", "team"]).groupby("team", sort=False)
    utilisation, utilisation_high = {}, {}
    for team, rows in per_team:
        busy, on_hand = rows["team_busy_days"].to_numpy(float), rows["team_rep_days"].to_numpy(float)
        if on_hand.sum() > 0:
            utilisation[team] = float(busy.sum() / on_hand.sum())
            utilisation_high[team] = 2 * utilisation[team] - _lower_bound(busy, on_hand)  # the upper bound
    evaluation = Evaluation(table, utilisation, utilisation_high)
    for i, limit in enumerate(levels.max_wait):
        within, counted = counts[i, :, 0], counts[i, :, 1]
        share = float(within.sum() / counted.sum()) if counted.sum() else 1.0
        low = _lower_bound(within, counted)
        kept = low >= limit.share
        evaluation.waits.append(
            {
                "stage": limit.stage,
                "days": limit.days,
                "share_required": limit.share,
                "share": share,
                "share_low": low,
                "kept": bool(kept),
            }
        )
        if not kept:
            evaluation.broken.append(f"max-wait {limit.stage}:{limit.days:g}:{limit.share:g}")
    if levels.max_utilisation is not None:
        for team, high in utilisation_high.items():
            if high > levels.max_utilisation:
                evaluation.broken.append(f"max-utilisation {team}")
    return evaluation


def _lower_bound(within: np.ndarray, counted: np.ndarray) -> float:
    """One-sided lower bound at :data:`CONFIDENCE` of the pooled share ``within / counted`` (the upper one is as
    far above): a ratio estimator over replications (each replication one cluster of leads or rep-days, so their
    dependence through shared queues is kept), its standard error by the delta method, Student's t."""
    n = len(within)
    if counted.sum() == 0:
        return 1.0
    share = within.sum() / counted.sum()
    if n < 2:
        return float(share)
    residual = within - share * counted
    se = math.sqrt((residual**2).sum() / (n - 1) / n) / counted.mean()
    return float(share - stats.t.ppf(CONFIDENCE, n - 1) * se)
