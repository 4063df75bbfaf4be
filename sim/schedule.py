"""When to buy leads and whom to staff so that each month's revenue target is met: the lagged plan.

The reverse funnel (:func:`sim.targets.reverse_funnel`) says how many leads a revenue target
needs, but not when: a deal closes one cycle after its lead arrives. Here the monthly targets
are met in time. Revenue in month ``m`` is what the opening pipeline brings (the warm-up's
leads still in the funnel at day 0, at the scenario's own rates) plus what the leads bought in
each month bring in ``m`` (:class:`sim.cycle.Cycle`, with leads going cold). The leads to buy are
the non-negative monthly volumes whose expected revenue matches the targets best, relatively,
with a soft-L1 loss (a month the plan cannot reach, because its revenue needed leads before the
year started, misses on its own instead of pulling its neighbours off target) and a faint
smoothness term that settles the months whose leads only close after the year.

Each team's work then follows from when leads reach its stages (the opening pipeline's too),
and the reps it needs from that work at no more than ``max_utilisation`` of its working days;
where the reps it has (hires, ramp-up and attrition included) fall short, reps are hired early
enough to finish ramping up by the month that needs them. The queues of the staffed teams feed
back into the cycle (waits delay deals and cool leads), and the leads are solved again.

:func:`planned_scenario` writes the result as a scenario that carries the plan out: the
channels' lead volumes by month, the teams' hires, and the opening pipeline of the scenario as
it stands (``opening.lead_flow``). Simplifications, named: the channels keep their share of the
year's leads every month; queue waits use each team's average load over the year.

Examples
--------
>>> import sim
>>> from sim.targets import split_months
>>> scenario = sim.load("playbooks/b2b_saas.yaml")
>>> plan = schedule(scenario, split_months(24_000_000, scenario, "even"))
>>> bool(abs(plan.revenue.sum() / 24_000_000 - 1) < 0.05)
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Callable

import numpy as np
import pandas as pd
from scipy.optimize import least_squares

from sim.calendar import DEFAULT_START, month_of_day
from sim.cycle import Cycle, Queue, lead_mix, sales_cycle
from sim.model.arrivals import daily_rates
from sim.model.opening import warmup_days
from sim.model.staffing import Roster, draw_roster
from sim.scenario import Scenario, Team
from sim.streams import STAFFING, generator
from sim.worktime import working_days

__all__ = ["Schedule", "schedule", "planned_scenario", "productive_reps", "revenue_seasonality"]


@dataclass(frozen=True)
class Schedule:
    """A monthly plan in time (see the module docs); every array has one value per month of ``months``.

    ``leads`` are the leads to buy (all channels), ``revenue`` the revenue they and the opening
    pipeline are expected to bring (``opening_revenue`` of it from the opening), ``entering`` per
    stage the leads entering it, ``rep_days`` per team its work, ``required_reps`` per team the
    productive reps that work needs, ``available_reps`` those it has, ``hires`` per team the
    ``(day, count)`` hires that close the gap, and ``problems`` what the plan cannot do, in words.
    """

    months: pd.PeriodIndex
    target: np.ndarray
    leads: np.ndarray
    leads_by_channel: dict[str, np.ndarray]
    budget: np.ndarray
    revenue: np.ndarray
    opening_revenue: np.ndarray
    entering: dict[str, np.ndarray]
    rep_days: dict[str, np.ndarray]
    required_reps: dict[str, np.ndarray]
    available_reps: dict[str, np.ndarray]
    hires: dict[str, list[tuple[int, int]]]
    problems: list[str] = field(default_factory=list)


def productive_reps(scenario: Scenario, rosters: int = 200) -> pd.DataFrame:
    """Mean productive reps per team (columns) and calendar month (rows), averaged over ``rosters``
    simulated rosters: a rep ramping up counts by productivity, attrition takes its share."""
    return pd.DataFrame(
        {
            team.name: _team_available(team, i, scenario.horizon_days, scenario.start_date, rosters)
            for i, team in enumerate(scenario.teams)
        }
    )


@lru_cache(maxsize=256)  # a plan is redrawn on every widget change; a team's roster rarely changes
def _team_available(team: Team, index: int, horizon_days: int, start_date, rosters: int) -> pd.Series:
    days = np.arange(horizon_days, dtype=float)
    months = (pd.Timestamp(start_date or DEFAULT_START) + pd.to_timedelta(days, unit="D")).to_period("M")
    draws = rosters if team.attrition else 1
    total = np.zeros(len(days))
    for r in range(draws):
        roster = draw_roster(team, horizon_days, generator(0, r, STAFFING, index))
        for rep in range(len(roster)):
            on = (days >= roster.start[rep]) & (days < roster.end[rep])
            total += on * roster.productivity(rep, days)
    return pd.Series(total / draws).groupby(months).mean()


def _edges(scenario: Scenario, months: pd.PeriodIndex) -> np.ndarray:
    """Day (from day 0) each month starts, and the last one ends; the first month starts on day 0."""
    start = pd.Timestamp(scenario.start_date or DEFAULT_START)
    edges = [(m.start_time - start).days for m in months] + [(months[-1].end_time.normalize() - start).days + 1]
    edges[0] = max(edges[0], 0)
    return np.array(edges, dtype=float)


def _opening(scenario: Scenario) -> tuple[list[tuple[float, float]], np.ndarray]:
    """The warm-up as intervals of constant rate (calendar months, cut at day 0), and the leads in each."""
    days = warmup_days(scenario)
    if days <= 0:
        return [], np.zeros(0)
    rates = sum(daily_rates(c, scenario, -days)[:days] for c in scenario.channels)
    month = month_of_day(scenario.start_date, 0, -days)
    cuts = np.flatnonzero(np.diff(month)) + 1
    bounds = np.concatenate([[0], cuts, [days]])
    return (
        [(float(a - days), float(b - days)) for a, b in zip(bounds[:-1], bounds[1:])],
        np.array([rates[a:b].sum() for a, b in zip(bounds[:-1], bounds[1:])]),
    )


def revenue_seasonality(scenario: Scenario) -> np.ndarray:
    """Expected revenue in each calendar month (January first) of the horizon's first year, at the
    scenario's own lead rates: the lead seasonality shifted by the cycle, opening pipeline (usual or
    listed) included.

    >>> import sim
    >>> seasons = revenue_seasonality(sim.load("playbooks/b2b_saas.yaml"))
    >>> len(seasons), bool((seasons > 0).all())
    (12, True)
    """
    return _revenue_seasonality(scenario.model_dump_json()).copy()


@lru_cache(maxsize=64)  # the split is redrawn on every widget change; the scenario's rates rarely change
def _revenue_seasonality(text: str) -> np.ndarray:
    scenario = Scenario.model_validate_json(text)
    start = pd.Timestamp(scenario.start_date or DEFAULT_START)
    months = pd.period_range(start.to_period("M"), periods=12, freq="M")
    edges = _edges(scenario, months)
    warm, warm_leads = _opening(scenario)
    rates = sum(daily_rates(c, scenario)[: int(edges[-1])] for c in scenario.channels)
    bought = [rates[int(a) : int(b)].sum() for a, b in zip(edges[:-1], edges[1:])]
    cycle = sales_cycle(scenario)
    revenue = cycle.monthly(
        "won", warm + list(zip(edges[:-1], edges[1:])), edges, weights=cycle.value
    ) @ np.concatenate([warm_leads, bought]) + _listed(scenario, cycle, edges)("won")
    by_calendar_month = np.zeros(12)
    np.add.at(by_calendar_month, [m.month - 1 for m in months], revenue)
    return by_calendar_month


def _days_worked(scenario: Scenario, calendar, edges: np.ndarray) -> np.ndarray:
    """Days of each month (``edges``) worked on ``calendar`` (every day without one)."""
    if calendar is None:
        return np.diff(edges)
    flags = working_days(calendar, scenario.start_date, 0, int(edges[-1]))
    return np.array([flags[int(a) : int(b)].sum() for a, b in zip(edges[:-1], edges[1:])], dtype=float)


def _solve_leads(
    revenue_per_lead: np.ndarray, opening: np.ndarray, target: np.ndarray, spans: np.ndarray
) -> np.ndarray:
    """Non-negative monthly leads whose revenue matches ``target`` (see the module docs); the smoothness
    term is on leads per day (``spans``: days of each month), so a short month is not a change of pace."""
    scale = np.where(target > 0, target, np.inf)
    needed = np.clip(target - opening, 0, None)
    typical = max(needed.sum(), target.sum() * 0.01) / max(revenue_per_lead.sum(), 1e-12)  # leads a month, roughly
    pace = typical / spans.mean()

    def residuals(x: np.ndarray) -> np.ndarray:
        miss = (revenue_per_lead @ x + opening - target) / scale
        return np.concatenate([miss[np.isfinite(scale)], 0.05 * np.diff(x / spans) / pace])

    fit = least_squares(
        residuals, np.full(len(target), typical), bounds=(0, np.inf), loss="soft_l1", f_scale=0.05, x_scale=typical
    )
    return fit.x


def _mean_productivity(hire: Roster, days: np.ndarray) -> float:
    """Mean productivity over ``days`` of the one rep of ``hire`` (nought before the start; its ramp-up)."""
    return float(((days >= hire.start[0]) * hire.productivity(0, days)).mean())


def _hires(
    team: Team, gap: np.ndarray, edges: np.ndarray, month_names: list[str]
) -> tuple[list[tuple[int, int]], list[str]]:
    """Hires that close a team's gap of productive reps month by month, each ramped up in time."""
    ramp_days = team.ramp.days if team.ramp else 0.0
    first = team.ramp.initial_productivity if team.ramp else 1.0

    def hired_on(day: float) -> Roster:
        return Roster([day], [np.inf], [False], ramp_days, first)

    hires: list[tuple[int, int]] = []
    problems = []
    for m in range(len(gap)):
        lo, hi = edges[m], edges[m + 1]
        days = np.arange(lo, hi) + 0.5
        have = sum(n * _mean_productivity(hired_on(d), days) for d, n in hires)
        need = gap[m] - have
        if need <= 0.05:
            continue
        day = max(0, math.floor(lo - ramp_days))
        count = math.ceil(need / max(_mean_productivity(hired_on(day), days), 1e-9) - 0.05)
        hires.append((day, count))
        if lo - ramp_days < 0 and ramp_days > 0:
            problems.append(
                f"{team.name}: {count} more reps needed in {month_names[m]} cannot finish their "
                f"{ramp_days:g}-day ramp-up in time; hired on day {day}"
            )
    return hires, problems


def schedule(scenario: Scenario, target: pd.Series, max_utilisation: float = 0.85) -> Schedule:
    """The lagged plan for monthly revenue ``target`` (a series indexed by month), see the module docs."""
    months = pd.PeriodIndex(target.index, freq="M")
    names = [str(m) for m in months]
    goal = target.to_numpy(dtype=float)
    edges = _edges(scenario, months)
    bought = list(zip(edges[:-1], edges[1:]))
    warm, warm_leads = _opening(scenario)
    channel_share, _ = lead_mix(scenario)
    available = productive_reps(scenario).reindex(months, fill_value=0.0)
    teams = [t.name for t in scenario.teams]
    team_days = {name: _days_worked(scenario, scenario.calendar_of(i), edges) for i, name in enumerate(teams)}
    queues: dict[str, Queue] | None = None
    for _ in range(2):  # without queues, then with the queues of the staffed teams
        cycle = sales_cycle(scenario, queues)
        leads, revenue, opening_revenue, entering, rep_days = _flows(
            scenario, cycle, goal, edges, bought, warm, warm_leads
        )
        required, have, hires, problems = {}, {}, {}, []
        for i, name in enumerate(teams):
            days = team_days[name]
            required[name] = rep_days[name] / np.maximum(days, 1e-9) / max_utilisation
            have[name] = available[name].to_numpy() * days / np.maximum(days, 1e-9)
            hires[name], short = _hires(scenario.teams[i], required[name] - have[name], edges, names)
            problems += short
        queues = {}
        for name in teams:
            worked = sum(entering[s.name].sum() for s in scenario.stages if s.team == name)
            staffed = np.maximum(have[name], required[name])  # the plan staffs each month to what it needs
            load = float(rep_days[name].sum() / max(team_days[name].sum(), 1e-9))
            queues[name] = Queue(
                reps=float(np.mean(staffed)),
                load=load,
                work_days=float(rep_days[name].sum() / worked) if worked > 0 else 0.0,
            )
    for m, name in enumerate(names):
        if goal[m] > 0 and abs(revenue[m] / goal[m] - 1) > 0.15:
            reason = (
                f"the pipeline the year opens with brings {opening_revenue[m]:,.0f} by itself"
                if opening_revenue[m] > goal[m]
                else "its deals needed leads before the year started"
                if revenue[m] < goal[m] and m < 3
                else "the months around it ask for other volumes of leads"
            )
            problems.append(f"{name}: expected revenue {revenue[m]:,.0f} against a target of {goal[m]:,.0f}: {reason}")
    for stage in scenario.stages:
        if stage.work_days.mean <= 0:
            problems.append(
                f"stage {stage.name} takes no rep time in this scenario (calibrated from an export "
                "that records no effort?): its team's staffing cannot be checked"
            )
    cost = np.array([c.cost_per_lead for c in scenario.channels])
    return Schedule(
        months=months,
        target=goal,
        leads=leads,
        leads_by_channel={c.name: leads * s for c, s in zip(scenario.channels, channel_share)},
        budget=leads * float(cost @ channel_share),
        revenue=revenue,
        opening_revenue=opening_revenue,
        entering=entering,
        rep_days=rep_days,
        required_reps=required,
        available_reps=have,
        hires=hires,
        problems=problems,
    )


def _flows(
    scenario: Scenario,
    cycle: Cycle,
    goal: np.ndarray,
    edges: np.ndarray,
    bought: list,
    warm: list,
    warm_leads: np.ndarray,
) -> tuple:
    """Leads to buy, then the revenue, stage entries and team work they and the opening pipeline bring."""
    intervals = warm + bought
    split = len(warm)

    def per_month(event: str, stage: int | None = None, weights: np.ndarray | None = None) -> tuple:
        matrix = cycle.monthly(event, intervals, edges, stage, weights)
        return matrix[:, split:], matrix[:, :split] @ warm_leads

    listed = _listed(scenario, cycle, edges)
    revenue_per_lead, opening_revenue = per_month("won", weights=cycle.value)
    opening_revenue = opening_revenue + listed("won")
    leads = _solve_leads(revenue_per_lead, opening_revenue, goal, np.diff(edges))
    revenue = revenue_per_lead @ leads + opening_revenue
    entering, rep_days = {}, {t.name: np.zeros(len(goal)) for t in scenario.teams}
    for k, stage in enumerate(scenario.stages):
        new, old = per_month("enter", k)
        entering[stage.name] = new @ leads + old + listed("enter", k)
        for i, team in enumerate(scenario.teams):
            work = np.where(cycle.team[:, k] == i, cycle.work[:, k], 0.0)
            if work.any():
                new, old = per_month("start", k, work)
                rep_days[team.name] += new @ leads + old + listed("start", k, work)
    return leads, revenue, opening_revenue, entering, rep_days


def _listed(scenario: Scenario, cycle: Cycle, edges: np.ndarray) -> Callable[..., np.ndarray]:
    """Events by month from the opening pipeline's listed deals (:meth:`sim.cycle.Cycle.from_stage`): a function
    of the event, stage and per-tier weights (``"won"``: each deal's value, or its tier's mean)."""
    deals = scenario.opening.pipeline if scenario.opening is not None else ()
    stages = [s.name for s in scenario.stages]
    tiers = list(scenario.tiers)
    groups: dict[tuple[int, int], list] = {}
    for deal in deals:
        groups.setdefault(
            (tiers.index(deal.tier) if deal.tier is not None else 0, stages.index(deal.stage)), []
        ).append(deal)

    def events(event: str, stage: int | None = None, weights: np.ndarray | None = None) -> np.ndarray:
        total = np.zeros(len(edges) - 1)
        for (t, entry), group in groups.items():
            if event == "enter" and stage == entry:
                continue  # the deals stand in their stage on day 0: not entries of the year, as in the engines
            count = np.array([d.count for d in group], dtype=float)
            if event == "won":
                weight = np.array([d.value if d.value is not None else cycle.value[t] for d in group], dtype=float)
            else:
                weight = np.full(len(group), float(weights[t, stage]) if weights is not None else 1.0)
            conversion = [np.nan if d.conversion is None else d.conversion for d in group]
            total += cycle.from_stage(
                event, t, entry, edges, stage, count * weight, conversion, [d.age_days for d in group]
            )
        return total

    return events


def planned_scenario(scenario: Scenario, plan: Schedule) -> Scenario:
    """The scenario that carries ``plan`` out: each channel's leads by month (``leads_per_day`` and
    ``seasonality``), the teams' hires, and the opening pipeline of ``scenario`` as it stands."""
    edges = _edges(scenario, plan.months)
    every_day = np.diff(edges)
    on_calendar = _days_worked(scenario, scenario.calendar, edges)
    calendar_month = np.array([m.month - 1 for m in plan.months])
    overrides: dict[str, Any] = {}
    for channel in scenario.channels:
        days = np.maximum(on_calendar, 1) if channel.working_days_only else every_day
        per_day = plan.leads_by_channel[channel.name] / days
        seasonality = np.ones(12)
        for m, rate in zip(calendar_month, per_day):
            seasonality[m] = rate
        mean = float(seasonality.mean())
        overrides[f"channels.{channel.name}.leads_per_day"] = round(mean, 6)
        overrides[f"channels.{channel.name}.seasonality"] = (
            [round(float(s / mean), 6) for s in seasonality] if mean > 0 else None
        )
    opening = scenario.opening.model_dump(mode="json") if scenario.opening is not None else {}
    opening["lead_flow"] = {  # before day 0 the leads came as they come now, unless the scenario says otherwise
        c.name: opening.get("lead_flow", {}).get(c.name)
        or c.model_dump(mode="json", include={"leads_per_day", "seasonality"})
        for c in scenario.channels
    }
    overrides["opening"] = opening
    for team in scenario.teams:
        if plan.hires[team.name]:
            old = [h.model_dump(mode="json") for h in team.hires]
            overrides[f"teams.{team.name}.hires"] = old + [{"day": d, "count": n} for d, n in plan.hires[team.name]]
    overrides["name"] = f"{scenario.name} (planned)"
    overrides["targets"] = {"annual_revenue": float(plan.target.sum())}
    return scenario.replace(overrides)
