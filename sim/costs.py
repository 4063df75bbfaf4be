"""What a simulated year costs, and the profit it leaves.

Four costs, each from the scenario's own figures and the replication's own luck:

- **marketing**: the year's leads of each channel times its ``cost_per_lead``;
- **staff**: each rep's days on the team within the year times the team's ``cost_per_rep_year``
  over 365 (a hire costs from the day they start, a leaver until the day they go, a vacancy
  nothing);
- **hiring**: the team's ``cost_per_hire`` for every planned hire and replacement who starts in
  the year;
- **commission**: for a team the scenario attaches an incentive plan to (``incentives``), what the
  plan pays beyond base salary on the replication's own deals, reps not responding
  (:func:`sim.incentives.variable_pay`); that needs to know which rep worked each deal, so a run
  that records no reps (the flow engine, the service-level searches) falls back to the flat rate.
  Otherwise, and for every other team, its ``commission_rate`` on the value of the deals won that
  passed through its hands (the tiers it works at any stage). :func:`commission_basis` says which.

Profit is revenue minus these. A cost the scenario does not give is not taken as zero in silence:
:func:`not_given` names what is missing, and every summary carries it beside the profit.

Examples
--------
>>> import sim
>>> from sim.model.staffing import Roster
>>> scenario = sim.loads('''
... name: Tiny
... horizon_days: 365
... channels: [{name: web, leads_per_day: 5, cost_per_lead: 10}]
... stages: [{name: sell, team: ae, work_days: {dist: fixed, value: 0.1}, conversion: 0.2}]
... teams: [{name: ae, headcount: 2, cost_per_rep_year: 73000, cost_per_hire: 5000, commission_rate: 0.05}]
... deal_value: {dist: fixed, value: 1000}
... ''')
>>> roster = Roster([-30.0, 0.0, 100.0], [400.0, 200.0, 500.0], [True, True, False], 0.0, 1.0)
>>> staff, hiring, commission = replication_costs(scenario, [roster], np.array([2_000_000.0]))
>>> staff, hiring, commission  # (365 + 200 + 265) days x 200 a day; one hire; 5% of 2M
(166000.0, 5000.0, 100000.0)
>>> not_given(scenario)
{}
>>> not_given(scenario.replace({"teams.ae.cost_per_rep_year": None}))
{'staff': 'teams without cost_per_rep_year: ae'}
"""

from __future__ import annotations

from typing import Collection, Sequence

import numpy as np
import pandas as pd

from sim.model.arrivals import daily_rates
from sim.model.staffing import Roster
from sim.scenario import Channel, Scenario

__all__ = [
    "COSTS",
    "COLUMNS",
    "replication_costs",
    "plan_inputs",
    "plan_commission",
    "commission_basis",
    "worked_by",
    "not_given",
    "given",
    "add_profit",
    "leads_per_unit",
    "marketing_budget",
    "leads_per_day_bought",
]

COSTS = ("marketing", "staff", "hiring", "commission")
"""The parts of a year's cost, in the order summaries show them."""

COLUMNS = {name: f"{name}_cost" for name in COSTS}
"""Each part's column in ``Results.replications``."""

DAYS_PER_YEAR = 365.0
"""A rep's yearly cost is spread over calendar days: a weekend on the payroll costs like a weekday."""


def leads_per_unit(scenario: Scenario, channel: Channel) -> float:
    """The leads ``channel`` brings over the horizon for each lead per day of its ``leads_per_day``: the horizon's
    days weighted by the seasonality, and only the working days for a channel that works only on them, so that a
    budget buys the leads the year will really cost.

    >>> import sim
    >>> scenario = sim.load("playbooks/b2b_saas.yaml")
    >>> inbound, outbound = scenario.channels[:2]
    >>> round(leads_per_unit(scenario, inbound)), leads_per_unit(scenario, outbound) < 260  # weekdays, holidays off
    (365, True)
    """
    unit = channel.model_copy(update={"leads_per_day": 1.0})  # a channel, not the scenario: nothing to validate
    return float(daily_rates(unit, scenario).sum())


def marketing_budget(scenario: Scenario, channel: Channel) -> float:
    """What ``channel``'s leads cost over the scenario's horizon at its ``leads_per_day``: the budget it spends.

    >>> import sim
    >>> scenario = sim.load("playbooks/b2b_saas.yaml")
    >>> inbound = scenario.channels[0]
    >>> round(leads_per_day_bought(scenario, inbound, marketing_budget(scenario, inbound)), 9) == inbound.leads_per_day
    True
    """
    return channel.leads_per_day * channel.cost_per_lead * leads_per_unit(scenario, channel)


def leads_per_day_bought(scenario: Scenario, channel: Channel, budget: float) -> float:
    """The ``leads_per_day`` that ``budget`` buys from ``channel`` over the scenario's horizon (the inverse of
    :func:`marketing_budget`; the channel must have a ``cost_per_lead``)."""
    return budget / channel.cost_per_lead / leads_per_unit(scenario, channel)


def worked_by(scenario: Scenario) -> np.ndarray:
    """Whether team ``i`` (row) works leads of tier ``j`` (column, ``scenario.tiers`` order) at any stage."""
    names = [t.name for t in scenario.teams]
    works = np.zeros((len(names), len(scenario.tiers)), dtype=bool)
    for stage in scenario.stages:
        for j, tier in enumerate(scenario.tiers):
            works[names.index(stage.team_for(tier)), j] = True
    return works


def replication_costs(
    scenario: Scenario, rosters: Sequence[Roster], revenue_by_tier: np.ndarray, priced: Collection[str] = ()
) -> tuple[float, float, float]:
    """Staff, hiring and flat-rate commission cost of one replication; a team without a figure adds nothing to
    that part (see :func:`not_given`).

    Parameters
    ----------
    scenario : the scenario run.
    rosters : the replication's roster of each team (:func:`sim.model.staffing.draw_rosters`).
    revenue_by_tier : value of the deals won in the year, per tier (``scenario.tiers`` order).
    priced : teams whose commission their plan prices (:func:`plan_commission`): no flat rate for them.
    """
    horizon = float(scenario.horizon_days)
    staff = hiring = 0.0
    for team, roster in zip(scenario.teams, rosters):
        if team.cost_per_rep_year is not None:
            days = np.clip(np.minimum(roster.end, horizon) - np.maximum(roster.start, 0.0), 0.0, None).sum()
            staff += float(days) * team.cost_per_rep_year / DAYS_PER_YEAR
        if team.cost_per_hire is not None:
            joined = (~roster.seasoned) & (roster.start >= 0.0) & (roster.start < horizon)
            hiring += int(joined.sum()) * team.cost_per_hire
    rates = np.array([0.0 if t.name in priced else t.commission_rate or 0.0 for t in scenario.teams])
    return staff, hiring, float(rates @ worked_by(scenario) @ np.asarray(revenue_by_tier, dtype=float))


def plan_inputs(scenario: Scenario, tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The part of a replication's per-lead tables (:func:`sim.results.detail_tables`) the scenario's plans are
    paid on: the stages their teams worked, the last stage's decisions and those leads, the teams' reps. Kept
    for a whole block of replications, then paid at once (:func:`plan_commission`): one pass over many
    replications costs little more than over one."""
    teams = list(scenario.incentives)
    times = tables["stage_times"]
    mine = times["team"].isin(teams).to_numpy() | (times["stage"].cat.codes.to_numpy() == len(scenario.stages) - 1)
    times = times.loc[mine, ["replication", "lead", "stage", "team", "rep", "start", "end", "converted"]]
    leads = tables["leads"]
    final = times[times["stage"].cat.codes.to_numpy() == len(scenario.stages) - 1]
    return {
        "stage_times": times,
        "leads": leads[leads["lead"].isin(final["lead"])],
        "reps": tables["reps"][tables["reps"]["team"].isin(teams)],
    }


def plan_commission(scenario: Scenario, inputs: Sequence[dict[str, pd.DataFrame]]) -> pd.Series:
    """Per replication: what the scenario's incentive plans pay beyond base salary on its deals, reps not
    responding (:func:`sim.incentives.variable_pay`), from each replication's :func:`plan_inputs`."""
    from sim.incentives import variable_pay  # the plans read Results, which read this module
    from sim.results import Results

    tables = {name: pd.concat([part[name] for part in inputs], ignore_index=True) for name in inputs[0]}
    run = Results(scenario, "", 0, pd.DataFrame(), pd.DataFrame(), pd.DataFrame(), tables)
    replications = pd.Index(tables["reps"]["replication"].unique())
    return sum(variable_pay(run, plan).reindex(replications, fill_value=0.0) for plan in scenario.incentives.values())


def commission_basis(scenario: Scenario, priced: bool) -> str | None:
    """How the commission cost was reckoned, in words (``None`` when the scenario gives none); ``priced``: the
    attached plans were applied to the run's deals.

    >>> import sim
    >>> scenario = sim.load("playbooks/building_materials.yaml")  # attaches the distributor plan
    >>> commission_basis(scenario, priced=True)
    "plans applied to the run's deals, reps not responding: account managers (distributor)"
    >>> commission_basis(scenario, priced=False)
    'flat commission_rate: account managers 0.015; the run recorded no reps to apply the plans of account managers to'
    >>> commission_basis(sim.load("playbooks/b2b_saas.yaml"), priced=True)  # no plan attached
    'flat commission_rate: account_execs 0.08'
    """
    planned = list(scenario.incentives) if priced else []
    flat = [t for t in scenario.teams if t.commission_rate is not None and t.name not in planned]
    parts = []
    if planned:
        parts.append(
            "plans applied to the run's deals, reps not responding: "
            + ", ".join(f"{team} ({plan.name})" for team, plan in scenario.incentives.items())
        )
    if flat:
        parts.append("flat commission_rate: " + ", ".join(f"{t.name} {t.commission_rate:.4g}" for t in flat))
    if scenario.incentives and not priced:
        parts.append(f"the run recorded no reps to apply the plans of {', '.join(scenario.incentives)} to")
    return "; ".join(parts) or None


def not_given(scenario: Scenario) -> dict[str, str]:
    """The costs the scenario leaves out, each with what is missing; empty when every figure is given.

    Hiring is missing only for a team that takes people on (hires or attrition) without a cost per
    hire; commission where no team has a rate (teams paid no commission need none); marketing only where a channel
    has no cost per lead (its leads are then free).
    """
    missing: dict[str, str] = {}
    free = [c.name for c in scenario.channels if c.cost_per_lead == 0]
    if free:
        missing["marketing"] = f"channels without cost_per_lead (counted as free): {', '.join(free)}"
    for part, field in (("staff", "cost_per_rep_year"), ("hiring", "cost_per_hire")):
        # hiring matters only to teams that take people on: planned hires or replacements of leavers
        teams = [
            t.name
            for t in scenario.teams
            if getattr(t, field) is None and (part == "staff" or t.hires or t.attrition is not None)
        ]
        if teams:
            missing[part] = f"teams without {field}: {', '.join(teams)}"
    if all(t.commission_rate is None for t in scenario.teams) and not scenario.incentives:
        missing["commission"] = "no team has a commission_rate or an incentive plan"
    return missing


def given(scenario: Scenario) -> tuple[str, ...]:
    """The parts of :data:`COSTS` the scenario gives a figure for, for some team at least (marketing always:
    a channel's cost per lead is 0 unless stated)."""
    fields = {"staff": "cost_per_rep_year", "hiring": "cost_per_hire", "commission": "commission_rate"}
    return tuple(
        part
        for part in COSTS
        if part == "marketing"
        or (part == "commission" and scenario.incentives)
        or any(getattr(t, fields[part]) is not None for t in scenario.teams)
    )


def add_profit(replications: pd.DataFrame) -> pd.DataFrame:
    """``replications`` with ``total_cost`` (the four parts) and ``profit`` (revenue minus it) added."""
    total = sum(replications[column] for column in COLUMNS.values())
    return replications.assign(total_cost=total, profit=replications["revenue"] - total)
