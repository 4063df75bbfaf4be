"""When to hire to make the year: hires per team and month that reach a revenue target at the least cost, or
that give the best chance of reaching it within a budget.

The lagged plan (:mod:`sim.schedule`) already says which reps each team lacks month by month to
work a target's leads at no more than 85% of its working time, and dates each hire to finish its
ramp-up by the month that needs it (time to fill is the ``ramp``'s start: a hire dated day ``d``
joins on ``d``; attrition and replacements come from the scenario). Staffing to that ceiling
errs on the side of too many reps, so :func:`hiring_plan` then simulates the planned scenario and
takes hires away, the cut that saves the most cost first (half a batch of hires at first, fewer
when that loses the target), while the probability of reaching the target stays at or above
``probability`` with 90% confidence (Wilson's lower bound, ``SEARCH_CONFIDENCE``) -- every candidate
on the same replications (common random numbers). The margin is there because a greedy search that
keeps cutting while the share of hits on one set of replications stays at ``probability`` learns
that set's luck: its plan sits on the edge for those years and falls short on fresh ones.

Given a ``budget`` for the hires instead (:func:`hires_cost`: each hire's cost per hire and salary
from the day they start to the year's end, as :mod:`sim.costs` counts them), the plan asks for the
best P(target) within it: while the hires cost more than the budget, each batch gives up the reps
that close the gap (at most half of it), and the cut that loses the least P(target) for the money
it saves is taken (the least revenue for the money, between cuts that lose the same). A plan within
the budget already keeps every hire the lagged plan asks for.

The plan is finally scored on fresh replications: P(target) with its 95% interval, revenue, each
cost and profit.

Examples
--------
>>> import sim
>>> scenario = sim.load("playbooks/b2b_saas.yaml")
>>> plan = hiring_plan(scenario, 30_000_000, replications=4, seed=1, max_evaluations=2)
>>> sorted(plan.summary["hires"]) == sorted(t.name for t in scenario.teams)
True
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.calendar import DEFAULT_START
from sim.costs import COSTS, COLUMNS as COST_COLUMNS, DAYS_PER_YEAR
from sim.model.staffing import draw_rosters
from sim.scenario import Scenario
from sim.schedule import Schedule, planned_scenario, schedule
from sim.service import Evaluation, evaluate
from sim.stats import proportion, spread, wilson
from sim.targets import split_months

__all__ = ["HiringPlan", "hiring_plan", "hires_cost", "headcount_over_time"]

SEARCH_CONFIDENCE = 0.9
"""The one-sided confidence with which a plan must keep ``probability`` on its search replications."""

MODES = {
    "least cost": "the least cost that keeps P(target) at the probability asked",
    "budget": "the best P(target) within the budget for the hires",
}
"""What a hiring plan asks for (``hiring.json``'s ``mode``)."""


@dataclass(frozen=True)
class HiringPlan:
    """The scenario with the chosen hires (and the leads the target needs), and what ``hiring.json`` holds."""

    scenario: Scenario
    summary: dict[str, Any]


def _with_hires(scenario: Scenario, plan: Schedule, hires: dict[str, list[tuple[int, int]]]) -> Scenario:
    kept = {team: [(day, count) for day, count in batches if count > 0] for team, batches in hires.items()}
    return planned_scenario(scenario, dataclasses.replace(plan, hires=kept))


def hires_cost(scenario: Scenario, hires: dict[str, list[tuple[int, int]]]) -> float:
    """What ``hires`` (team → ``(day, count)`` batches) cost in the year before anyone leaves: for each hire
    starting within the horizon, the team's ``cost_per_hire`` and its ``cost_per_rep_year`` for the days from
    the start to the horizon's end (as :mod:`sim.costs` counts them; a figure the team does not give adds
    nothing).

    >>> import sim
    >>> hires_cost(sim.load("playbooks/b2b_saas.yaml"), {"sdr": [(0, 2)], "solutions": [(365, 1)]})
    194000.0
    """
    horizon = scenario.horizon_days
    total = 0.0
    for team, batches in hires.items():
        t = scenario.team(team)
        for day, count in batches:
            if 0 <= day < horizon:
                total += count * (
                    (t.cost_per_hire or 0.0) + (t.cost_per_rep_year or 0.0) * (horizon - day) / DAYS_PER_YEAR
                )
    return total


def _cost(evaluation: Evaluation) -> float:
    return float(evaluation.replications["total_cost"].mean())


def _p_target(evaluation: Evaluation) -> float:
    return float(evaluation.replications["hit_target"].mean())


def _holds(evaluation: Evaluation, probability: float) -> bool:
    """Whether the chance of reaching the target is at least ``probability`` with ``SEARCH_CONFIDENCE``."""
    hits = evaluation.replications["hit_target"].to_numpy(bool)
    low, _ = wilson(hits.sum(), len(hits), level=2 * SEARCH_CONFIDENCE - 1)
    return bool(low >= probability)


def hiring_plan(
    scenario: Scenario,
    target: float,
    method: str = "reserve",
    probability: float = 0.8,
    replications: int = 40,
    seed: int = 0,
    engine: str = "fast",
    max_utilisation: float = 0.85,
    max_evaluations: int = 60,
    budget: float | None = None,
) -> HiringPlan:
    """Hires per team and month that reach ``target`` (annual revenue) with at least ``probability``, at least
    cost; or, given a ``budget``, the hires within it that give the best probability of reaching ``target``.

    Parameters
    ----------
    scenario : the organisation as it stands (its own hires and attrition included).
    target : the annual revenue target, split over months by ``method`` (see :func:`sim.targets.split_months`).
    probability : the chance of reaching the target the plan must keep.
    replications, seed, engine : the replications every candidate is simulated on; the final scoring uses the
        next ``replications`` ones.
    max_utilisation : the ceiling the lagged plan staffs each team to.
    max_evaluations : most candidates simulated while taking hires away to save cost (the cuts a budget needs
        are always made).
    budget : what the hires may cost in the year (:func:`hires_cost`); ``probability`` is then only reported
        against.
    """
    if not 0 < probability < 1:
        raise ValueError(f"{probability:g} is not a probability between 0 and 1")
    if budget is not None and budget < 0:
        raise ValueError(f"a budget of {budget:g} is below zero")
    if budget is not None and not any(t.cost_per_hire or t.cost_per_rep_year for t in scenario.teams):
        raise ValueError("no team gives cost_per_hire or cost_per_rep_year: a budget for hires cannot be counted")
    monthly = split_months(int(round(target)), scenario, method)
    plan = schedule(scenario, monthly, max_utilisation)
    search = range(replications)
    hires = {team: list(batches) for team, batches in plan.hires.items()}

    def run(candidate: dict[str, list[tuple[int, int]]]) -> Evaluation:
        return evaluate(_with_hires(scenario, plan, candidate), search, seed, engine=engine)

    best = run(hires)
    evaluations, removed = 1, 0
    if budget is not None:
        hires, best, evaluations, removed = _within_budget(scenario, hires, best, budget, run)
        max_evaluations = 0  # within the budget every hire the plan asks for is kept
    # how many reps a batch gives up at a time: half of it at first, halved whenever that loses the target
    steps = {(team, i): max(1, count // 2) for team, batches in hires.items() for i, (_, count) in enumerate(batches)}
    while _holds(best, probability) and evaluations < max_evaluations and any(steps.values()):
        trials = []
        for (team, i), step in steps.items():
            day, count = hires[team][i]
            if count == 0:  # nothing left to give up: without this the search could circle for ever
                steps[team, i] = 0
            if step == 0 or count == 0 or evaluations >= max_evaluations:
                continue
            step = min(step, count)
            trial = {**hires, team: [*hires[team][:i], (day, count - step), *hires[team][i + 1 :]]}
            evaluation = run(trial)
            evaluations += 1
            if _holds(evaluation, probability):
                trials.append((_cost(evaluation), -_p_target(evaluation), step, trial, evaluation))
            else:
                steps[team, i] = step // 2
        if trials:
            trials.sort(key=lambda t: t[:2])
            _, _, step, hires, best = trials[0]
            removed += step
    chosen = _with_hires(scenario, plan, hires)
    fresh = evaluate(chosen, range(replications, 2 * replications), seed, engine=engine)
    hits = fresh.replications["hit_target"].to_numpy(float)
    table = fresh.replications
    months = {int(d): str(m) for m, d in zip(plan.months, _month_starts(scenario, plan.months))}
    summary = {
        "mode": "budget" if budget is not None else "least cost",
        "mode_means": MODES["budget" if budget is not None else "least cost"],
        "budget": budget,
        **({} if budget is not None else {"budget_null_because": "no budget was given"}),
        "hires_cost": hires_cost(scenario, hires),
        "target": float(target),
        "method": method,
        "probability_required": probability,
        "replications": replications,
        "seed": seed,
        "engine": engine,
        "hires": {
            team: [
                {"day": int(day), "count": int(count), "ramped_by": _ramped_by(scenario, team, day, months)}
                for day, count in batches
                if count > 0
            ]
            for team, batches in hires.items()
        },
        "hires_total": int(sum(count for batches in hires.values() for _, count in batches)),
        "hires_taken_away": removed,
        "p_target": {**proportion(hits), "replications": [replications, 2 * replications - 1]},
        "p_target_on_search": _p_target(best),
        "revenue": spread(table["revenue"]),
        "profit": spread(table["profit"]),
        "costs": {part: spread(table[COST_COLUMNS[part]]) for part in COSTS} | {"total": spread(table["total_cost"])},
        "leads_per_month": {str(m): float(n) for m, n in zip(plan.months, plan.leads)},
        "problems": list(plan.problems),
        "evaluations": evaluations + 1,
    }
    return HiringPlan(chosen, summary)


def _within_budget(
    scenario: Scenario, hires: dict[str, list[tuple[int, int]]], best: Evaluation, budget: float, run
) -> tuple[dict[str, list[tuple[int, int]]], Evaluation, int, int]:
    """Hires cut until they cost no more than ``budget``, each round the cut that loses the least P(target) (then
    revenue) for the money it saves; returns the hires, their evaluation, candidates simulated and reps cut."""
    evaluations = removed = 0
    while (cost := hires_cost(scenario, hires)) > budget + 1e-6:
        trials = []
        for team, batches in hires.items():
            for i, (day, count) in enumerate(batches):
                each = hires_cost(scenario, {team: [(day, 1)]})
                if count == 0 or each == 0:
                    continue
                step = min(count, max(1, count // 2), math.ceil((cost - budget - 1e-6) / each))
                trial = {**hires, team: [*batches[:i], (day, count - step), *batches[i + 1 :]]}
                evaluation = run(trial)
                evaluations += 1
                saved = cost - hires_cost(scenario, trial)
                loss = (
                    (_p_target(best) - _p_target(evaluation)) / saved,
                    float(best.replications["revenue"].mean() - evaluation.replications["revenue"].mean()) / saved,
                )
                trials.append((loss, step, trial, evaluation))
        if not trials:  # nothing left to cut costs anything
            break
        _, step, hires, best = min(trials, key=lambda t: t[0])
        removed += step
    return hires, best, evaluations, removed


def _month_starts(scenario: Scenario, months: pd.PeriodIndex) -> list[int]:
    start = pd.Timestamp(scenario.start_date or DEFAULT_START)
    return [max(0, (m.start_time - start).days) for m in months]


def _ramped_by(scenario: Scenario, team: str, day: int, months: dict[int, str]) -> str | None:
    """The month by whose start a hire of ``day`` has finished ramping up (``None``: after the horizon)."""
    ramp = scenario.team(team).ramp
    ready = day + (ramp.days if ramp else 0.0)
    later = [start for start in months if start >= ready - 1e-9]
    return months[min(later)] if later else None


def headcount_over_time(scenario: Scenario, rosters: int = 50, seed: int = 0) -> pd.DataFrame:
    """Mean reps on each team (columns) on each day of the horizon (rows), over ``rosters`` simulated rosters
    (hires, leavers and their replacements as the scenario says)."""
    days = np.arange(scenario.horizon_days, dtype=float)
    total = np.zeros((len(scenario.teams), len(days)))
    for r in range(rosters):
        for i, roster in enumerate(draw_rosters(scenario, seed, r)):
            total[i] += roster.headcount(days)
    return pd.DataFrame((total / rosters).T, columns=[t.name for t in scenario.teams])
