"""Plan against actual, the Check step of the PDCA loop: pace, projections and why the gap.

:func:`track` holds a CRM export's won deals against a plan written by ``salesplay plan --out``
(its ``plan.csv``), for the company and for every plan level the export can name (``tier`` is
the export's ``product``; ``channel``, ``team`` and ``rep`` the fields of the same names; plan
units the export does not name are listed in the notes, not tracked):

- **to date**: the target from the plan's first day to the as-of date, a month's target counted
  in proportion to the working days elapsed (:func:`sim.worktime.working_days`; weekdays by
  default), against the revenue won; the **pace** is *ahead*, *on track* or *behind* as the actual
  is above, within or below ``tolerance`` of that target;
- **projections**: the revenue of the month, quarter (three plan months from the plan's first)
  and plan year the as-of date falls in: what is won already plus the Monte Carlo forecast of the
  rest from the open pipeline and new arrivals (:func:`sim.forecast.forecast`, on the export as
  known on the as-of date), as P10/P50/P90, and the probability of making each period's target;
- **checkpoints** (the 10th, the 20th and month end by default): a status line at each one of the
  as-of month that has passed, as known that day;
- **why the gap**: the revenue gap to date split by :func:`decompose` into volume (leads),
  conversion (stage by stage), deal size and timing, in whole currency units that add up exactly
  to the gap, for every tracked unit and for each rep, with the reps' credible win-rate
  exceptions (:func:`sim.diagnostics.rep_exceptions`).

The decomposition
-----------------
Revenue in a window is modelled as ``leads × Π stage conversion × mean deal size``. On the plan's
side the leads are the plan's for the window, the lead-to-won rate its year's deals over its year's
leads (split over stages in the proportions of the export's own stage rates before the plan began,
scaled geometrically so their product is the plan's rate), the deal size its revenue over its
deals. On the actual side the leads are the opportunities created in the window, the stage rates
those of the deals decided in it (a stage with none keeps the plan's rate: no evidence, no
effect), the deal size the won revenue over the won deals. The change of the product from plan to
actual is shared among its factors by their Shapley values (the average, over every order of
switching the factors from plan to actual, of each factor's change of the product), which add up
exactly to the change. **Timing** is what the product does not explain: the revenue closed in the
window beyond what the window's own leads bring at the window's rates (deals of earlier leads
closing, slipped deals, pipeline still to close), actual less plan. The plan has such a timing of
its own: ``salesplay plan`` buys leads one cycle ahead of the revenue they bring and counts on the
opening pipeline's deals, so its window's revenue is not its window's leads' either; timing
compares the two lags. Each part is rounded to the
currency unit and timing takes the rounding, so the parts add up to the gap exactly.

Examples
--------
>>> plan = Drivers(revenue=1000, leads=100, stage_rates=(0.5, 0.2), deal_size=100)
>>> actual = Drivers(revenue=720, leads=80, stage_rates=(0.5, 0.2), deal_size=90)
>>> parts = decompose(plan, actual, ("demo", "proposal"))
>>> parts["gap"], parts["volume"], parts["deal_size"], parts["conversion"], parts["timing"]
(-280, -190, -90, {'demo': 0, 'proposal': 0}, 0)
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from sim.stats import quantiles, wilson
from sim.crm import CrmImport
from sim.diagnostics import rep_exceptions, stage_funnel
from sim.errors import Problem, ScenarioError
from sim.forecast import Outlook, forecast
from sim.scenario import Calendar
from sim.spreadsheet import unescape_cell
from sim.targets import allocate
from sim.worktime import working_days

__all__ = [
    "CHECKPOINTS",
    "LEVEL_FIELDS",
    "Drivers",
    "Tracking",
    "decompose",
    "elapsed_share",
    "read_plan",
    "shapley",
    "track",
]

LEVEL_FIELDS = {"company": None, "tier": "product", "channel": "channel", "team": "team", "rep": "rep"}
"""Each plan level and the export's field that names its units (the company is every deal)."""

CHECKPOINTS: tuple[int | str, ...] = (10, 20, "end")
"""Days of the month a status line is due: day numbers, and ``"end"`` for the month's last day."""

PLAN_FILE = "plan.csv"
_PLAN_COLUMNS = ("level", "unit", "period", "revenue_target", "deals", "leads")
HORIZONS = ("month", "quarter", "year")
MEASURES = ("revenue", "deals")
"""What is tracked: revenue against the plan's targets, or won deals against its deals."""


# ----------------------------------------------------------------------------- the plan file


def read_plan(plan_dir: str | Path) -> pd.DataFrame:
    """The plan table of ``plan_dir/plan.csv`` (``period`` as monthly periods); every bad cell listed.

    Raise :class:`ScenarioError` naming the file, line and field of each problem.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "plan.csv").write_text("level,unit,period,revenue_target,deals,leads\\n"
    ...                                       "company,all,2017-13,100,1,x\\n")
    >>> read_plan(folder)
    Traceback (most recent call last):
    ...
    sim.errors.ScenarioError: .../plan.csv:2: period: '2017-13' is not a month (YYYY-MM)
    .../plan.csv:2: leads: 'x' is not a number of zero or more
    """
    path = Path(plan_dir) / PLAN_FILE
    if not path.is_file():
        raise ScenarioError(
            [Problem("", "file not found (write it with: salesplay plan SCENARIO --out DIR)", file=str(path))]
        )
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise ScenarioError([Problem("", f"cannot be read as CSV ({exc})", file=str(path))]) from None
    missing = [c for c in _PLAN_COLUMNS if c not in raw.columns]
    if missing:
        raise ScenarioError([Problem(c, "column missing", file=str(path), line=1) for c in missing])
    problems: list[Problem] = []
    rows = []
    for i, row in enumerate(raw[list(_PLAN_COLUMNS)].itertuples(index=False), start=2):

        def bad(column: str, message: str, line: int = i) -> None:
            problems.append(Problem(column, message, file=str(path), line=line))

        if row.level not in LEVEL_FIELDS:
            bad("level", f"{row.level!r} is not a plan level ({', '.join(LEVEL_FIELDS)})")
        if not row.unit.strip():
            bad("unit", "is empty")
        try:
            period = pd.Period(dt.datetime.strptime(row.period.strip(), "%Y-%m"), "M")
        except ValueError:
            bad("period", f"{row.period!r} is not a month (YYYY-MM)")
            period = None
        numbers = {}
        for column in ("revenue_target", "deals", "leads"):
            try:
                numbers[column] = float(getattr(row, column))
            except ValueError:
                numbers[column] = math.nan
            if not (math.isfinite(numbers[column]) and numbers[column] >= 0):
                bad(column, f"{getattr(row, column)!r} is not a number of zero or more")
        rows.append({"level": row.level, "unit": unescape_cell(row.unit.strip()), "period": period, **numbers})
    if problems:
        raise ScenarioError(problems)
    plan = pd.DataFrame(rows, columns=list(_PLAN_COLUMNS))
    if not (plan["level"] == "company").any():
        raise ScenarioError([Problem("level", "the plan has no company rows", file=str(path))])
    plan["revenue_target"] = plan["revenue_target"].round().astype(np.int64)
    return plan


# ----------------------------------------------------------------------------- why the gap


@dataclass(frozen=True)
class Drivers:
    """Revenue of a window and the factors of its model: ``leads × Π stage_rates × deal_size``."""

    revenue: float
    leads: float
    stage_rates: tuple[float, ...]
    deal_size: float

    @property
    def factors(self) -> np.ndarray:
        """Leads, each stage's rate, deal size: the factors whose product models the revenue."""
        return np.array([self.leads, *self.stage_rates, self.deal_size], dtype=float)


def shapley(before: Sequence[float], after: Sequence[float]) -> np.ndarray:
    """Each factor's Shapley share of the change of their product from ``before`` to ``after``.

    Factor ``i`` gets the mean, over every order of switching the factors one by one, of the change
    its own switch makes; the shares add up to ``prod(after) - prod(before)`` (up to rounding).

    >>> shapley([10, 2], [20, 3]).tolist()  # 60 - 20: size 10 at the mean rate 2.5, rate 1 at the mean size 15
    [25.0, 15.0]
    """
    before, after = np.asarray(before, float), np.asarray(after, float)
    n = len(before)
    weight = [math.factorial(k) * math.factorial(n - k - 1) / math.factorial(n) for k in range(n)]
    shares = np.zeros(n)
    for i in range(n):
        others = [j for j in range(n) if j != i]
        for k in range(n):
            for switched in combinations(others, k):
                values = before.copy()
                values[list(switched)] = after[list(switched)]
                without = np.prod(values)
                values[i] = after[i]
                shares[i] += weight[k] * (np.prod(values) - without)
    return shares


def decompose(plan: Drivers, actual: Drivers, stages: Sequence[str]) -> dict[str, Any]:
    """The gap ``actual - plan`` in whole currency units, split into volume, conversion by stage,
    deal size and timing, which add up to it exactly (see the module's notes)."""
    if len(plan.stage_rates) != len(stages) or len(actual.stage_rates) != len(stages):
        raise ValueError("one stage rate per stage is needed on both sides")
    gap = round(actual.revenue) - round(plan.revenue)
    shares = shapley(plan.factors, actual.factors)
    volume, size = round(shares[0]), round(shares[-1])
    conversion = {stage: round(share) for stage, share in zip(stages, shares[1:-1])}
    timing = gap - volume - size - sum(conversion.values())
    return {"gap": gap, "volume": volume, "conversion": conversion, "deal_size": size, "timing": timing}


# ----------------------------------------------------------------------------- tracking


@dataclass(frozen=True)
class Tracking:
    """A plan held against the actuals on one day (see :func:`track`).

    ``status``: per level, unit and horizon (month, quarter, year): the target, the target and
    the actual to date, attainment, pace, the projection (P10/P50/P90) and ``p_make`` with its 95%
    Monte Carlo interval (``p_make_low``, ``p_make_high``);
    ``months``: target and actual per plan month up to the as-of month; ``checkpoints``: one
    status line each; ``gaps``: the decomposition of every tracked unit's gap to date, and
    ``reps`` of each rep's (with the credibility of the rep's win rate); ``curve``: the company's
    cumulative plan, actual and projection band by day.
    """

    as_of: pd.Timestamp
    plan_start: pd.Timestamp
    plan_end: pd.Timestamp
    tolerance: float
    stages: tuple[str, ...]
    status: pd.DataFrame
    months: pd.DataFrame
    checkpoints: tuple[dict[str, Any], ...]
    gaps: pd.DataFrame
    reps: pd.DataFrame
    curve: pd.DataFrame
    notes: tuple[str, ...]
    measure: str = "revenue"

    def summary(self, top: int = 5) -> dict[str, Any]:
        """Everything as plain data (for ``tracking.json``); the ``top`` reps and stages carrying most of the gap."""
        company = self.gaps[self.gaps["level"] == "company"].iloc[0]
        stage_parts = {s: int(company[f"conversion:{s}"]) for s in self.stages}
        behind_reps = self.reps[self.reps["gap"] < 0].nsmallest(top, "gap")
        return {
            "as_of": str(self.as_of.date()),
            "plan": {"start": str(self.plan_start.date()), "end": str(self.plan_end.date())},
            "measure": self.measure,
            "tolerance": self.tolerance,
            "checkpoints": [dict(c) for c in self.checkpoints],
            "status": _records(self.status),
            "months": _records(self.months.assign(period=self.months["period"].astype(str))),
            "gap": {
                "window": [str(self.plan_start.date()), str(self.as_of.date())],
                "parts": ["volume", *(f"conversion:{s}" for s in self.stages), "deal_size", "timing"],
                "by_unit": _records(self.gaps),
                "stages_carrying_most": [
                    {"stage": s, "amount": v} for s, v in sorted(stage_parts.items(), key=lambda kv: kv[1])[:top]
                ],
                "reps_carrying_most": _records(behind_reps),
                "reps": _records(self.reps),
            },
            "notes": list(self.notes),
        }


def _records(table: pd.DataFrame) -> list[dict[str, Any]]:
    return [{k: (None if v is pd.NA else v) for k, v in row.items()} for row in table.to_dict("records")]


def elapsed_share(month: pd.Period, day: pd.Timestamp, calendar: Calendar, since: pd.Timestamp | None = None) -> float:
    """Share of ``month``'s working days on or before ``day`` (calendar days if it has none); with
    ``since``, of its working days from ``since`` on (a plan that starts within the month).

    >>> elapsed_share(pd.Period("2017-09", "M"), pd.Timestamp("2017-09-10"), Calendar())  # 6 of 21 weekdays
    0.2857142857142857
    >>> since = pd.Timestamp("2017-09-21")  # 2 of the 7 weekdays from the 21st
    >>> round(elapsed_share(pd.Period("2017-09", "M"), pd.Timestamp("2017-09-22"), Calendar(), since), 4)
    0.2857
    """
    flags = _day_weights(month, calendar, since)
    upto = int(np.clip((day - month.start_time.normalize()).days + 1, 0, len(flags)))
    return float(flags[:upto].sum() / flags.sum())


def _day_weights(month: pd.Period, calendar: Calendar, since: pd.Timestamp | None = None) -> np.ndarray:
    """One weight per day of ``month``: its working days (every day if it has none), none before ``since``."""
    first = month.start_time.normalize()
    flags = working_days(calendar, first.date(), 0, int(month.days_in_month)).astype(float)
    skip = 0 if since is None else int(np.clip((since - first).days, 0, len(flags) - 1))
    flags[:skip] = 0.0
    if flags.sum() == 0:
        flags = np.ones(len(flags))
        flags[:skip] = 0.0
    return flags


def _pace(actual: float, target: float, tolerance: float) -> str:
    if target <= 0:
        return "ahead" if actual > 0 else "on track"
    ratio = actual / target
    return "ahead" if ratio > 1 + tolerance else "behind" if ratio < 1 - tolerance else "on track"


def _subset(crm: CrmImport, mask: np.ndarray) -> CrmImport:
    return dataclasses.replace(crm, opportunities=crm.opportunities[mask].reset_index(drop=True))


def _opens(month: pd.Period, plan_start: pd.Timestamp) -> pd.Timestamp:
    """The first day of ``month`` that the plan covers."""
    return max(month.start_time.normalize(), plan_start)


def _within(times: pd.Series, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
    """Times on the days from ``start`` to ``end``, both whole days (an export may carry the time of day)."""
    return (times >= start.normalize()) & (times < end.normalize() + pd.Timedelta(days=1))


def _won_between(ops: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    return ops[(ops["status"] == "won") & _within(ops["closed"], start, end)]


def _outlook(crm: CrmImport, until: pd.Timestamp, replications: int, seed: int) -> Outlook | None:
    """The forecast from the day after ``crm.as_of`` to ``until`` (None when nothing is left or the data cannot tell)."""
    if until <= crm.as_of:
        return None
    try:
        return forecast(crm, until, replications=replications, seed=seed)
    except ValueError:  # e.g. a unit without a won deal to calibrate from
        return None


def _remaining(outlook: Outlook | None, as_of: pd.Timestamp, end: pd.Timestamp, replications: int) -> np.ndarray | None:
    """Per replication, the forecast revenue from the day after ``as_of`` to ``end`` (None: no forecast)."""
    days = (end - as_of).days
    if days <= 0:
        return np.zeros(replications)
    if outlook is None:
        return None
    return np.cumsum(outlook.daily_revenue, axis=1)[:, min(days, outlook.daily_revenue.shape[1]) - 1]


def _stage_rates(decided: pd.DataFrame, stages: Sequence[str]) -> np.ndarray:
    """Conversion of each stage among ``decided`` deals (NaN where none was decided there)."""
    if decided.empty:
        return np.full(len(stages), np.nan)
    return stage_funnel(decided, stages)["conversion"].to_numpy(float)


def _plan_rates(history: np.ndarray, win_rate: float) -> tuple[float, ...]:
    """The plan's lead-to-won rate split over stages like the history's rates.

    Each history rate is raised to the same power, chosen so that their product is the plan's
    rate: a stage every deal passes keeps its rate of 1, and each stage takes its share of the
    change in proportion to its logarithm. Without a usable history the rate is split evenly.

    >>> [round(r, 3) for r in _plan_rates(np.array([1.0, 0.5, np.nan]), 0.25)]
    [1.0, 0.25, 1.0]
    """
    h = np.where(np.isfinite(history), history, 1.0)
    product = float(np.prod(h))
    if 0 < product < 1 and win_rate > 0:
        return tuple(float(x) for x in h ** (math.log(win_rate) / math.log(product)))
    return tuple([win_rate ** (1 / len(h))] * len(h))


def _actual_drivers(
    ops: pd.DataFrame, stages: Sequence[str], start: pd.Timestamp, end: pd.Timestamp, plan: Drivers
) -> Drivers:
    """The actual window's drivers (a stage without decided deals keeps the plan's rate)."""
    won = _won_between(ops, start, end)
    decided = ops[ops["status"].isin(["won", "lost"]) & _within(ops["closed"], start, end)]
    rates = _stage_rates(decided, stages)
    rates = np.where(np.isfinite(rates), rates, np.asarray(plan.stage_rates))
    revenue = float(won["value"].sum())
    size = revenue / len(won) if len(won) else plan.deal_size
    leads = float(_within(ops["created"], start, end).sum())
    return Drivers(revenue, leads, tuple(float(r) for r in rates), size)


def _gap_row(level: str, unit: str, plan: Drivers, actual: Drivers, stages: Sequence[str]) -> dict[str, Any]:
    parts = decompose(plan, actual, stages)
    return {
        "level": level,
        "unit": unit,
        "target": round(plan.revenue),
        "actual": round(actual.revenue),
        "gap": parts["gap"],
        "volume": parts["volume"],
        **{f"conversion:{s}": v for s, v in parts["conversion"].items()},
        "deal_size": parts["deal_size"],
        "timing": parts["timing"],
        "plan_leads": plan.leads,
        "actual_leads": actual.leads,
        **{f"plan_rate:{s}": r for s, r in zip(stages, plan.stage_rates)},
        **{f"actual_rate:{s}": r for s, r in zip(stages, actual.stage_rates)},
        "plan_win_rate": float(np.prod(plan.stage_rates)),
        "actual_win_rate": float(np.prod(actual.stage_rates)),
        "plan_deal_size": plan.deal_size,
        "actual_deal_size": actual.deal_size,
    }


def _checkpoint_days(month: pd.Period, checkpoints: Sequence[int | str]) -> list[pd.Timestamp]:
    first, last = month.start_time.normalize(), month.end_time.normalize()
    days = {
        last if c == "end" else first + pd.Timedelta(days=int(c) - 1)
        for c in checkpoints
        if c == "end" or 1 <= int(c) <= month.days_in_month
    }
    return sorted(days)


def track(
    crm: CrmImport,
    plan: pd.DataFrame,
    as_of: Any,
    calendar: Calendar | None = None,
    checkpoints: Sequence[int | str] = CHECKPOINTS,
    tolerance: float = 0.05,
    replications: int = 500,
    seed: int = 0,
    measure: str = "revenue",
    start: Any = None,
) -> Tracking:
    """Hold the export's won deals to ``as_of`` against ``plan`` (:func:`read_plan`); see the module's notes.

    ``calendar`` gives the working days that pace a month's target (weekdays by default);
    ``tolerance`` the band around the target to date that counts as on track; ``replications``
    and ``seed`` the forecasts'. ``measure="deals"`` tracks won deals against the plan's ``deals``
    instead of revenue against its targets (for exports without deal values, e.g. Olist): every won
    deal counts 1, so the figures are counts and deal size never carries a gap. ``start`` is the plan's
    first day when it starts within its first month (a replan made mid-month: that month's target is
    for its days from ``start``). Raise ``ValueError`` when ``as_of`` is before the plan's first day.

    Examples
    --------
    >>> from sim.crm import read_opportunities
    >>> crm = read_opportunities("data/maven_crm", "maven")
    >>> months = pd.period_range("2017-07", periods=12, freq="M")
    >>> plan = pd.DataFrame({"level": "company", "unit": "all", "period": months,
    ...                      "revenue_target": 800_000, "deals": 350.0, "leads": 700.0})
    >>> t = track(crm, plan, "2017-09-20", replications=20, seed=1)
    >>> t.checkpoints[0]["line"][:40]
    '2017-09-10 (10th): 368,916 won against 2'
    >>> gap = t.gaps.iloc[0]
    >>> parts = gap[["volume", "conversion:Prospecting", "conversion:Engaging", "deal_size", "timing"]]
    >>> bool(parts.sum() == gap["gap"] == gap["actual"] - gap["target"])
    True
    """
    if measure not in MEASURES:
        raise ValueError(f"measure {measure!r} is not one of {', '.join(MEASURES)}")
    if measure == "deals":
        crm, plan = _counted(crm), _deal_targets(plan)
    calendar = calendar or Calendar()
    as_of = pd.Timestamp(as_of).normalize()
    months = pd.PeriodIndex(sorted(plan.loc[plan["level"] == "company", "period"].unique()), freq="M")
    plan_start, plan_end = months[0].start_time.normalize(), months[-1].end_time.normalize()
    if start is not None:
        plan_start = max(plan_start, min(pd.Timestamp(start).normalize(), months[0].end_time.normalize()))
    if as_of < plan_start:
        raise ValueError(
            f"the plan starts on {plan_start.date()}, after the as-of date {as_of.date()}: nothing to track"
        )
    known = crm.as_known_on(as_of)
    ops = known.opportunities
    stages = tuple(crm.stages[:-1] or crm.stages)  # the won stage converts nothing: the funnel's stages before it
    notes: list[str] = []
    if measure == "revenue" and not ops.loc[ops["status"] == "won", "value"].notna().any():
        notes.append("the export holds no deal values, so revenue is nought: track won deals with measure 'deals'")
    if as_of > crm.as_of:
        notes.append(f"the export ends on {crm.as_of.date()}, before the as-of date: later days count as no sales")
    ref = min(as_of, plan_end)
    month_now = ref.to_period("M")
    position = months.get_loc(month_now)
    horizon_months = {
        "month": months[position : position + 1],
        "quarter": months[position // 3 * 3 : position // 3 * 3 + 3],
        "year": months,
    }
    elapsed = {m: elapsed_share(m, as_of, calendar, plan_start) for m in months}
    history = ops[ops["status"].isin(["won", "lost"]) & (ops["closed"] < plan_start)]

    units = [("company", "all", np.ones(len(ops), bool))]
    for level, field in LEVEL_FIELDS.items():
        planned = sorted(plan.loc[plan["level"] == level, "unit"].unique())
        if field is None or not planned:
            continue
        named = set(ops[field].dropna().astype(str)) if ops[field].notna().any() else set()
        tracked = [u for u in planned if u in named]
        if not tracked:
            notes.append(
                f"level {level}: the export names no {field} of the plan ({', '.join(planned[:3])}"
                f"{', ...' if len(planned) > 3 else ''}): not tracked"
            )
            continue
        if len(tracked) < len(planned):
            notes.append(
                f"level {level}: {', '.join(u for u in planned if u not in named)} not in the export's {field}"
            )
        units += [(level, u, (ops[field].astype(object) == u).fillna(False).to_numpy(bool)) for u in tracked]

    status_rows, month_rows, gap_rows = [], [], []
    company_outlook = None
    for level, unit, mask in units:
        rows = (
            plan[(plan["level"] == level) & (plan["unit"] == unit)]
            .groupby("period")[["revenue_target", "deals", "leads"]]
            .sum()
            .reindex(months, fill_value=0)
        )
        unit_ops = ops[mask]
        outlook = _outlook(_subset(known, mask), plan_end, replications, seed)
        if outlook is None and as_of < plan_end:
            notes.append(f"{level} {unit}: no forecast (too little data); projections left empty")
        if level == "company":
            company_outlook = outlook
        for horizon, period_months in horizon_months.items():
            start, end = _opens(period_months[0], plan_start), period_months[-1].end_time.normalize()
            target = float(rows.loc[period_months, "revenue_target"].sum())
            to_date = float(sum(rows.loc[m, "revenue_target"] * elapsed[m] for m in period_months))
            actual = float(_won_between(unit_ops, start, min(as_of, end))["value"].sum())
            rest = _remaining(outlook, as_of, end, replications)
            projected = None if rest is None else actual + rest
            label = str(period_months[0]) if horizon == "month" else f"{period_months[0]} to {period_months[-1]}"
            status_rows.append(
                {
                    "level": level,
                    "unit": unit,
                    "horizon": horizon,
                    "period": label,
                    "target": round(target),
                    "target_to_date": round(to_date),
                    "actual_to_date": round(actual),
                    "attainment": actual / to_date if to_date > 0 else math.nan,
                    "pace": _pace(actual, to_date, tolerance),
                    **quantiles([] if projected is None else projected),
                    **_chance(projected, target),
                }
            )
        for m in months[: position + 1]:
            won = _won_between(unit_ops, _opens(m, plan_start), min(as_of, m.end_time.normalize()))
            month_rows.append(
                {
                    "level": level,
                    "unit": unit,
                    "period": m,
                    "target": int(rows.loc[m, "revenue_target"]),
                    "target_to_date": round(rows.loc[m, "revenue_target"] * elapsed[m]),
                    "actual": round(float(won["value"].sum())),
                }
            )
        weight = pd.Series(elapsed)
        year_deals, year_leads = float(rows["deals"].sum()), float(rows["leads"].sum())
        plan_revenue = float((rows["revenue_target"] * weight).sum())
        plan_deals = float((rows["deals"] * weight).sum())
        history_rates = _stage_rates(history[mask[history.index.to_numpy()]], stages)
        rates = _plan_rates(history_rates, year_deals / year_leads if year_leads > 0 else 0.0)
        plan_drivers = Drivers(
            plan_revenue,
            float((rows["leads"] * weight).sum()),
            rates,
            plan_revenue / plan_deals if plan_deals > 0 else 0.0,
        )
        actual_drivers = _actual_drivers(unit_ops, stages, plan_start, as_of, plan_drivers)
        gap_rows.append(_gap_row(level, unit, plan_drivers, actual_drivers, stages))
        if level == "company":
            company_plan = plan_drivers

    company_rows = (
        plan[plan["level"] == "company"].groupby("period")["revenue_target"].sum().reindex(months, fill_value=0)
    )
    named = [row for row in gap_rows if row["level"] == "rep"]
    reps = _rep_gaps(ops, stages, plan_start, as_of, company_plan, named)
    checkpoint_rows = tuple(
        _checkpoint(
            crm,
            company_rows,
            day,
            calendar,
            tolerance,
            replications,
            seed,
            plan_start,
            company_outlook if day == as_of else None,
        )
        for day in _checkpoint_days(month_now, checkpoints)
        if day <= as_of
    )
    curve = _curve(ops, company_rows, plan_start, plan_end, as_of, calendar, company_outlook)
    return Tracking(
        as_of,
        plan_start,
        plan_end,
        tolerance,
        stages,
        pd.DataFrame(status_rows),
        pd.DataFrame(month_rows),
        checkpoint_rows,
        pd.DataFrame(gap_rows),
        reps,
        curve,
        tuple(notes),
        measure,
    )


def _counted(crm: CrmImport) -> CrmImport:
    """The export with every won deal worth 1 (and no other values): its revenue is its won count."""
    ops = crm.opportunities
    return dataclasses.replace(crm, opportunities=ops.assign(value=np.where(ops["status"] == "won", 1.0, np.nan)))


def _deal_targets(plan: pd.DataFrame) -> pd.DataFrame:
    """The plan with each unit's won deals as its targets: the unit's year rounded to whole deals and
    split over its months exactly."""
    plan = plan.copy()
    for _, rows in plan.groupby(["level", "unit"], sort=False):
        deals = rows["deals"].to_numpy(float)
        plan.loc[rows.index, "revenue_target"] = (
            allocate(round(deals.sum()), deals) if deals.sum() > 0 else np.zeros(len(rows), np.int64)
        )
    plan["revenue_target"] = plan["revenue_target"].astype(np.int64)
    return plan.assign(deals=plan["revenue_target"].astype(float))  # a deal is worth 1: no gap in deal size


def _rep_gaps(
    ops: pd.DataFrame,
    stages: Sequence[str],
    start: pd.Timestamp,
    as_of: pd.Timestamp,
    company_plan: Drivers,
    named: list[dict[str, Any]],
) -> pd.DataFrame:
    """Each rep's gap to date, decomposed: against the rep's own plan rows when the plan names the
    export's reps, else against an even share of the company's plan among the reps at work in the
    window; with the rep's win rate judged by :func:`sim.diagnostics.rep_exceptions`."""
    if named:
        table = pd.DataFrame(named).assign(plan_basis="the rep's plan")
    else:
        in_window = _within(ops["created"], start, as_of) | _within(ops["closed"], start, as_of)
        active = sorted(ops.loc[in_window, "rep"].dropna().astype(str).unique())
        if not active:
            return pd.DataFrame(columns=["level", "unit", "gap", "flagged", "reason"])
        shares = allocate(round(company_plan.revenue), np.ones(len(active)))
        rows = []
        for rep, share in zip(active, shares):
            plan = Drivers(
                float(share), company_plan.leads / len(active), company_plan.stage_rates, company_plan.deal_size
            )
            actual = _actual_drivers(
                ops[(ops["rep"].astype(object) == rep).fillna(False).to_numpy(bool)], stages, start, as_of, plan
            )
            rows.append(_gap_row("rep", rep, plan, actual, stages))
        table = pd.DataFrame(rows).assign(plan_basis="an even share of the company's plan")
    decided = ops[ops["status"].isin(["won", "lost"]) & _within(ops["closed"], start, as_of)]
    if decided["rep"].notna().any():
        by = "team" if decided["team"].notna().any() else None
        judged = rep_exceptions(decided, by=by)[["rep", "flagged", "reason"]].astype({"rep": object})
        table = table.merge(judged.rename(columns={"rep": "unit"}), on="unit", how="left")
    else:
        table = table.assign(flagged=False, reason="no decided deals")
    table["flagged"] = table["flagged"].fillna(False).astype(bool)
    table["reason"] = table["reason"].fillna("no decided deals in the window")
    return table.sort_values("gap", kind="stable").reset_index(drop=True)


def _chance(projected: np.ndarray | None, target: float) -> dict[str, float]:
    """``p_make``, the share of simulated futures reaching ``target``, and its 95% Wilson interval
    (``p_make_low``, ``p_make_high``): the Monte Carlo error of that share, not the model's."""
    if projected is None:
        return dict.fromkeys(("p_make", "p_make_low", "p_make_high"), math.nan)
    made = int(np.sum(projected >= target))
    share = made / len(projected)
    low, high = wilson(made, len(projected))
    # the interval holds the share; at 0 or 1 rounding would put it a hair outside
    return {"p_make": share, "p_make_low": min(float(low), share), "p_make_high": max(float(high), share)}


def _chance_words(chance: dict[str, float]) -> str:
    """``64% chance (95% interval 60% to 68%)``."""
    return f"{chance['p_make']:.0%} chance (95% interval {chance['p_make_low']:.0%} to {chance['p_make_high']:.0%})"


def _ordinal(day: int) -> str:
    suffix = "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def _checkpoint(
    crm: CrmImport,
    targets: pd.Series,
    day: pd.Timestamp,
    calendar: Calendar,
    tolerance: float,
    replications: int,
    seed: int,
    since: pd.Timestamp,
    outlook: Outlook | None = None,
) -> dict[str, Any]:
    """The company's month to date on ``day``, as known that day: pace and the month's projection
    (from ``outlook`` when given: the as-of day's own forecast, so its line and the status agree)."""
    month = day.to_period("M")
    first, end = _opens(month, since), month.end_time.normalize()
    known = crm.as_known_on(day)
    target = float(targets.get(month, 0))
    to_date = target * elapsed_share(month, day, calendar, since)
    actual = float(_won_between(known.opportunities, first, day)["value"].sum())
    pace = _pace(actual, to_date, tolerance)
    name = "month end" if day == end else _ordinal(day.day)
    share = f"{actual / to_date:.0%}, " if to_date > 0 else ""
    line = f"{day.date()} ({name}): {actual:,.0f} won against {to_date:,.0f} planned to date ({share}{pace})"
    rest = _remaining(outlook or _outlook(known, end, replications, seed), day, end, replications)
    spread = quantiles([])
    chance = _chance(None, target)
    if rest is not None:
        projected = actual + rest
        spread = quantiles(projected)
        chance = _chance(projected, target)
        if day < end:
            line += (
                f"; month end P50 {spread['p50']:,.0f} (P10 {spread['p10']:,.0f}, P90 "
                f"{spread['p90']:,.0f}), {_chance_words(chance)} of the month's {target:,.0f}"
            )
        else:
            line += f"; the month closed {'on' if actual >= target else 'short of'} its target of {target:,.0f}"
    return {
        "date": str(day.date()),
        "checkpoint": name,
        "target": round(target),
        "target_to_date": round(to_date),
        "actual": round(actual),
        "pace": pace,
        **spread,
        **chance,
        "line": line,
    }


def _curve(
    ops: pd.DataFrame,
    targets: pd.Series,
    start: pd.Timestamp,
    end: pd.Timestamp,
    as_of: pd.Timestamp,
    calendar: Calendar,
    outlook: Outlook | None,
) -> pd.DataFrame:
    """The company's cumulative plan (months spread over their working days), actual and projection by day."""
    days = pd.date_range(start, end, freq="D", name="day")
    daily_plan = []
    for month, target in targets.items():
        flags = _day_weights(month, calendar, start)
        opens = max(0, (start - month.start_time.normalize()).days)
        daily_plan.append((target * flags / flags.sum())[opens:])
    curve = pd.DataFrame({"plan": np.cumsum(np.concatenate(daily_plan))}, index=days)
    won = _won_between(ops, start, min(as_of, end))
    actual = won.groupby(won["closed"].dt.normalize())["value"].sum().reindex(days, fill_value=0.0).cumsum()
    curve["actual"] = actual.where(days <= as_of)
    to_date = float(actual.loc[min(as_of, end)])
    for q in ("p10", "p50", "p90"):
        curve[q] = np.nan
        if as_of <= end:
            curve.loc[min(as_of, end), q] = to_date
    if outlook is not None:
        fan = outlook.fan()
        for q in ("p10", "p50", "p90"):
            curve.loc[fan.index, q] = to_date + fan[q].to_numpy()
    return curve
