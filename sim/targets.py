"""Target breakdown: the annual target split over months and units, and the reverse funnel.

A director plans the year top down: the annual revenue target is split over months (evenly,
by seasonality, front-loaded, or in 11 months with the 12th held as a reserve sprint), then
over units (customer tiers, channels, reps), and each revenue target is turned into the won
deals, stage entries, leads, rep work and marketing budget it needs (the *reverse funnel*),
from the scenario's conversion rates, deal values and costs.

Splits add up exactly: amounts are rounded to the currency unit by the largest-remainder
method, so units always sum to their parent and months to the annual target.

Examples
--------
>>> allocate(100, [1, 1, 1])
array([34, 33, 33])
>>> month_weights("reserve", reserve_month=12).round(4).tolist()[-2:]
[0.0909, 0.0]
>>> import sim
>>> w1 = sim.load("benchmarks/w1.yaml")       # conversions 0.3, 0.5, 0.5, 0.8, 0.95
>>> funnel = reverse_funnel(w1, revenue=1000 * w1.deal_value.mean)
>>> round(funnel.deals), round(funnel.leads)  # 1000 / (0.3 x 0.5 x 0.5 x 0.8 x 0.95)
(1000, 17544)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Mapping, Sequence

import numpy as np
import pandas as pd

from sim.calendar import DEFAULT_START
from sim.crm import CrmImport
from sim.cycle import lead_mix
from sim.model.staffing import draw_roster
from sim.scenario import Calendar, Scenario
from sim.schedule import Schedule, revenue_seasonality, schedule
from sim.worktime import working_days as _working_days

__all__ = [
    "METHODS",
    "allocate",
    "month_weights",
    "split_months",
    "monthly_targets",
    "split",
    "ReverseFunnel",
    "reverse_funnel",
    "working_days",
    "days_per_week",
    "REP_BASES",
    "rep_weights",
]

METHODS = ("even", "seasonal", "reserve", "front_loaded")
Method = Literal["even", "seasonal", "reserve", "front_loaded"]
REP_BASES = ("capacity", "history", "pipeline")
RepBasis = Literal["capacity", "history", "pipeline"]


def allocate(total: int, weights: Sequence[float]) -> np.ndarray:
    """Split the whole number ``total`` in proportion to ``weights``, exactly (largest remainder).

    Every share is the floor of its exact quota; the units left over go to the largest
    remainders (ties to the earlier share), so the shares always add up to ``total``.
    """
    w = np.asarray(weights, dtype=float)
    if total < 0 or int(total) != total:
        raise ValueError(f"{total!r} is not a whole amount of zero or more")
    if len(w) == 0 or (w < 0).any() or not np.isfinite(w).all() or w.sum() <= 0:
        raise ValueError("weights must be finite, zero or positive, and not all zero")
    quotas = int(total) * w / w.sum()
    shares = np.floor(quotas).astype(np.int64)
    left = int(total) - int(shares.sum())
    if left:
        order = np.argsort(-(quotas - shares), kind="stable")
        shares[order[:left]] += 1
    return shares


def month_weights(
    method: Method = "even",
    *,
    reserve_month: int = 12,
    reserve_share: float = 0.0,
    seasonality: Sequence[float] | None = None,
    front_loading: float = 0.3,
) -> np.ndarray:
    """Weights of the 12 months (January first, summing to 1) for a split ``method``.

    - ``even``: every month alike.
    - ``seasonal``: in proportion to ``seasonality`` (12 values: last year's revenue by month,
      or the channels' lead volume; see :func:`split_months`).
    - ``reserve``: the year planned in 11 months; ``reserve_month`` (1-12) carries only
      ``reserve_share`` of the target (0 by default: a sprint month to catch up), the other
      months share the rest evenly, or by ``seasonality`` when given.
    - ``front_loaded``: weights falling linearly through the year; ``front_loading`` (0 to 1)
      is how much more January carries than the average month.
    """
    if method == "even":
        w = np.ones(12)
    elif method == "seasonal":
        if seasonality is None or len(seasonality) != 12:
            raise ValueError("the seasonal split needs 12 monthly weights (history or the channels' seasonality)")
        w = np.asarray(seasonality, dtype=float)
    elif method == "reserve":
        if not 1 <= reserve_month <= 12:
            raise ValueError(f"reserve_month {reserve_month} is not a month (1 to 12)")
        if not 0 <= reserve_share < 1:
            raise ValueError(f"reserve_share {reserve_share} is not a share below 1")
        w = np.ones(12) if seasonality is None else np.asarray(seasonality, dtype=float).copy()
        w[reserve_month - 1] = 0.0
        w = w / w.sum() * (1 - reserve_share)
        w[reserve_month - 1] = reserve_share
    elif method == "front_loaded":
        if not 0 <= front_loading < 1:
            raise ValueError(f"front_loading {front_loading} is not between 0 and 1")
        w = 1 + front_loading * np.linspace(1, -1, 12)
    else:
        raise ValueError(f"unknown split method {method!r}; choose one of {', '.join(METHODS)}")
    if (w < 0).any() or w.sum() <= 0:
        raise ValueError("monthly weights must be zero or positive and not all zero")
    return w / w.sum()


def split_months(total: int, scenario: Scenario, method: Method = "even", **options) -> pd.Series:
    """The annual target by month of the plan year (from ``start_date``), in whole currency units.

    ``seasonal`` and ``reserve`` follow the scenario's revenue seasonality unless ``seasonality`` is
    given: its lead seasonality shifted by the sales cycle (:func:`sim.schedule.revenue_seasonality`),
    so a month's target falls when its deals close, not when their leads arrive.
    """
    if method in ("seasonal", "reserve") and options.get("seasonality") is None:
        if method == "seasonal" or any(c.seasonality for c in scenario.channels):
            options["seasonality"] = revenue_seasonality(scenario)
    weights = month_weights(method, **options)
    start = scenario.start_date or DEFAULT_START
    months = pd.period_range(pd.Period(start, "M"), periods=12, freq="M")
    calendar_order = [m.month - 1 for m in months]  # weights are January first; the plan year may start later
    return pd.Series(allocate(total, weights[calendar_order]), index=months, name="revenue_target")


def monthly_targets(scenario: Scenario, annual: int | None = None, method: Method = "even", **options) -> pd.Series:
    """The plan's revenue target by month: ``annual`` (default: the scenario's ``targets.annual_revenue``)
    split by ``method`` (:func:`split_months`), as :func:`plan_table` splits it.

    >>> import sim
    >>> int(monthly_targets(sim.load("playbooks/b2b_saas.yaml"), 1_200_000).iloc[0])
    100000
    """
    if annual is None:
        if scenario.targets is None:
            raise ValueError("give the annual target, or set targets.annual_revenue in the scenario")
        annual = round(scenario.targets.annual_revenue)
    return split_months(int(annual), scenario, method, **options)


def split(total: int, weights: Mapping[str, float]) -> dict[str, int]:
    """Split a whole amount over named units in proportion to ``weights``, exactly."""
    return dict(zip(weights, allocate(total, list(weights.values())).tolist()))


def working_days(month: pd.Period, calendar: Calendar | None = None) -> int:
    """Days of ``month`` that reps on ``calendar`` work (every day without one, as the engines do).

    >>> from sim.scenario import Calendar
    >>> working_days(pd.Period("2027-02", "M")), working_days(pd.Period("2027-02", "M"), Calendar())
    (28, 20)
    """
    if calendar is None:
        return int(month.days_in_month)
    first = month.start_time.date()
    return int(_working_days(calendar, first, 0, int(month.days_in_month)).sum())


def days_per_week(calendar: Calendar | None) -> int:
    """Weekdays worked on ``calendar`` (seven without one)."""
    return 7 if calendar is None else len(calendar.working_days)


@dataclass(frozen=True)
class ReverseFunnel:
    """What a revenue target needs, in expectation, at the scenario's rates.

    ``entering`` holds, per stage, the leads that must enter it; ``rep_days`` per team the rep
    time that work takes; ``budget`` the marketing cost of the leads; ``by_tier`` the share of
    revenue each customer tier brings; ``value_per_lead`` what one lead of each tier brings;
    ``worked`` per team the leads its reps work (calls, meetings, visits) across its stages.
    """

    revenue: float
    deals: float
    leads: float
    entering: dict[str, float]
    rep_days: dict[str, float]
    budget: float
    leads_by_channel: dict[str, float]
    by_tier: dict[str, float]
    average_deal: float
    value_per_lead: dict[str, float]
    worked: dict[str, float]


def reverse_funnel(scenario: Scenario, revenue: float, challenge: float = 1.0) -> ReverseFunnel:
    """From a revenue target to deals, stage entries, leads, rep work and budget.

    ``challenge`` (e.g. 1.1) raises the plan above the target, as practice advises for
    personal targets. Tiers are followed separately (an A lead converts and pays differently
    from a C lead), so the answer is exact in expectation for the scenario's rates.
    """
    if revenue < 0 or challenge <= 0:
        raise ValueError("revenue must be zero or positive and challenge positive")
    tiers = scenario.tiers
    channel_share, mix = lead_mix(scenario)
    tier_share = channel_share @ mix  # share of leads in each tier
    survive = np.ones((len(scenario.stages) + 1, len(tiers)))  # reach stage k (row k), won (last row)
    for k in range(len(scenario.stages)):
        survive[k + 1] = survive[k] * np.array([scenario.conversion_of(k, t) for t in tiers])
    value = np.array([scenario.deal_value_for(t).mean for t in tiers])
    revenue_per_lead = float(tier_share @ (survive[-1] * value))
    if revenue_per_lead <= 0:
        raise ValueError("no lead is ever won at these conversion rates: cannot plan")
    leads = revenue * challenge / revenue_per_lead
    entering = {s.name: float(leads * tier_share @ survive[k]) for k, s in enumerate(scenario.stages)}
    deals = float(leads * tier_share @ survive[-1])
    rep_days: dict[str, float] = {t.name: 0.0 for t in scenario.teams}
    worked: dict[str, float] = {t.name: 0.0 for t in scenario.teams}
    for k, stage in enumerate(scenario.stages):
        for tier, reaching in zip(tiers, leads * tier_share * survive[k]):  # routed tiers go to another team
            worked[stage.team_for(tier)] += float(reaching)
            rep_days[stage.team_for(tier)] += float(reaching) * stage.work_days.mean
    leads_by_channel = {c.name: float(leads * share) for c, share in zip(scenario.channels, channel_share)}
    budget = sum(leads_by_channel[c.name] * c.cost_per_lead for c in scenario.channels)
    tier_revenue = tier_share * survive[-1] * value
    return ReverseFunnel(
        revenue=revenue * challenge,
        deals=deals,
        leads=leads,
        entering=entering,
        rep_days=rep_days,
        budget=budget,
        leads_by_channel=leads_by_channel,
        by_tier={t: float(r / tier_revenue.sum()) for t, r in zip(tiers, tier_revenue)},
        average_deal=revenue * challenge / deals if deals else float("nan"),
        value_per_lead={t: float(v) for t, v in zip(tiers, survive[-1] * value)},
        worked=worked,
    )


# ----------------------------------------------------------------------------- the plan table

MEASURES = ("revenue_target", "deals", "proposals", "qualified", "leads", "activities", "rep_days", "budget")


def _per_revenue(
    scenario: Scenario, tiers: Sequence[float] | None = None, channels: Sequence[float] | None = None
) -> dict[str, float]:
    """Each measure per currency unit of revenue, for the whole funnel or one slice of its leads.

    ``tiers``/``channels`` restrict the lead mix (1 for the tier or channel kept, 0 elsewhere).
    """
    channel_share, mix = lead_mix(scenario)
    weights = (channel_share if channels is None else channel_share * np.asarray(channels))[:, None] * mix
    if tiers is not None:
        weights = weights * np.asarray(tiers)[None, :]
    names = scenario.tiers
    survive = np.ones((len(scenario.stages) + 1, len(names)))
    for k, stage in enumerate(scenario.stages):
        survive[k + 1] = survive[k] * np.array([stage.conversion_for(t) for t in names])
    value = np.array([scenario.deal_value_for(t).mean for t in names])
    lead_weights = weights.sum(axis=0)
    revenue = float(lead_weights @ (survive[-1] * value))
    if revenue <= 0:
        return dict.fromkeys(MEASURES[1:], 0.0)
    entering = [float(lead_weights @ survive[k]) / revenue for k in range(len(scenario.stages))]
    cost = np.array([c.cost_per_lead for c in scenario.channels])
    stages = scenario.stages
    return {
        "deals": float(lead_weights @ survive[-1]) / revenue,
        "proposals": entering[-2] if len(stages) > 1 else entering[0],
        "qualified": entering[1] if len(stages) > 1 else entering[0],
        "leads": entering[0],
        "activities": sum(entering),
        "rep_days": sum(e * s.work_days.mean for e, s in zip(entering, stages)),
        "budget": float(cost @ weights.sum(axis=1)) / revenue,
    }


def _rep_capacity(scenario: Scenario, months: pd.PeriodIndex) -> pd.DataFrame:
    """Productive rep-days of each seat of the closing team in each month (seasoned reps and hires).

    Attrition is left out: in expectation it takes the same share from every seat.
    """
    team = scenario.team(scenario.stages[-1].team)
    roster = draw_roster(team.model_copy(update={"attrition": None}), scenario.horizon_days, rng=None)
    start = pd.Timestamp(scenario.start_date or DEFAULT_START)
    days = np.arange(scenario.horizon_days, dtype=float)
    month = (start + pd.to_timedelta(days, unit="D")).to_period("M")
    capacity = {}
    for rep in range(len(roster)):
        kind = "rep" if roster.seasoned[rep] else "hire"
        productive = (days >= roster.start[rep]) * roster.productivity(rep, days)
        capacity[f"{team.name} {kind} {rep + 1}"] = pd.Series(productive).groupby(month).sum()
    return pd.DataFrame(capacity).reindex(months, fill_value=0.0)


def rep_weights(crm: CrmImport, basis: RepBasis, lookback_days: int = 365) -> pd.Series:
    """Each named rep's weight in the plan, from an export: past results or prospects in hand.

    ``history`` weighs a rep by the revenue won in the ``lookback_days`` up to the export's as-of
    day; ``pipeline`` by the open deals' weighted value (stage probability x expected value,
    :func:`sim.forecast.weighted_pipeline`). A rep the export names with nothing on that basis (a new
    rep has no history) is planned by capacity, as one seat: a share of ``1 / reps``, the others
    sharing the rest by the basis; their names are in ``attrs["by_seat"]``. ``capacity`` needs no
    export: it is :func:`plan_table`'s default.

    >>> from sim.crm import read_opportunities
    >>> crm = read_opportunities("data/maven_crm", "maven").as_known_on("2017-12-31")
    >>> w = rep_weights(crm, "pipeline")
    >>> len(w), round(float(w.sum()), 6), len(w.attrs["by_seat"])  # three reps hold no open deal
    (30, 1.0, 3)
    """
    ops = crm.opportunities
    if basis == "history":
        since = crm.as_of - pd.Timedelta(days=lookback_days)
        won = ops[(ops["status"] == "won") & (ops["closed"] > since) & (ops["closed"] <= crm.as_of)]
        amount = won.groupby("rep", observed=True)["value"].sum()
    elif basis == "pipeline":
        from sim.forecast import weighted_pipeline

        open_ = ops[ops["status"] == "open"]
        weighted = weighted_pipeline(crm).set_index("opportunity_id")["weighted"]
        amount = weighted.groupby(open_.set_index("opportunity_id")["rep"].reindex(weighted.index)).sum()
    else:
        raise ValueError(f"rep basis {basis!r}: from an export, give 'history' or 'pipeline' (capacity needs none)")
    amount = amount[amount > 0]
    if amount.empty:
        raise ValueError(
            f"no rep in the export has any {'won revenue' if basis == 'history' else 'open pipeline'} "
            f"to weigh by (rep basis {basis!r})"
        )
    named = sorted(set(ops["rep"].dropna().astype(str)) | set(amount.index.astype(str)))
    by_seat = [rep for rep in named if rep not in amount.index]
    weights = pd.Series(1 / len(named), index=named, name=basis)
    weights[amount.index] = amount / amount.sum() * (1 - len(by_seat) / len(named))
    weights.attrs["by_seat"] = by_seat
    return weights


def plan_table(
    scenario: Scenario,
    annual: int | None = None,
    method: Method = "even",
    challenge: float = 1.0,
    monthly: pd.Series | None = None,
    reps: Mapping[str, float] | None = None,
    lagged: Schedule | None = None,
    **options,
) -> pd.DataFrame:
    """The plan by level (company, tier, channel, rep), unit and month, with every measure.

    ``annual`` defaults to the scenario's ``targets.annual_revenue``. Revenue targets are whole
    currency units that add up exactly: units to their company row, months to ``annual``.
    The other measures are the company's in time (:func:`sim.schedule.schedule`: leads in the month
    they must be bought, one cycle ahead of their revenue; stage entries and rep work when they
    happen, the opening pipeline's included; ``challenge`` raises the targets they serve, e.g. 1.1),
    shared among units by each unit's revenue and rates; rep rows split the company by each rep's
    productive capacity in the month (the closing team's seats, ramp-up included), or, given
    ``reps`` (weights by rep name, e.g. :func:`rep_weights` from an export), by those weights.
    ``monthly`` (whole amounts by month, e.g. the rest of a year: :func:`sim.replan.remaining_targets`)
    replaces the split of ``annual``. ``lagged`` is the company's schedule of those monthly targets
    (times ``challenge``) when the caller has made it already, so a page that shows the schedule
    solves it once; made here otherwise.

    >>> import sim
    >>> from sim.schedule import schedule
    >>> scenario = sim.load("playbooks/b2b_saas.yaml")
    >>> months = split_months(12_000_000, scenario, "even")
    >>> lagged = schedule(scenario, months)
    >>> plan = plan_table(scenario, monthly=months, lagged=lagged)
    >>> int(plan[plan.level == "company"].revenue_target.sum())
    12000000
    >>> plan_table(scenario, monthly=months, challenge=1.1, lagged=lagged)
    Traceback (most recent call last):
    ...
    ValueError: the schedule given was made for other monthly targets than the plan's
    """
    if monthly is not None:
        months = pd.Series(
            monthly.to_numpy(dtype=np.int64), index=pd.PeriodIndex(monthly.index, freq="M"), name="revenue_target"
        )
    else:
        months = monthly_targets(scenario, annual, method, **options)
    units: list[tuple[str, str, dict[str, float], dict[pd.Period, float]]] = []
    company = _per_revenue(scenario)
    units.append(("company", "all", company, {m: 1.0 for m in months.index}))
    tier_names = scenario.tiers
    if tier_names != ("",):
        for i, tier in enumerate(tier_names):
            keep = np.eye(len(tier_names))[i]
            units.append(("tier", tier, _per_revenue(scenario, tiers=keep), {}))
    for i, channel in enumerate(scenario.channels):
        units.append(("channel", channel.name, _per_revenue(scenario, channels=np.eye(len(scenario.channels))[i]), {}))
    capacity = (
        _rep_capacity(scenario, months.index)
        if reps is None
        else pd.DataFrame({name: float(w) for name, w in reps.items()}, index=months.index)
    )
    timed = {
        m: series.to_numpy(dtype=float) for m, series in _company_in_time(scenario, months * challenge, lagged).items()
    }
    rows = []
    for level in ("company", "tier", "channel", "rep"):
        if level == "rep":
            members = [(name, company, capacity[name].to_dict()) for name in capacity.columns]
        else:
            members = [(u, per, w) for lvl, u, per, w in units if lvl == level]
        if not members:
            continue
        rates = {m: np.array([per[m] for _, per, _ in members], dtype=float) for m in MEASURES[1:]}
        if level in ("tier", "channel"):
            # a slice's share of revenue is what its leads bring per lead, times its share of leads
            slices = [
                1.0 / per["leads"] * _lead_share(scenario, level, u) if per["leads"] else 0.0 for u, per, _ in members
            ]
        for t, (month, target) in enumerate(months.items()):
            if level in ("tier", "channel"):
                weights = slices
            else:
                weights = [w.get(month, 0.0) for _, _, w in members]
            shares = allocate(int(target), weights) if sum(weights) > 0 else np.zeros(len(members), dtype=int)
            w = np.asarray(weights, dtype=float) * (float(target) if target > 0 else 1.0)
            # each unit's part of the company's measure, by its revenue and its rates
            measures = {}
            for m in MEASURES[1:]:
                parts = w * rates[m]
                total = parts.sum()
                measures[m] = timed[m][t] * (parts / total) if total > 0 else np.zeros(len(members))
            for i, ((unit, _, _), revenue) in enumerate(zip(members, shares)):
                rows.append(
                    {
                        "level": level,
                        "unit": unit,
                        "period": str(month),
                        "revenue_target": int(revenue),
                        **{m: float(values[i]) for m, values in measures.items()},
                    }
                )
    return pd.DataFrame(rows, columns=["level", "unit", "period", *MEASURES])


def _company_in_time(scenario: Scenario, target: pd.Series, lagged: Schedule | None = None) -> dict[str, pd.Series]:
    """The company's measures month by month, in time (:func:`sim.schedule.schedule`): deals in the month
    they close, leads in the month they must be bought, stage entries and rep work when they happen
    (the opening pipeline's included); ``lagged``, the schedule of ``target`` when already made."""
    if lagged is not None and (
        len(lagged.target) != len(target) or not np.allclose(lagged.target, target.to_numpy(dtype=float))
    ):
        raise ValueError("the schedule given was made for other monthly targets than the plan's")
    timed = schedule(scenario, target) if lagged is None else lagged
    per = _per_revenue(scenario)
    stages = [s.name for s in scenario.stages]
    entering = timed.entering
    months = target.index
    return {
        "deals": target * per["deals"],
        "proposals": pd.Series(entering[stages[-2] if len(stages) > 1 else stages[0]], index=months),
        "qualified": pd.Series(entering[stages[1] if len(stages) > 1 else stages[0]], index=months),
        "leads": pd.Series(timed.leads, index=months),
        "activities": pd.Series(sum(entering.values()), index=months),
        "rep_days": pd.Series(sum(timed.rep_days.values()), index=months),
        "budget": pd.Series(timed.budget, index=months),
    }


def _lead_share(scenario: Scenario, level: str, unit: str) -> float:
    channel_share, mix = lead_mix(scenario)
    if level == "channel":
        return float(channel_share[[c.name for c in scenario.channels].index(unit)])
    return float((channel_share @ mix)[list(scenario.tiers).index(unit)])
