"""Allocating the marketing budget across channels and headcount across teams.

The director's question: given this budget and this many reps, where should they go? A
channel's budget buys leads (``budget / cost_per_lead``); a team's reps are its capacity.
:func:`optimise` spends the budget in equal steps, each step on the channel whose extra
leads raise the objective most (expected revenue, or the probability of reaching the
target) -- a marginal-return greedy search evaluated by simulation on common random numbers,
so candidates are compared on the same luck. When a headcount is given, reps follow the work:
each candidate's reps are split over the teams in proportion to the rep time its funnel
needs (largest remainder), at least one rep per working team.

:func:`focus_rules` and :func:`routing_rules` weigh the other levers practice names: the 80/20
focus rule -- every team serves its waiting leads by tier (``teams[].priority``), most valuable
tier first, against first come, first served -- and routing high-value leads to senior reps
(``stages[].routes`` to a team with a higher ``skill``) against pooling every rep.

The answer comes with the diminishing-returns curve of each channel and team around it, and
how robust it is: the paired difference in revenue against the current allocation, with
its 95% interval, and the share of replications in which the new allocation does better.

Examples
--------
>>> import sim
>>> scenario = sim.load("playbooks/b2b_saas.yaml")
>>> current = current_allocation(scenario)
>>> sorted(current.budget), current.headcount["solutions"]
(['inbound', 'outbound', 'referral'], 18)
>>> round(apply(scenario, current).channels[0].leads_per_day, 6)
30.0
>>> by_value(scenario)
('A', 'B', 'C')
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from sim.engine import simulate
from sim.experiments import Strategy, compare
from sim.scenario import Scenario
from sim.targets import allocate, reverse_funnel

__all__ = ["Allocation", "current_allocation", "apply", "optimise", "by_value", "focus_rules", "routing_rules"]

Objective = Literal["revenue", "p_hit"]


@dataclass(frozen=True)
class Allocation:
    """Annual marketing budget per paid channel and reps per team."""

    budget: dict[str, float]
    headcount: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"budget": {k: round(v, 2) for k, v in self.budget.items()}, "headcount": dict(self.headcount)}


def current_allocation(scenario: Scenario) -> Allocation:
    """The scenario's own allocation: what its paid channels cost over the horizon, and its headcount."""
    return Allocation(
        budget={c.name: c.leads_per_day * c.cost_per_lead * scenario.horizon_days
                for c in scenario.channels if c.cost_per_lead > 0},
        headcount={t.name: t.headcount for t in scenario.teams},
    )


def apply(scenario: Scenario, allocation: Allocation) -> Scenario:
    """The scenario with the allocation's channel budgets (as leads per day) and headcounts."""
    channels = tuple(
        c.model_copy(update={"leads_per_day": allocation.budget[c.name] / c.cost_per_lead / scenario.horizon_days})
        if c.name in allocation.budget else c for c in scenario.channels)
    teams = tuple(t.model_copy(update={"headcount": allocation.headcount.get(t.name, t.headcount)})
                  for t in scenario.teams)
    return scenario.model_copy(update={"channels": channels, "teams": teams})


def _staffed(scenario: Scenario, budget: dict[str, float], headcount: int | None) -> Allocation:
    """``budget`` with reps following the work (when a total ``headcount`` is given)."""
    if headcount is None:
        return Allocation(budget, {t.name: t.headcount for t in scenario.teams})
    work = reverse_funnel(apply(scenario, Allocation(budget)), revenue=1.0).rep_days
    working = [t.name for t in scenario.teams if work[t.name] > 0]
    if headcount < len(working):
        raise ValueError(f"a headcount of {headcount} cannot staff the {len(working)} teams that work the funnel")
    extra = allocate(headcount - len(working), [work[name] for name in working])
    reps = {t.name: 0 for t in scenario.teams}
    reps.update({name: 1 + int(n) for name, n in zip(working, extra)})
    return Allocation(budget, reps)


def _revenue(scenario: Scenario, allocation: Allocation, replications: int, seed: int, engine: str) -> np.ndarray:
    results = simulate(apply(scenario, allocation), replications=replications, seed=seed, engine=engine,
                       detail=False, progress=False, workers=1)
    return results.replications.revenue.to_numpy()


def _score(revenue: np.ndarray, objective: Objective, target: float | None) -> float:
    if objective == "p_hit":
        return float((revenue >= target).mean())
    return float(revenue.mean())


def _figures(revenue: np.ndarray, target: float | None) -> dict[str, Any]:
    return {"mean": float(revenue.mean()), "p10": float(np.quantile(revenue, 0.1)),
            "p50": float(np.quantile(revenue, 0.5)), "p90": float(np.quantile(revenue, 0.9)),
            "p_hit_target": float((revenue >= target).mean()) if target else None}


def optimise(scenario: Scenario, budget: float, headcount: int | None = None, objective: Objective = "revenue",
             steps: int = 10, replications: int = 40, seed: int = 0, engine: str = "fast") -> dict[str, Any]:
    """Spend ``budget`` (over the horizon) in ``steps`` greedy steps; staff ``headcount`` reps to the work.

    Returns the current and the chosen allocation with their simulated revenue, the paired
    gain with its 95% interval, diminishing-returns curves, and the greedy path.
    """
    paid = [c.name for c in scenario.channels if c.cost_per_lead > 0]
    if not paid:
        raise ValueError("no channel has a cost per lead: there is no budget to allocate")
    if budget <= 0 or steps < 1:
        raise ValueError("budget must be positive and steps at least 1")
    target = scenario.targets.annual_revenue if scenario.targets else None
    if objective == "p_hit" and target is None:
        raise ValueError("the p_hit objective needs targets.annual_revenue in the scenario")

    def evaluate(spend: dict[str, float]) -> tuple[Allocation, np.ndarray]:
        allocation = _staffed(scenario, spend, headcount)
        return allocation, _revenue(scenario, allocation, replications, seed, engine)

    step = budget / steps
    spend = dict.fromkeys(paid, 0.0)
    path = []
    for _ in range(steps):
        candidates = []
        for name in paid:
            trial = {**spend, name: spend[name] + step}
            allocation, revenue = evaluate(trial)
            candidates.append((_score(revenue, objective, target), name, trial, revenue))
        candidates.sort(key=lambda c: -c[0])
        best_score, best_name, spend, best_revenue = candidates[0]
        path.append({"to": best_name, "score": best_score,
                     "runner_up": candidates[1][1] if len(candidates) > 1 else None,
                     "margin": best_score - candidates[1][0] if len(candidates) > 1 else None})
    chosen, chosen_revenue = evaluate(spend)
    current = current_allocation(scenario)
    current_revenue = _revenue(scenario, current, replications, seed, engine)
    difference = chosen_revenue - current_revenue  # paired: replication r saw the same luck in both
    half = stats.t.ppf(0.975, replications - 1) * difference.std(ddof=1) / np.sqrt(replications)
    return {
        "objective": objective, "budget": budget, "headcount": headcount, "replications": replications,
        "seed": seed, "engine": engine,
        "current": {**current.as_dict(), "revenue": _figures(current_revenue, target)},
        "chosen": {**chosen.as_dict(), "revenue": _figures(chosen_revenue, target)},
        "gain": {"mean": float(difference.mean()), "ci95": [float(difference.mean() - half),
                                                            float(difference.mean() + half)],
                 "p_better": float((difference > 0).mean())},
        "curves": _curves(scenario, chosen, replications, seed, engine),
        "path": path,
    }


def _curves(scenario: Scenario, chosen: Allocation, replications: int, seed: int,
            engine: str) -> dict[str, dict[str, list[dict[str, float]]]]:
    """Mean revenue as one channel's budget, or one team's headcount, moves around the chosen allocation."""
    channels = {}
    for name, amount in chosen.budget.items():
        points = []
        for factor in (0.0, 0.5, 1.0, 1.5, 2.0):
            trial = Allocation({**chosen.budget, name: amount * factor}, chosen.headcount)
            points.append({"budget": amount * factor,
                           "revenue": float(_revenue(scenario, trial, replications, seed, engine).mean())})
        channels[name] = points
    teams = {}
    for name, reps in chosen.headcount.items():
        points = []
        for n in range(max(1, reps - 2), reps + 3):
            trial = Allocation(chosen.budget, {**chosen.headcount, name: n})
            points.append({"headcount": n, "revenue": float(_revenue(scenario, trial, replications, seed, engine).mean())})
        teams[name] = points
    return {"channels": channels, "teams": teams}


def by_value(scenario: Scenario) -> tuple[str, ...]:
    """The tiers, most expected revenue per lead first (conversion through the funnel x deal value)."""
    value = reverse_funnel(scenario, revenue=1.0).value_per_lead
    return tuple(sorted((t for t in scenario.tiers if t), key=lambda t: -value[t]))


def _with_priority(scenario: Scenario, priority: tuple[str, ...]) -> Scenario:
    teams = tuple(t.model_copy(update={"priority": priority}) for t in scenario.teams)
    return scenario.model_copy(update={"teams": teams})


def _compare_rules(variants: dict[str, Scenario], replications: int, seed: int, engine: str) -> pd.DataFrame:
    """Each variant's mean revenue, deals won, days from lead to win, and its paired revenue gain over
    the first variant (95% interval; share of replications in which it does better), compared by
    :func:`sim.experiments.compare` on common random numbers."""
    comparison = compare([Strategy(name, variant) for name, variant in variants.items()], replications, seed, engine,
                         progress=False)
    revenue = comparison.figure("revenue")
    gain = revenue.sub(revenue.iloc[:, 0], axis=0)  # paired: replication r saw the same leads under every rule
    interval = comparison.differences("revenue").set_index("strategy")[["ci_low", "ci_high"]]
    runs = comparison.replications.groupby("strategy", sort=False)
    totals = runs[["won", "win_days_total"]].sum()
    table = pd.DataFrame({
        "revenue": revenue.mean(),
        "won": runs.won.mean(),
        "days_to_win": totals.win_days_total / totals.won.clip(lower=1),
        "gain": gain.mean(),
        "gain_low": interval.ci_low.reindex(revenue.columns, fill_value=0.0),
        "gain_high": interval.ci_high.reindex(revenue.columns, fill_value=0.0),
        "p_better": (gain > 0).mean(),
    })
    return table.rename_axis("rule")


def focus_rules(scenario: Scenario, replications: int = 40, seed: int = 0, engine: str = "fast") -> pd.DataFrame:
    """First come, first served against the focus rule, on common random numbers.

    Rules: every team serves leads as they come; every team serves the most valuable tier
    first; every team serves all tiers in order of value. Per rule: mean revenue, deals won,
    the mean days from lead to win, and the paired revenue gain over first come, first served
    with its 95% interval and the share of replications in which the rule does better.
    """
    order = by_value(scenario)
    if len(order) < 2:
        raise ValueError("the focus rule needs at least two customer tiers (channels[].tiers)")
    rules = {"first come, first served": (), f"{order[0]} first": order[:1]}
    if len(order) > 2:
        rules["by value: " + " > ".join(order)] = order
    table = _compare_rules({name: _with_priority(scenario, p) for name, p in rules.items()}, replications, seed, engine)
    return table.assign(priority=[list(p) for p in rules.values()])


def routing_rules(scenario: Scenario, stage: str, tiers: list[str], seniors: int, senior_skill: float,
                  replications: int = 40, seed: int = 0, engine: str = "fast") -> pd.DataFrame:
    """Pooled reps against routing ``tiers`` to the stage team's seniors, on common random numbers.

    The stage's team has ``seniors`` reps whose conversion is ``senior_skill`` times the stage's
    rate (the others keep the team's skill): a spread of skill. Pooled, any rep takes any lead, so
    every lead converts at the team's average skill (weighted by headcount); routed, the seniors
    form their own team that works only the stage's ``tiers`` (at their skill), and the others
    everything else. Both variants have the same reps; only who works which lead changes.
    """
    names = [s.name for s in scenario.stages]
    if stage not in names:
        raise ValueError(f"{stage!r} is not a stage ({', '.join(names)})")
    k = names.index(stage)
    team = scenario.team(scenario.stages[k].team)
    if not 0 < seniors < team.headcount:
        raise ValueError(f"seniors must be between 1 and {team.headcount - 1} ({team.name} has {team.headcount} reps)")
    unknown = [t for t in tiers if t not in scenario.tiers or not t]
    if not tiers or unknown:
        raise ValueError(f"route one or more of the tiers {', '.join(t for t in scenario.tiers if t)}")
    pooled_skill = (seniors * senior_skill + (team.headcount - seniors) * team.skill) / team.headcount
    pooled = scenario.model_copy(update={"teams": tuple(
        t.model_copy(update={"skill": pooled_skill}) if t.name == team.name else t for t in scenario.teams)})
    senior_team = team.model_copy(update={"name": f"{team.name} seniors", "headcount": seniors, "hires": (),
                                          "skill": senior_skill, "priority": ()})
    teams = tuple(t.model_copy(update={"headcount": team.headcount - seniors}) if t.name == team.name else t
                  for t in scenario.teams) + (senior_team,)
    stages = tuple(s.model_copy(update={"routes": {**s.routes, **dict.fromkeys(tiers, senior_team.name)}})
                   if i == k else s for i, s in enumerate(scenario.stages))
    routed = Scenario.model_validate({**scenario.model_dump(by_alias=True),
                                      "teams": [t.model_dump(by_alias=True) for t in teams],
                                      "stages": [s.model_dump(by_alias=True) for s in stages]})
    label = f"{', '.join(tiers)} to {seniors} seniors"
    return _compare_rules({"pooled (any rep, any lead)": pooled, label: routed}, replications, seed, engine)
