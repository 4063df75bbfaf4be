"""Incentive plans: what reps are paid for a simulated year, what it costs, and who earns what.

A plan (``playbooks/incentives/*.yaml``) pays the reps of one team per period (month, quarter
or year): a base salary, a commission whose rate rises (accelerator) or falls (decelerator)
with attainment of quota, marginal or retroactive, with a threshold below which nothing is
paid and a cap; a rate by deal size (each deal paid its value band's rate); kickers on
new-product deals (by customer tier) and repeat orders (by channel); a process bonus for busy
days; a team bonus when the team makes its quota; a one-off bonus for large deals; and
clawbacks of the commission on deals not paid within N days. :func:`payouts` applies a plan to a run's per-lead
results (after the reps' response, :mod:`sim.model.behaviour`), one row per replication, rep,
period and component; :func:`plan_summary` gives the figures a director compares plans by.

Examples
--------
Marginal tiers: 8% up to 120% of quota, 12% above; on 150,000 against a 100,000 quota:

>>> plan = loads_plan('''
... name: tiered
... quota: 100000
... commission: {tiers: [{from_attainment: 0, rate: 0.08}, {from_attainment: 1.2, rate: 0.12}]}
... ''')
>>> float(commission([150_000], [100_000], plan.commission)[0])  # 0.08 x 120,000 + 0.12 x 30,000
13200.0
>>> retro = plan.commission.model_copy(update={"retroactive": True})
>>> float(commission([150_000], [100_000], retro)[0])  # 0.12 x 150,000
18000.0

A rate by deal size, as in the practice's example (3% on a 100,000 deal, 5% on a 200,000 one):

>>> by_size = loads_plan("name: by size\\nquota: 100000\\n"
...                      "deal_size_rates: [{from_value: 0, rate: 0.03}, {from_value: 200000, rate: 0.05}]\\n")
>>> deal_size_pay([100_000, 200_000], by_size.deal_size_rates).tolist()
[3000.0, 10000.0]
>>> loads_plan("name: bad\\nquota: 1\\ncommission:\\n  tiers:\\n    - {from_attainment: 0, rate: 0.1}\\n"
...            "    - {from_attainment: 0.5, rate: 0.2}\\n    - {from_attainment: 0.2, rate: 0.3}\\n", file="p.yaml")
Traceback (most recent call last):
...
sim.errors.ScenarioError: p.yaml:7: commission.tiers[2].from_attainment: 0.2 is not above the previous tier's 0.5 \
(tiers must be in increasing order, without overlap)
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Iterable, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from sim.calendar import DEFAULT_START
from sim.constraints import NonNegativeFloat, PositiveFloat, PositiveInt, Probability
from sim.errors import Problem, ScenarioError
from sim.model.behaviour import Behaviour, respond
from sim.model.staffing import draw_roster
from sim.results import Results
from sim.scenario import Scenario, _unknown
from sim.stats import spread
from sim.yaml_io import load_model, parse_yaml, validate
from sim.targets import METHODS, split_months

__all__ = [
    "Tier",
    "Commission",
    "DealBand",
    "Kickers",
    "ProcessBonus",
    "TeamBonus",
    "LargeDealBonus",
    "Clawback",
    "IncentivePlan",
    "COMPONENTS",
    "VARIABLE",
    "load_plan",
    "loads_plan",
    "check_plan",
    "team_of",
    "commission",
    "deal_size_pay",
    "attached_plan",
    "attached_plan_problems",
    "variable_pay",
    "won_deals",
    "responded_deals",
    "rep_periods",
    "payouts",
    "plan_summary",
    "compare_plans",
    "gini",
]

COMPONENTS = (
    "base",
    "commission",
    "deal_size",
    "new_product",
    "repeat_order",
    "process_bonus",
    "team_bonus",
    "large_deal_bonus",
    "clawback",
)
"""The parts of a rep's pay, in the order tables show them."""

VARIABLE = COMPONENTS[1:]
"""The parts paid for results: all but the base (which a team's ``cost_per_rep_year`` already holds)."""
_FREQ = {"month": "M", "quarter": "Q", "year": "Y"}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Tier(_Model):
    """A commission rate that applies from an attainment of quota upwards."""

    from_attainment: NonNegativeFloat = Field(description="Attainment (1.0 = 100% of quota) where the tier starts.")
    rate: NonNegativeFloat = Field(description="Commission rate on revenue in this tier (0.08 = 8%).")


class Commission(_Model):
    """Commission on the revenue a rep wins in a period, by tier of attainment."""

    retroactive: bool = Field(
        False,
        description="Whether a tier's rate applies to all the period's revenue once it is reached "
        "(retroactive) or only to the revenue inside the tier (marginal, the default). The practice "
        "asks every plan to say which: a retroactive tier makes the deal that crosses it worth a "
        "jump in pay (a cliff reps time their deals around), a marginal one keeps each extra sale "
        "worth the tier's rate and is simpler for a rep to work out.",
    )
    tiers: tuple[Tier, ...] = Field(
        min_length=1,
        description="Tiers in increasing order, the first from 0; a higher "
        "rate is an accelerator, a lower one a decelerator.",
    )
    threshold: NonNegativeFloat = Field(0.0, description="Attainment below which no commission is paid (0.5 = 50%).")
    cap: NonNegativeFloat | None = Field(None, description="Maximum commission per rep and period. Default: none.")


class DealBand(_Model):
    """A commission rate for deals from a value upwards (up to the next band's)."""

    from_value: NonNegativeFloat = Field(description="Smallest deal value in the band, in currency units.")
    rate: NonNegativeFloat = Field(description="Commission rate on the whole value of a deal in the band (0.03 = 3%).")


class Kickers(_Model):
    """Extra commission on the deals the strategy wants more of: new products and repeat orders."""

    new_product: dict[str, NonNegativeFloat] = Field(
        {},
        description="Extra rate on deals of a new product, by customer tier, e.g. `{A: 0.02}`: a deal is a "
        "new-product deal when its customer tier is listed (the scenario's tiers stand for products "
        "or segments; `calibrate` writes each product of an export as a tier). Default: none.",
    )
    repeat_order: dict[Annotated[str, "channel"], NonNegativeFloat] = Field(
        {},
        description="Extra rate on repeat orders, by channel, e.g. `{key-account reorders: 0.01}`: a deal is a "
        "repeat order when its lead came from a listed channel (the channel of existing customers' "
        "orders). Default: none.",
    )


class ProcessBonus(_Model):
    """A bonus for each day a rep does at least ``min_activities`` pieces of work."""

    min_activities: PositiveInt = Field(description="Work items (leads worked at the team's stages) started in a day.")
    amount: NonNegativeFloat = Field(description="Bonus per such day.")


class TeamBonus(_Model):
    """A bonus to every member when the team's revenue in the period reaches its quota."""

    amount: NonNegativeFloat = Field(description="Bonus per member employed in the period.")
    attainment: PositiveFloat = Field(1.0, description="Team attainment that triggers it (1.0 = the sum of quotas).")


class LargeDealBonus(_Model):
    """A one-off bonus for each deal of at least ``min_value``."""

    min_value: PositiveFloat = Field(description="Smallest deal value that earns the bonus.")
    amount: NonNegativeFloat = Field(description="Bonus per such deal.")


class Clawback(_Model):
    """Commission taken back on won deals not paid within ``days`` (charged in the period the days run out)."""

    days: PositiveFloat = Field(description="Days from winning the deal by which it must be paid.")


class IncentivePlan(_Model):
    """A compensation plan for the reps of one team."""

    name: str = Field(min_length=1, description="Plan name, shown in comparisons.")
    description: str = Field("", description="Free text: what the plan is for.")
    team: str | None = Field(None, description="Team whose reps earn it. Default: the team of the last stage.")
    period: Literal["month", "quarter", "year"] = Field("quarter", description="Payout period.")
    quota: Literal["from_targets"] | PositiveFloat = Field(
        "from_targets",
        description="Revenue quota per rep and full period, or `from_targets`: the scenario's "
        "annual target split by month (`quota_split`), summed into periods and divided over the team's seats.",
    )
    quota_split: str = Field(
        "even",
        description=f"With `from_targets`: how the year is split ({', '.join(METHODS)}); "
        "`reserve` (as `salesplay plan` does by default) follows the revenue "
        "the cycle brings each month and holds a reserve month.",
    )
    reserve_month: PositiveInt = Field(
        12, description="With `quota_split: reserve`: the month (1-12) held in reserve, as in the plan."
    )
    reserve_share: NonNegativeFloat = Field(
        0.0, description="With `quota_split: reserve`: the share of the year the reserve month carries (0: none)."
    )
    new_hire_quota: tuple[Probability, ...] = Field(
        (),
        description="Ramped quotas: the share of full quota a new hire or replacement carries in each month of "
        "tenure, e.g. `[0.25, 0.5, 0.75]` (full quota from the fourth month), so reps ramping up are "
        "not held to a seasoned rep's number. Default: full quota from the first day.",
    )
    base_salary: NonNegativeFloat = Field(0.0, description="Base pay per rep and full period.")
    commission: Commission | None = Field(None, description="Commission tiers, threshold and cap. Default: none.")
    deal_size_rates: tuple[DealBand, ...] = Field(
        (),
        description="Commission by deal size, besides the tiers by attainment: each won deal pays the rate of "
        "its value band on its whole value, e.g. `[{from_value: 0, rate: 0.03}, {from_value: 200000, "
        "rate: 0.05}]` (3% of a 100,000 deal, 5% of a 200,000 one); bands in increasing order, a "
        "deal below the first earns none. Neither threshold nor cap applies. Default: none.",
    )
    kickers: Kickers = Field(
        Kickers(), description="Extra rates on new-product deals and repeat orders. Default: none."
    )
    process_bonus: ProcessBonus | None = Field(None, description="Bonus for busy days. Default: none.")
    team_bonus: TeamBonus | None = Field(None, description="Bonus when the team makes its quota. Default: none.")
    large_deal_bonus: LargeDealBonus | None = Field(None, description="Bonus per large deal. Default: none.")
    clawback: Clawback | None = Field(None, description="Clawback of commission on unpaid deals. Default: none.")
    behaviour: Behaviour = Field(Behaviour(), description="How reps respond to the plan (elasticity 0: not at all).")

    @model_validator(mode="after")
    def _consistent(self) -> "IncentivePlan":
        problems = list(_plan_problems(self))
        if problems:
            raise ScenarioError(problems)
        return self


def _plan_problems(plan: IncentivePlan) -> Iterable[Problem]:
    if plan.quota_split not in METHODS:
        yield Problem("quota_split", _unknown(plan.quota_split, METHODS, "split method"))
    if plan.reserve_month > 12:
        yield Problem("reserve_month", f"{plan.reserve_month} is not a month (1 to 12)")
    if plan.reserve_share >= 1:
        yield Problem("reserve_share", f"{plan.reserve_share:g} is not a share below 1")
    bands = plan.deal_size_rates
    for i in range(1, len(bands)):
        if bands[i].from_value <= bands[i - 1].from_value:
            yield Problem(
                f"deal_size_rates[{i}].from_value",
                f"{bands[i].from_value:g} is not above the previous band's {bands[i - 1].from_value:g} "
                "(bands must be in increasing order, without overlap)",
            )
    if plan.commission is None:
        return
    tiers = plan.commission.tiers
    if tiers[0].from_attainment != 0:
        yield Problem(
            "commission.tiers[0].from_attainment",
            f"{tiers[0].from_attainment:g}: the first tier must start at 0 (use `threshold` to pay nothing "
            "below an attainment)",
        )
    for i in range(1, len(tiers)):
        if tiers[i].from_attainment <= tiers[i - 1].from_attainment:
            yield Problem(
                f"commission.tiers[{i}].from_attainment",
                f"{tiers[i].from_attainment:g} is not above the previous tier's "
                f"{tiers[i - 1].from_attainment:g} (tiers must be in increasing order, without overlap)",
            )


def load_plan(path: str | Path) -> IncentivePlan:
    """Read and validate a plan file; raise :class:`ScenarioError` listing every problem with its line."""
    return load_model(IncentivePlan, path)


def loads_plan(text: str, file: str = "<string>") -> IncentivePlan:
    """Validate a plan given as YAML text; ``file`` names it in error messages."""
    data, lines = parse_yaml(text, file)
    return validate(IncentivePlan, data, file, lines)


def attached_plan(team: str, value: Any) -> IncentivePlan:
    """The plan a scenario attaches to ``team`` (its ``incentives.<team>``): a plan file's path, a plan written
    out, or a plan; it pays ``team``. Problems are placed at the scenario's field (a plan file's own with its
    file and line).

    >>> attached_plan("closers", {"name": "flat", "commission": {"tiers": [{"from_attainment": 0, "rate": 0.08}]}}).team
    'closers'
    >>> attached_plan("closers", {"name": "flat", "team": "sdr"})
    Traceback (most recent call last):
    ...
    sim.errors.ScenarioError: incentives.closers.team: the plan pays team 'sdr', not 'closers'
    """
    field = f"incentives.{team}"
    if isinstance(value, str):
        try:
            plan = load_plan(value)
        except ScenarioError as exc:
            raise ScenarioError([Problem(field, str(p)) for p in exc.problems]) from None
    elif isinstance(value, dict):
        try:
            plan = validate(IncentivePlan, value, "", {})
        except ScenarioError as exc:
            raise ScenarioError(
                [Problem(f"{field}.{p.field}" if p.field else field, p.message) for p in exc.problems]
            ) from None
    elif isinstance(value, IncentivePlan):
        plan = value
    else:
        raise ScenarioError(
            [Problem(field, f"expected a plan file's path or a plan (a mapping of fields), got {value!r}")]
        )
    if plan.team is not None and plan.team != team:
        raise ScenarioError([Problem(f"{field}.team", f"the plan pays team '{plan.team}', not '{team}'")])
    return IncentivePlan.model_validate({**plan.model_dump(), "team": team})


def attached_plan_problems(scenario: Scenario) -> Iterable[Problem]:
    """Each problem of the scenario's attached plans, at its field: a plan that could not be read (the
    :class:`ScenarioError` the scenario's field holds in its place), or one at odds with the scenario
    (:func:`check_plan`)."""
    for team, plan in scenario.incentives.items():
        if isinstance(plan, ScenarioError):
            yield from plan.problems
            continue
        try:
            check_plan(plan, scenario)
        except ScenarioError as exc:
            yield from (Problem(f"incentives.{team}.{p.field}", p.message) for p in exc.problems)


def check_plan(plan: IncentivePlan, scenario: Scenario) -> None:
    """Raise :class:`ScenarioError` if the plan names a team or tier the scenario lacks, or needs its targets."""
    problems = []
    teams = [t.name for t in scenario.teams]
    if plan.team is not None and plan.team not in teams:
        problems.append(Problem("team", _unknown(plan.team, teams, "team")))
    elif plan.team is not None and not any(plan.team in (s.team, *s.routes.values()) for s in scenario.stages):
        problems.append(Problem("team", f"team '{plan.team}' works no stage, so it wins no deals"))
    tiers = [t for t in scenario.tiers if t]
    for tier in plan.kickers.new_product:
        if tier not in tiers:
            problems.append(
                Problem(
                    f"kickers.new_product.{tier}",
                    _unknown(tier, tiers, "tier") if tiers else "the scenario's channels give no customer tiers",
                )
            )
    channels = [c.name for c in scenario.channels]
    for channel in plan.kickers.repeat_order:
        if channel not in channels:
            problems.append(Problem(f"kickers.repeat_order.{channel}", _unknown(channel, channels, "channel")))
    if plan.quota == "from_targets" and scenario.targets is None:
        problems.append(
            Problem(
                "quota", "from_targets needs targets.annual_revenue in the scenario; give an amount per rep instead"
            )
        )
    if problems:
        raise ScenarioError(problems)


def team_of(plan: IncentivePlan, scenario: Scenario) -> str:
    """The team the plan pays."""
    return plan.team or scenario.stages[-1].team


# ----------------------------------------------------------------------------- the commission curve


def commission(revenue: Iterable[float], quota: Iterable[float], terms: Commission | None) -> np.ndarray:
    """Commission on each rep-period's ``revenue`` against its ``quota`` (vectorised).

    Marginal tiers pay each tier's rate on the revenue between its start and the next tier's;
    retroactive tiers pay the reached tier's rate on all revenue. Nothing below ``threshold``;
    at most ``cap``. A zero quota counts as infinite attainment when revenue is positive.
    """
    revenue, quota = np.broadcast_arrays(np.asarray(revenue, dtype=float), np.asarray(quota, dtype=float))
    if terms is None:
        return np.zeros(revenue.shape)
    starts = np.array([t.from_attainment for t in terms.tiers])
    rates = np.array([t.rate for t in terms.tiers])
    with np.errstate(divide="ignore", invalid="ignore"):
        attainment = np.where(quota > 0, revenue / quota, np.where(revenue > 0, np.inf, 0.0))
    if terms.retroactive:
        paid = rates[np.searchsorted(starts, attainment, side="right") - 1] * revenue
    else:  # each tier's rate on the revenue inside its band; a zero quota puts all revenue in the top tier
        shape = (-1,) + (1,) * revenue.ndim
        low = starts.reshape(shape) * quota
        top = (np.arange(len(starts)) == len(starts) - 1).reshape(shape)
        high = np.where(top, np.inf, np.append(starts[1:], 0.0).reshape(shape) * quota)
        paid = np.tensordot(rates, np.clip(np.minimum(revenue, high) - low, 0, None), axes=1)
    paid = np.where(attainment >= terms.threshold, paid, 0.0)
    return np.minimum(paid, terms.cap) if terms.cap is not None else paid


def deal_size_pay(values: Iterable[float], bands: tuple[DealBand, ...]) -> np.ndarray:
    """Commission by deal size: each deal's value times its band's rate (0 below the first band; vectorised).

    A band pays its rate on the whole deal, as the practice states it (3% on a 100,000 deal), so
    a deal just over a band's start earns more than one just under it.
    """
    values = np.nan_to_num(np.asarray(values, dtype=float))
    if not bands:
        return np.zeros(values.shape)
    starts = np.array([b.from_value for b in bands])
    rates = np.append(0.0, [b.rate for b in bands])
    return rates[np.searchsorted(starts, values, side="right")] * values


_PER_DEAL = ("deal_size", "new_product", "repeat_order")


def _deal_rates(deals: pd.DataFrame, plan: IncentivePlan) -> pd.DataFrame:
    """Per deal, the pay of the plan's per-deal parts (:data:`_PER_DEAL`): deal size, new product, repeat order."""
    value = deals["value"].to_numpy(dtype=float)
    return pd.DataFrame(
        {
            "deal_size": deal_size_pay(value, plan.deal_size_rates),
            "new_product": value * deals["tier"].map(plan.kickers.new_product).fillna(0.0).to_numpy(dtype=float),
            "repeat_order": value * deals["channel"].map(plan.kickers.repeat_order).fillna(0.0).to_numpy(dtype=float),
        },
        index=deals.index,
    )


# ----------------------------------------------------------------------------- periods and quotas


def _periods(scenario: Scenario, period: str) -> tuple[pd.PeriodIndex, np.ndarray, np.ndarray]:
    """The plan's periods touching the horizon, each one's first day and its full length in days."""
    start = pd.Timestamp(scenario.start_date or DEFAULT_START)
    days = pd.date_range(start, periods=scenario.horizon_days, freq="D")
    periods = pd.PeriodIndex(days.to_period(_FREQ[period]).unique())
    first = np.array([(p.start_time - start).days for p in periods], dtype=float)
    length = np.array([(p.end_time.normalize() - p.start_time).days + 1 for p in periods], dtype=float)
    return periods, first, length


def _period_index(days: np.ndarray, first: np.ndarray) -> np.ndarray:
    return np.searchsorted(first, days, side="right") - 1


def _full_quota(
    plan: IncentivePlan, scenario: Scenario, periods: pd.PeriodIndex, first: np.ndarray, length: np.ndarray
) -> np.ndarray:
    """Quota of a rep present for the whole of each period: the period's target over its average seats.

    Seats are averaged over the part of the period inside the horizon (a rep's quota is then
    prorated by the days they were there).
    """
    if plan.quota != "from_targets":
        return np.full(len(periods), float(plan.quota))
    options = (
        {"reserve_month": plan.reserve_month, "reserve_share": plan.reserve_share}
        if plan.quota_split == "reserve"
        else {}
    )
    year = split_months(round(scenario.targets.annual_revenue), scenario, plan.quota_split, **options)
    span = pd.period_range(periods[0].asfreq("M", how="start"), periods[-1].asfreq("M", how="end"), freq="M")
    month_of_plan = np.array([(m - year.index[0]).n for m in span]) % 12  # the annual split, every year
    months = pd.Series(year.to_numpy()[month_of_plan], index=span)
    by_period = months.groupby(months.index.asfreq(_FREQ[plan.period])).sum()
    target = by_period.reindex(periods, fill_value=0).to_numpy(dtype=float)
    team = scenario.team(team_of(plan, scenario))
    roster = draw_roster(team.model_copy(update={"attrition": None}), scenario.horizon_days, rng=None)
    inside = [(max(a, 0.0), min(a + n, float(scenario.horizon_days))) for a, n in zip(first, length)]
    seats = np.array([_overlap(roster.start, roster.end, a, b).sum() / (b - a) for a, b in inside])  # average reps
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(seats > 0, target / seats, 0.0)


def _overlap(start: np.ndarray, end: np.ndarray, a, b) -> np.ndarray:
    """Days each of the intervals [start, end) shares with [a, b) (numbers, or arrays like ``start``)."""
    return np.clip(np.minimum(end, b) - np.maximum(start, a), 0, None)


# ----------------------------------------------------------------------------- deals and payouts


def won_deals(results: Results, plan: IncentivePlan) -> pd.DataFrame:
    """Decisions at the last stage, each credited to the rep of the plan's team who last worked the lead.

    Columns: replication, lead, rep, tier, channel, day (won or lost), won, value (the won deal's
    value; NaN for a loss), paid_day (NaN if not paid within the horizon).
    """
    scenario = results.scenario
    team = team_of(plan, scenario)
    times = results.stage_times
    codes = times["stage"].cat.codes.to_numpy()
    mine = (times["team"] == team).to_numpy() & (times["rep"].to_numpy() >= 0)
    credit = (
        times[mine]
        .assign(code=codes[mine])
        .sort_values(["replication", "lead", "code"])
        .groupby(["replication", "lead"])["rep"]
        .last()
    )
    final = times[(codes == len(scenario.stages) - 1) & times["converted"].notna().to_numpy()]
    deals = final[["replication", "lead", "end", "converted"]].rename(columns={"end": "day", "converted": "won"})
    deals = deals.merge(
        results.leads[["replication", "lead", "tier", "channel", "value", "paid_day"]],
        on=["replication", "lead"],
        how="left",
    )
    deals = deals.merge(credit.rename("rep").reset_index(), on=["replication", "lead"], how="inner")
    deals["won"] = deals["won"].astype(bool)
    deals["tier"] = deals["tier"].astype(str)
    deals["channel"] = deals["channel"].astype(str)
    return deals[["replication", "lead", "rep", "tier", "channel", "day", "won", "value", "paid_day"]].sort_values(
        ["replication", "lead"], ignore_index=True
    )


def _activities(results: Results, plan: IncentivePlan) -> pd.DataFrame:
    """Per replication, rep and day: work items started at the plan's team's stages."""
    scenario = results.scenario
    team = team_of(plan, scenario)
    times = results.stage_times
    work = times[(times["team"] == team).to_numpy() & (times["rep"].to_numpy() >= 0)]
    return (
        work.assign(day=np.floor(work["start"]).astype(int))
        .groupby(["replication", "rep", "day"])
        .size()
        .rename("activities")
        .reset_index()
    )


def rep_periods(results: Results, plan: IncentivePlan) -> pd.DataFrame:
    """The plan applied to a run: one row per replication, rep and period.

    Columns: replication, rep, period, period_label, days (employed in the period), quota,
    revenue, deals, attainment, then one column per component of :data:`COMPONENTS` and their
    ``total``. Reps respond to the plan first (:func:`sim.model.behaviour.respond`). Base pay and
    quota are prorated by the days a rep was employed in the period; a deal that closes after
    the rep who worked it has left pays nobody.
    """
    return _apply(results, plan)[0]


def responded_deals(results: Results, plan: IncentivePlan) -> pd.DataFrame:
    """The last-stage decisions of :func:`won_deals` after the reps' response to ``plan``."""
    return _apply(results, plan)[2]


def _apply(results: Results, plan: IncentivePlan) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The rep-period table, and the last-stage decisions before and after the reps' response."""
    scenario = results.scenario
    check_plan(plan, scenario)
    periods, first, length = _periods(scenario, plan.period)
    horizon = float(scenario.horizon_days)
    full = _full_quota(plan, scenario, periods, first, length)
    grid = _grid(results, plan, first, length, full)
    key = ["replication", "rep", "period"]
    before = won_deals(results, plan)
    baseline = grid.join(_won_in_periods(before, first, horizon).groupby(key)["value"].sum().rename("revenue"))
    # deal-size and repeat-order pay raise the expected marginal pay of every tier alike; the new-product
    # kicker raises its own tiers' (sim.model.behaviour.effort)
    expected = _expected_marginal(baseline.fillna({"revenue": 0.0}), plan.commission).add(
        _per_deal_rate(before, plan, horizon), fill_value=0.0
    )
    deals = respond(
        before,
        scenario,
        plan.behaviour,
        seed=results.seed,
        pay=lambda revenue, quota: commission(revenue, quota, plan.commission),
        kickers=plan.kickers.new_product,
        expected_rate=expected,
        period_starts=first,
        quota=full,
    )
    won = _won_in_periods(deals, first, horizon)
    won = won.join(_deal_rates(won, plan))
    won["large_deal_bonus"] = (
        (won["value"] >= plan.large_deal_bonus.min_value) * plan.large_deal_bonus.amount
        if plan.large_deal_bonus
        else 0.0
    )
    sums = won.groupby(key).agg(
        revenue=("value", "sum"),
        deals=("value", "size"),
        **{part: (part, "sum") for part in (*_PER_DEAL, "large_deal_bonus")},
    )
    table = grid.join(sums)
    table = table.fillna(
        {"revenue": 0.0, "deals": 0, "large_deal_bonus": 0.0, **dict.fromkeys(_PER_DEAL, 0.0)}
    ).reset_index()
    table["deals"] = table["deals"].astype(int)
    revenue, quota = table["revenue"].to_numpy(), table["quota"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        table["attainment"] = np.where(quota > 0, revenue / quota, np.nan)
    table["base"] = plan.base_salary * table["days"] / length[table["period"].to_numpy()]
    table["commission"] = commission(revenue, quota, plan.commission)
    table["process_bonus"] = _process_bonus(results, plan, table, first) if plan.process_bonus else 0.0
    table["team_bonus"] = _team_bonus(plan, table) if plan.team_bonus else 0.0
    table["clawback"] = _clawback(plan, table, won, first, horizon) if plan.clawback else 0.0
    table["total"] = table[list(COMPONENTS)].sum(axis=1)
    table.insert(3, "period_label", [str(periods[i]) for i in table["period"]])
    return table, before, deals


def _grid(
    results: Results, plan: IncentivePlan, first: np.ndarray, length: np.ndarray, full: np.ndarray
) -> pd.DataFrame:
    """Every rep of the team in every period they were employed in: days employed and prorated quota."""
    reps = results.reps[results.reps["team"] == team_of(plan, results.scenario)]
    n = len(first)
    ends = np.minimum(first + length, float(results.scenario.horizon_days))
    p = np.tile(np.arange(n), len(reps))
    start = np.repeat(
        np.maximum(reps["start_day"].to_numpy(dtype=float), 0.0), n
    )  # on the team since the warm-up: day 0
    end = np.repeat(reps["end_day"].to_numpy(dtype=float), n)
    lo, hi = np.maximum(start, first[p]), np.minimum(end, ends[p])
    days = np.clip(hi - lo, 0, None)
    # ramped quotas: a new rep's days in their j-th month of tenure count for new_hire_quota[j] of a day
    new = np.repeat(~reps["seasoned"].to_numpy(dtype=bool), n)
    quota_days = days.copy()
    for j, share in enumerate(plan.new_hire_quota):
        month = _overlap(lo, hi, start + j * _MONTH, start + (j + 1) * _MONTH) if days.size else days
        quota_days -= np.where(new, (1.0 - share) * np.clip(month, 0, None), 0.0)
    grid = pd.DataFrame(
        {
            "replication": np.repeat(reps["replication"].to_numpy(), n),
            "rep": np.repeat(reps["rep"].to_numpy(), n),
            "period": p,
            "days": days,
            "quota": full[p] * quota_days / length[p],
        }
    )
    return grid[grid["days"] > 0].set_index(["replication", "rep", "period"])


_MONTH = 365.25 / 12  # a month of tenure, in days


def _won_in_periods(deals: pd.DataFrame, first: np.ndarray, horizon: float) -> pd.DataFrame:
    won = deals[deals["won"] & (deals["day"] < horizon)]
    return won.assign(period=_period_index(won["day"].to_numpy(), first))


def _per_deal_rate(deals: pd.DataFrame, plan: IncentivePlan, horizon: float) -> pd.Series:
    """Per replication: the deal-size and repeat-order pay per unit of the revenue won, before the reps respond."""
    won = deals[deals["won"] & (deals["day"] < horizon)]
    rates = _deal_rates(won, plan)
    paid = (rates["deal_size"] + rates["repeat_order"]).groupby(won["replication"]).sum()
    revenue = won.groupby("replication")["value"].sum()
    return (paid / revenue).where(revenue > 0, 0.0)


def _expected_marginal(table: pd.DataFrame, terms: Commission | None) -> pd.Series:
    """Per replication: the plan's marginal pay per unit of revenue, averaged over its rep-periods' attainment.

    Read as the slope of the commission over one percent of quota from each rep-period's revenue
    before the reps respond (so a capped rep-period counts 0, one below the threshold 0).
    """
    revenue, quota = table["revenue"].to_numpy(), table["quota"].to_numpy()
    step = np.maximum(quota, 1.0) * 0.01
    slope = (commission(revenue + step, quota, terms) - commission(revenue, quota, terms)) / step
    return pd.Series(slope, index=table.index).groupby("replication").mean()


def _process_bonus(results: Results, plan: IncentivePlan, table: pd.DataFrame, first: np.ndarray) -> np.ndarray:
    busy = _activities(results, plan)
    busy = busy[busy["activities"] >= plan.process_bonus.min_activities]
    days = (
        busy.assign(period=_period_index(busy["day"].to_numpy(), first))
        .groupby(["replication", "rep", "period"])
        .size()
    )
    index = pd.MultiIndex.from_frame(table[["replication", "rep", "period"]])
    return days.reindex(index, fill_value=0).to_numpy() * plan.process_bonus.amount


def _team_bonus(plan: IncentivePlan, table: pd.DataFrame) -> np.ndarray:
    team = table.groupby(["replication", "period"])[["revenue", "quota"]].transform("sum")
    made = team["revenue"] >= plan.team_bonus.attainment * team["quota"]
    return np.where(made & (team["quota"] > 0), plan.team_bonus.amount, 0.0)


def _clawback(
    plan: IncentivePlan, table: pd.DataFrame, won: pd.DataFrame, first: np.ndarray, horizon: float
) -> np.ndarray:
    """Minus what a deal earned once its days run out unpaid: the effective commission rate of the period it was
    won times its value, and its own deal-size and kicker pay."""
    days = plan.clawback.days
    due = won["day"] + days
    unpaid = won[(due < horizon) & ~(won["paid_day"] - won["day"] <= days)]
    key = ["replication", "rep", "period"]
    rates = table.set_index(key)
    with np.errstate(divide="ignore", invalid="ignore"):
        effective = (rates["commission"] / rates["revenue"]).where(rates["revenue"] > 0, 0.0)
    own = unpaid[list(_PER_DEAL)].sum(axis=1).to_numpy()
    taken = unpaid.assign(
        amount=-unpaid["value"].to_numpy()
        * effective.reindex(pd.MultiIndex.from_frame(unpaid[key])).fillna(0.0).to_numpy()
        - own,
        period=_period_index((unpaid["day"] + days).to_numpy(), first),
    )
    return taken.groupby(key)["amount"].sum().reindex(pd.MultiIndex.from_frame(table[key]), fill_value=0.0).to_numpy()


def variable_pay(results: Results, plan: IncentivePlan) -> pd.Series:
    """Per replication: what ``plan`` pays beyond base salary (:data:`VARIABLE`) on the run's own deals, the
    reps not responding; the commission cost of a scenario that attaches the plan (:mod:`sim.costs`).

    Base pay is left out because a team's ``cost_per_rep_year`` holds it; the response is left out because the
    run's revenue is what the engine simulated, and pay must be for that revenue.
    """
    unmoved = IncentivePlan.model_validate({**plan.model_dump(), "behaviour": {"elasticity": 0.0}})
    table = rep_periods(results, unmoved)
    return table.groupby("replication")[list(VARIABLE)].sum().sum(axis=1)


def payouts(results: Results, plan: IncentivePlan) -> pd.DataFrame:
    """Tidy payouts: one row per replication, rep, period and component (amount), from :func:`rep_periods`."""
    return _long(rep_periods(results, plan), plan)


def _long(table: pd.DataFrame, plan: IncentivePlan) -> pd.DataFrame:
    long = table.melt(
        id_vars=["replication", "rep", "period_label"],
        value_vars=list(COMPONENTS),
        var_name="component",
        value_name="amount",
    ).rename(columns={"period_label": "period"})
    long.insert(0, "plan", plan.name)
    return long.sort_values(["replication", "rep", "period"], kind="stable", ignore_index=True)


# ----------------------------------------------------------------------------- summary


def gini(values: Iterable[float]) -> float:
    """Gini coefficient of non-negative amounts (0 = all equal, towards 1 = one gets everything).

    >>> gini([1, 1, 1, 1]), gini([0, 0, 0, 4])
    (0.0, 0.75)
    """
    v = np.sort(np.asarray(values, dtype=float))
    n, total = len(v), v.sum()
    if n == 0 or total == 0:
        return 0.0
    return float((2 * np.arange(1, n + 1) - n - 1) @ v / (n * total))


def _by_replication(results: Results, plan: IncentivePlan) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per replication: revenue (after the reps' response), comp cost, cost of sales, spread; and the rep periods."""
    table, before, after = _apply(results, plan)
    horizon = results.scenario.horizon_days
    won_before = before[before["won"] & (before["day"] < horizon)].groupby("replication")["value"].sum()
    won_after = after[after["won"] & (after["day"] < horizon)].groupby("replication")["value"].sum()
    reps = results.replications.set_index("replication")
    revenue = (
        reps["revenue"] - won_before.reindex(reps.index, fill_value=0) + won_after.reindex(reps.index, fill_value=0)
    )
    per_rep = table.groupby(["replication", "rep"])[["total", "revenue", "quota"]].sum()
    cost = per_rep.groupby("replication")["total"].sum().reindex(reps.index, fill_value=0.0)
    at_quota = (per_rep["revenue"] >= per_rep["quota"]).groupby("replication").mean()
    spread = per_rep.groupby("replication")["total"].apply(gini)
    target = results.scenario.targets.annual_revenue if results.scenario.targets else np.nan
    return pd.DataFrame(
        {
            "revenue": revenue,
            "comp_cost": cost,
            "cost_of_sales": (cost / revenue).where(revenue > 0),
            "share_at_quota": at_quota.reindex(reps.index),
            "gini": spread.reindex(reps.index),
            "p_hit_target": (revenue >= target).astype(float) if np.isfinite(target) else np.nan,
        }
    ), table


def _spread(values: pd.Series) -> dict[str, float | None]:
    return spread(values.dropna(), missing=None)


def plan_summary(results: Results, plan: IncentivePlan, reference: IncentivePlan | None = None) -> dict:
    """Headline figures of a plan across replications, each as mean, p10, p50 and p90.

    ``revenue``, ``comp_cost``, ``cost_of_sales`` (comp / revenue), ``share_at_quota`` (reps whose
    revenue over the horizon reaches their quota), ``gini`` (of reps' pay), ``p_hit_target``.
    With a ``reference`` plan, paired differences on the same replications (common random
    numbers): ``extra_revenue``, ``extra_cost`` and ``cost_per_extra_revenue`` (ratio of the means;
    None when the plans bring the same revenue).
    """
    per = _by_replication(results, plan)[0]
    return _summary(
        plan.name, per, None if reference is None else (reference.name, _by_replication(results, reference)[0])
    )


def _summary(name: str, per: pd.DataFrame, reference: tuple[str, pd.DataFrame] | None) -> dict:
    out = {
        "plan": name,
        "replications": int(len(per)),
        **{
            k: _spread(per[k])
            for k in ("revenue", "comp_cost", "cost_of_sales", "share_at_quota", "gini", "p_hit_target")
        },
    }
    if reference is not None:
        out["reference"], ref = reference
        extra_revenue, extra_cost = per["revenue"] - ref["revenue"], per["comp_cost"] - ref["comp_cost"]
        out["extra_revenue"] = _spread(extra_revenue)
        out["extra_cost"] = _spread(extra_cost)
        mean_revenue = float(extra_revenue.mean())
        out["cost_per_extra_revenue"] = float(extra_cost.mean()) / mean_revenue if abs(mean_revenue) > 1e-9 else None
    return out


def compare_plans(
    results: Results, plans: list[IncentivePlan], reference: IncentivePlan | None = None
) -> tuple[pd.DataFrame, dict]:
    """Every plan applied to the same run (common random numbers): the tidy payouts and the summaries.

    The reference defaults to the first plan.
    """
    names = [plan.name for plan in plans]
    if len(set(names)) < len(names):
        raise ScenarioError(
            [
                Problem("name", f"plan name '{n}' is used twice; plans need distinct names")
                for n in dict.fromkeys(n for n in names if names.count(n) > 1)
            ]
        )
    reference = reference or plans[0]
    runs = [_by_replication(results, plan) for plan in plans]
    ref = (
        reference.name,
        runs[plans.index(reference)][0] if reference in plans else _by_replication(results, reference)[0],
    )
    summary = {
        "scenario": results.scenario.name,
        "engine": results.engine,
        "seed": results.seed,
        "reference": reference.name,
        "plans": [_summary(plan.name, per, None if plan == reference else ref) for plan, (per, _) in zip(plans, runs)],
    }
    return pd.concat([_long(table, plan) for plan, (_, table) in zip(plans, runs)], ignore_index=True), summary
