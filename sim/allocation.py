"""Allocating the marketing budget across channels and headcount across teams, by profit and within service levels.

The director's question: given this budget and this many reps, where should they go? A channel's
budget buys leads (``budget / cost_per_lead`` over the horizon, :func:`sim.costs.leads_per_unit`); a team's reps are its capacity. Referrals and
other channels money cannot buy (``fixed_volume``, or no ``cost_per_lead``) keep their volume,
and so do channels named ``fixed``; each other channel may be held within budget bounds.

:func:`optimise` ranks allocations by an objective -- profit by default (revenue minus marketing,
staff, hiring and commission: :mod:`sim.costs`), revenue, or the probability of reaching the
target -- and never recommends one that breaks a service level (:mod:`sim.service`: a wait limit
at a stage, a ceiling on every team's utilisation). The search, every candidate simulated on the
same replications (common random numbers, so candidates differ by their allocation, not by luck):

1. **greedy**: from each channel's lower bound, the budget is spent in equal steps, each on the
   channel whose extra leads raise the objective most while the service levels hold, with reps
   following the work (split over the teams in proportion to the rep time the funnel needs); it
   stops when no step helps (profit may fall as leads outrun the reps who work them);
2. **exchange**: from the best of that, the current allocation and the current budget with reps
   following its work, single moves -- a budget step from one channel to another, a step more or
   less (each with the reps as they are and with the reps following the work), one rep from a team
   to another -- are tried and the best improving one taken, until none improves. This catches what
   the greedy cannot see one channel at a time: budget and headcount interact (more inbound leads
   need more SDRs and account executives before they pay, and break a utilisation ceiling until
   they have them);
3. **scoring on fresh replications**: the chosen and the current allocation are simulated again
   on replications the search never saw, so the gain and its 95% interval are not inflated by the
   search having picked the luckiest candidate, and the service levels are checked there again.

A candidate that breaks a service level ranks below every one that keeps them; the report names
the limits that turned down better candidates (the ones that bind), and the returns curves move
each channel's budget in steps around where the budget actually goes.

:func:`focus_rules` and :func:`routing_rules` weigh the other levers practice names: the 80/20
focus rule -- every team serves its waiting leads by tier (``teams[].priority``), most valuable
tier first, against first come, first served -- and routing high-value leads to senior reps
(``stages[].routes`` to a team with a higher ``skill``) against pooling every rep.

Examples
--------
>>> import sim
>>> scenario = sim.load("playbooks/b2b_saas.yaml")
>>> current = current_allocation(scenario)
>>> sorted(current.budget), current.headcount["solutions"]  # referrals cannot be bought
(['inbound', 'outbound'], 18)
>>> round(apply(scenario, current).channels[0].leads_per_day, 6)
30.0
>>> by_value(scenario)
('A', 'B', 'C')
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from sim.costs import COSTS, COLUMNS as COST_COLUMNS, leads_per_day_bought, marketing_budget
from sim.experiments import OBJECTIVES, Objective, Strategy, compare
from sim.scenario import Scenario, _unknown
from sim.service import NO_LIMITS, Evaluation, ServiceLevels, evaluate
from sim.stats import mean_interval, spread
from sim.targets import allocate, reverse_funnel

__all__ = [
    "Allocation",
    "buyable",
    "current_allocation",
    "apply",
    "optimise",
    "score",
    "by_value",
    "focus_rules",
    "routing_rules",
]


@dataclass(frozen=True)
class Allocation:
    """Annual marketing budget per channel money can buy, and reps per team."""

    budget: dict[str, float]
    headcount: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"budget": {k: round(v, 2) for k, v in self.budget.items()}, "headcount": dict(self.headcount)}

    def key(self) -> tuple:
        return tuple(sorted((k, round(v, 2)) for k, v in self.budget.items())), tuple(sorted(self.headcount.items()))


def buyable(scenario: Scenario, fixed: Sequence[str] = ()) -> list[str]:
    """The channels whose volume money buys: a cost per lead, not ``fixed_volume``, not named in ``fixed``."""
    return [c.name for c in scenario.channels if c.cost_per_lead > 0 and not c.fixed_volume and c.name not in fixed]


def current_allocation(scenario: Scenario, fixed: Sequence[str] = ()) -> Allocation:
    """The scenario's own allocation: what its bought channels' expected leads cost over the horizon, and its
    headcount."""
    spent = {c.name: marketing_budget(scenario, c) for c in scenario.channels}
    return Allocation(
        budget={name: spent[name] for name in buyable(scenario, fixed)},
        headcount={t.name: t.headcount for t in scenario.teams},
    )


def apply(scenario: Scenario, allocation: Allocation) -> Scenario:
    """The scenario with the allocation's channel budgets (as leads per day) and headcounts, validated again."""
    channels = {c.name: (i, c) for i, c in enumerate(scenario.channels)}
    teams = {t.name: i for i, t in enumerate(scenario.teams)}
    overrides: dict[str, Any] = {}
    for name, amount in allocation.budget.items():
        i, channel = channels[name]
        overrides[f"channels.{i}.leads_per_day"] = leads_per_day_bought(scenario, channel, amount)
    for name, reps in allocation.headcount.items():
        overrides[f"teams.{teams[name]}.headcount"] = int(reps)
    return scenario.replace(overrides)


def _staffed(scenario: Scenario, budget: dict[str, float], headcount: int | None) -> Allocation:
    """``budget`` with reps following the work (when a total ``headcount`` is given)."""
    if headcount is None:
        return Allocation(budget, {t.name: t.headcount for t in scenario.teams})
    funded = apply(scenario, Allocation(budget))
    if not any(c.leads_per_day > 0 for c in funded.channels):  # no work to follow: the teams keep their shares
        shares = allocate(headcount, [t.headcount for t in scenario.teams])
        return Allocation(budget, {t.name: int(n) for t, n in zip(scenario.teams, shares)})
    work = reverse_funnel(funded, revenue=1.0).rep_days
    working = [t.name for t in scenario.teams if work[t.name] > 0]
    if headcount < len(working):
        raise ValueError(f"a headcount of {headcount} cannot staff the {len(working)} teams that work the funnel")
    extra = allocate(headcount - len(working), [work[name] for name in working])
    reps = {t.name: 0 for t in scenario.teams}
    reps.update({name: 1 + int(n) for name, n in zip(working, extra)})
    return Allocation(budget, reps)


def _score(evaluation: Evaluation, objective: Objective) -> float:
    return float(evaluation.replications[OBJECTIVES[objective]].mean())


def _rank(evaluation: Evaluation, objective: Objective) -> tuple[bool, float]:
    """Order of preference: every allocation that keeps the service levels before any that breaks one."""
    return evaluation.feasible, _score(evaluation, objective)


def _figures(values: pd.Series, target: float | None = None) -> dict[str, Any]:
    v = values.to_numpy(float)
    out: dict[str, Any] = spread(v)
    if target is not None or values.name == "revenue":
        out["p_hit_target"] = float((v >= target).mean()) if target else None
    return out


def _describe(allocation: Allocation, evaluation: Evaluation, target: float | None) -> dict[str, Any]:
    table = evaluation.replications
    return {
        **allocation.as_dict(),
        "revenue": _figures(table["revenue"], target),
        "profit": _figures(table["profit"]),
        "costs": {part: float(table[COST_COLUMNS[part]].mean()) for part in COSTS}
        | {"total": float(table["total_cost"].mean())},
        "service": evaluation.service(),
        "feasible": evaluation.feasible,
    }


def _paired(chosen: pd.Series, current: pd.Series) -> dict[str, Any]:
    """Mean paired difference, its 95% t interval and the share of replications in which ``chosen`` does better."""
    difference = chosen.to_numpy(float) - current.to_numpy(float)  # replication r saw the same luck in both
    return {**mean_interval(difference), "p_better": float((difference > 0).mean())}


def optimise(
    scenario: Scenario,
    budget: float,
    headcount: int | None = None,
    objective: Objective = "profit",
    steps: int = 10,
    replications: int = 40,
    seed: int = 0,
    engine: str = "fast",
    levels: ServiceLevels = NO_LIMITS,
    bounds: Mapping[str, tuple[float, float]] | None = None,
    fixed: Sequence[str] = (),
    max_rounds: int = 20,
) -> dict[str, Any]:
    """The allocation of ``budget`` (over the horizon) and ``headcount`` reps that is best by ``objective`` and
    keeps the service ``levels`` (see the module docs for the search).

    Parameters
    ----------
    scenario : the scenario whose channels and teams are allocated.
    budget : marketing budget over the horizon for the channels money buys (an upper limit: profit may be
        best below it).
    headcount : reps to split over the teams; ``None`` keeps each team's headcount.
    objective : ``"profit"``, ``"revenue"`` or ``"p_target"``.
    steps : the budget is spent in ``budget / steps`` steps.
    replications, seed, engine : the replications every candidate is simulated on (common random numbers);
        the final scoring uses the next ``replications`` ones.
    levels : the service levels a recommendation must keep.
    bounds : channel → (lowest, highest) budget.
    fixed : channels whose volume stays as it is (besides those money cannot buy).
    max_rounds : most rounds of the exchange search.

    Returns
    -------
    dict
        The current and the chosen allocation (budget, reps, revenue, profit, costs, service levels), the gain
        in the objective (and in revenue and profit) scored on fresh replications with its 95% interval, the
        limits that bind, the current allocation's service levels on the search's replications (a current
        allocation that breaks one there cannot be the recommendation), the returns curves and the greedy path.
    """
    if objective not in OBJECTIVES:
        raise ValueError(f"unknown objective {objective!r}; choose one of {', '.join(OBJECTIVES)}")
    names = [c.name for c in scenario.channels]
    for name in list(fixed) + list(bounds or {}):
        if name not in names:
            raise ValueError(_unknown(name, names, "channel"))
    paid = buyable(scenario, fixed)
    if not paid:
        raise ValueError("no channel has a cost per lead and a volume money can buy: there is no budget to allocate")
    if budget <= 0 or steps < 1:
        raise ValueError("budget must be positive and steps at least 1")
    target = scenario.targets.annual_revenue if scenario.targets else None
    if objective == "p_target" and target is None:
        raise ValueError("the p_target objective needs targets.annual_revenue in the scenario")
    levels.check(scenario)
    limits = {name: (0.0, budget) for name in paid}
    for name, (low, high) in (bounds or {}).items():
        if name not in paid:
            raise ValueError(f"channel '{name}' has a bound but its volume is fixed (money cannot buy it)")
        if not 0 <= low <= high:
            raise ValueError(f"channel '{name}': the bounds {low:g} to {high:g} are not 0 <= low <= high")
        limits[name] = (low, min(high, budget))
    if sum(low for low, _ in limits.values()) > budget:
        raise ValueError("the channels' lower bounds add up to more than the budget")
    step = budget / steps
    search = range(replications)
    seen: dict[tuple, tuple[Allocation, Evaluation]] = {}

    def run(allocation: Allocation) -> Evaluation:
        key = allocation.key()
        if key not in seen:
            seen[key] = allocation, evaluate(apply(scenario, allocation), search, seed, levels, engine)
        return seen[key][1]

    def within(spend: dict[str, float]) -> bool:
        return sum(spend.values()) <= budget * (1 + 1e-9) and all(
            limits[n][0] - 1e-6 <= v <= limits[n][1] + 1e-6 for n, v in spend.items()
        )

    # 1. greedy: a step at a time, where it raises the objective most within the service levels
    spend = {name: limits[name][0] for name in paid}
    best = _staffed(scenario, spend, headcount)
    path = []
    while True:
        candidates = []
        for name in paid:
            trial = {**spend, name: min(spend[name] + step, limits[name][1])}
            if trial[name] > spend[name] + 1e-6 and within(trial):
                allocation = _staffed(scenario, trial, headcount)
                candidates.append((_rank(run(allocation), objective), name, allocation))
        candidates.sort(key=lambda c: c[0], reverse=True)
        if not candidates or candidates[0][0] <= _rank(run(best), objective):
            break
        rank, name, best = candidates[0]
        spend = dict(best.budget)
        path.append(
            {
                "to": name,
                "score": rank[1],
                "keeps_service_levels": rank[0],
                "runner_up": candidates[1][1] if len(candidates) > 1 else None,
                "margin": rank[1] - candidates[1][0][1] if len(candidates) > 1 else None,
            }
        )

    # 2. exchange: single moves of a budget step or a rep, best improving move first, from the best of the greedy's
    # allocation, the current one and the current budget with reps following its work
    current = current_allocation(scenario, fixed)
    if within(current.budget):
        same_reps = headcount is None or sum(current.headcount.values()) == headcount
        starts = [best, _staffed(scenario, current.budget, headcount), *([current] if same_reps else [])]
        best = max(starts, key=lambda start: _rank(run(start), objective))
    for _ in range(max_rounds):
        moves = []
        for name in paid:
            for other in [None, *paid]:
                if other == name:
                    continue
                trial = dict(best.budget)
                trial[name] += step
                if other is not None:
                    trial[other] -= step
                moves.append(trial)
            moves.append({**best.budget, name: best.budget[name] - step})
        # a budget move with the reps as they are, and with the reps following the move's work: more leads of one
        # channel may pay only once the teams that work them have the reps
        trials = [
            allocation
            for trial in moves
            if within(trial)
            for allocation in (Allocation(trial, best.headcount), _staffed(scenario, trial, headcount))
        ]
        if headcount is not None:
            for team, reps in best.headcount.items():
                for other in best.headcount:
                    if other != team and reps > 1:
                        trials.append(
                            Allocation(
                                best.budget, {**best.headcount, team: reps - 1, other: best.headcount[other] + 1}
                            )
                        )
        better = [
            (rank, trial) for trial in trials if (rank := _rank(run(trial), objective)) > _rank(run(best), objective)
        ]
        if not better:
            break
        best = max(better, key=lambda b: b[0])[1]

    chosen_search = run(best)
    binding = Counter(
        limit
        for allocation, e in seen.values()
        if not e.feasible and _score(e, objective) > _score(chosen_search, objective)
        for limit in e.broken
    )

    # 3. scoring on fresh replications
    scored = score(scenario, best, current, range(replications, 2 * replications), seed, engine, levels, objective)
    return {
        "objective": objective,
        "budget": budget,
        "headcount": headcount,
        "replications": replications,
        "seed": seed,
        "engine": engine,
        "service_levels": levels.as_dict(),
        "bounds": {name: list(limits[name]) for name in paid},
        "fixed": [c.name for c in scenario.channels if c.name not in paid],
        "current": scored["current"],
        "chosen": scored["chosen"],
        "chosen_on_search": {"service": chosen_search.service(), "score": _score(chosen_search, objective)},
        "current_on_search": {"service": run(current).service(), "score": _score(run(current), objective)},
        "gain": scored["gain"],
        "revenue_gain": scored["revenue_gain"],
        "profit_gain": scored["profit_gain"],
        "binding": [{"limit": limit, "better_allocations_refused": n} for limit, n in binding.most_common()],
        "curves": _curves(
            best, run, paid, {name: (bounds or {}).get(name, (0.0, np.inf)) for name in paid}, step, objective
        ),
        "path": path,
        "evaluations": len(seen),
    }


def score(
    scenario: Scenario,
    chosen: Allocation,
    current: Allocation,
    fresh: range,
    seed: int = 0,
    engine: str = "fast",
    levels: ServiceLevels = NO_LIMITS,
    objective: Objective = "profit",
) -> dict[str, Any]:
    """The chosen and the current allocation simulated on the replications ``fresh`` (ones a search never saw):
    each described (revenue, profit, costs, service levels) and the paired gain in the objective, in revenue
    and in profit, with 95% intervals; ``gain["replications"]`` gives the first and last replication.

    >>> import sim
    >>> scenario = sim.load("playbooks/b2b_saas.yaml").replace({"horizon_days": 60})
    >>> current = current_allocation(scenario)
    >>> score(scenario, current, current, range(3, 5))["profit_gain"]["mean"]
    0.0
    """
    target = scenario.targets.annual_revenue if scenario.targets else None
    chosen_fresh = evaluate(apply(scenario, chosen), fresh, seed, levels, engine)
    current_fresh = evaluate(apply(scenario, current), fresh, seed, levels, engine)
    figure = OBJECTIVES[objective]
    return {
        "current": _describe(current, current_fresh, target),
        "chosen": _describe(chosen, chosen_fresh, target),
        "gain": {
            "objective": objective,
            **_paired(chosen_fresh.replications[figure], current_fresh.replications[figure]),
            "replications": [fresh.start, fresh.stop - 1],
        },
        "revenue_gain": _paired(chosen_fresh.replications["revenue"], current_fresh.replications["revenue"]),
        "profit_gain": _paired(chosen_fresh.replications["profit"], current_fresh.replications["profit"]),
    }


def _curves(
    chosen: Allocation,
    run,
    paid: list[str],
    limits: Mapping[str, tuple[float, float]],
    step: float,
    objective: Objective,
) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """Mean revenue and profit as one channel's budget moves by up to two steps around where the chosen
    allocation puts it (from its lower bound upwards for a channel it leaves there; past the total budget, to show
    what more would bring), or one team's headcount by up to two reps, the rest held."""

    def point(allocation: Allocation) -> dict[str, Any]:
        e = run(allocation)
        return {
            "revenue": float(e.replications.revenue.mean()),
            "profit": float(e.replications.profit.mean()),
            "score": _score(e, objective),
            "keeps_service_levels": e.feasible,
        }

    channels = {}
    for name in paid:
        amount, (low, high) = chosen.budget[name], limits[name]
        first = max(low, amount - 2 * step)
        amounts = sorted({round(min(high, first + j * step), 2) for j in range(5)} | {round(amount, 2)})
        channels[name] = [
            {"budget": a, **point(Allocation({**chosen.budget, name: a}, chosen.headcount))} for a in amounts
        ]
    teams = {}
    for name, reps in chosen.headcount.items():
        teams[name] = [
            {"headcount": n, **point(Allocation(chosen.budget, {**chosen.headcount, name: n}))}
            for n in range(max(1, reps - 2), reps + 3)
        ]
    return {"channels": channels, "teams": teams}


def by_value(scenario: Scenario) -> tuple[str, ...]:
    """The tiers, most expected revenue per lead first (conversion through the funnel x deal value)."""
    value = reverse_funnel(scenario, revenue=1.0).value_per_lead
    return tuple(sorted((t for t in scenario.tiers if t), key=lambda t: -value[t]))


def _with_priority(scenario: Scenario, priority: tuple[str, ...]) -> Scenario:
    return scenario.replace({f"teams.{i}.priority": list(priority) for i in range(len(scenario.teams))})


def _compare_rules(variants: dict[str, Scenario], replications: int, seed: int, engine: str) -> pd.DataFrame:
    """Each variant's mean revenue, deals won, days from lead to win, and its paired revenue gain over
    the first variant (95% interval; share of replications in which it does better), compared by
    :func:`sim.experiments.compare` on common random numbers."""
    comparison = compare(
        [Strategy(name, variant) for name, variant in variants.items()], replications, seed, engine, progress=False
    )
    revenue = comparison.figure("revenue")
    gain = revenue.sub(revenue.iloc[:, 0], axis=0)  # paired: replication r saw the same leads under every rule
    interval = comparison.differences("revenue").set_index("strategy")[["ci_low", "ci_high"]]
    runs = comparison.replications.groupby("strategy", sort=False)
    totals = runs[["won", "win_days_total"]].sum()
    table = pd.DataFrame(
        {
            "revenue": revenue.mean(),
            "won": runs.won.mean(),
            "days_to_win": totals.win_days_total / totals.won.clip(lower=1),
            "gain": gain.mean(),
            "gain_low": interval.ci_low.reindex(revenue.columns, fill_value=0.0),
            "gain_high": interval.ci_high.reindex(revenue.columns, fill_value=0.0),
            "p_better": (gain > 0).mean(),
        }
    )
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


def routing_rules(
    scenario: Scenario,
    stage: str,
    tiers: list[str],
    seniors: int,
    senior_skill: float,
    replications: int = 40,
    seed: int = 0,
    engine: str = "fast",
) -> pd.DataFrame:
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
    j = [t.name for t in scenario.teams].index(team.name)
    pooled = scenario.replace({f"teams.{j}.skill": pooled_skill})
    teams = [t.model_dump(mode="json", by_alias=True, exclude_defaults=True) for t in scenario.teams]
    seniors_team = {
        **teams[j],
        "name": f"{team.name} seniors",
        "headcount": seniors,
        "hires": [],
        "skill": senior_skill,
        "priority": [],
    }
    teams[j] = {**teams[j], "headcount": team.headcount - seniors}
    routes = {**scenario.stages[k].routes, **dict.fromkeys(tiers, seniors_team["name"])}
    routed = scenario.replace({"teams": [*teams, seniors_team], f"stages.{k}.routes": routes})
    label = f"{', '.join(tiers)} to {seniors} seniors"
    return _compare_rules({"pooled (any rep, any lead)": pooled, label: routed}, replications, seed, engine)
