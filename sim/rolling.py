"""Rolling-origin backtests: cut-offs in a range, several forecast methods side by side.

A rolling-origin backtest forecasts the same horizon from every cut-off of a range with only
what was known at each (:meth:`sim.crm.CrmImport.as_known_on`) and scores the forecasts
against what happened. :func:`rolling_backtest` does it for every method of ``METHODS``;
:func:`choose` forecasts by the method that backtests before the forecast's own date favour.
Every P10–P90 range is calibrated on the method's errors at finished earlier cut-offs.

Examples
--------
>>> [d.date().isoformat() for d in cutoff_range("2017-05-31:2017-07-31:monthly")]
['2017-05-31', '2017-06-30', '2017-07-31']
>>> [d.date().isoformat() for d in cutoff_range("2018-01-31:2018-02-14:weekly")]
['2018-01-31', '2018-02-07', '2018-02-14']
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Any, Iterable

import numpy as np
import pandas as pd
from scipy import stats

from sim.calibrate import Calibration, calibrate
from sim.crm import CrmImport
from sim.forecast import (
    CohortTest,
    Outlook,
    backtest_row,
    cohort_test,
    expected_outcome,
    ZombieShare,
    forecast,
    open_deal_odds,
    require_dated,
    run_rate_window,
    seasonal_naive,
    toward_cohort,
    weighted_pipeline,
)

__all__ = [
    "cutoff_range",
    "rolling_backtest",
    "Backtest",
    "Choice",
    "choose",
    "zombie_share",
    "STEPS",
    "METHODS",
    "Z90",
    "BASE_METHODS",
]

STEPS = ("monthly", "weekly")
BASE_METHODS = ("run_rate", "seasonal_naive", "weighted_pipeline", "simulation")
METHODS = (*BASE_METHODS, "combination")
# the weighted pipeline is the managers' baseline, not combined: it forecasts what the open deals
# will eventually bring, whenever they close and without new deals, not the period's wins
COMBINED = ("run_rate", "seasonal_naive", "simulation")
EARLIER_CUTOFFS = 6  # weekly finished cut-offs before each cut-off that calibrate it (zombies, weights, ranges)
EARLIER_REPLICATIONS = 200  # replications of their simulations: only the median and spread are used
HAZARD_WINDOWS = (None, 90, 45)  # days of recent deal experience the simulation's fate table may be fitted on
ARRIVAL_MONTHS = (3, 1)  # full calendar months before the cut-off whose arrivals may set the simulation's lead rate
ZOMBIE_MIN_DAYS = 14  # shortest window over which open deals' wins are held against their odds
ZOMBIE_AGE_QUANTILE = 0.5  # open deals older than this quantile of won deals' time to close are "old"
Z90 = float(stats.norm.ppf(0.9))


def cutoff_range(spec: str) -> list[pd.Timestamp]:
    """The cut-offs of ``START:END:STEP`` (ISO dates, STEP ``monthly`` or ``weekly``), START and END included.

    ``monthly`` from a month's last day gives every month end; from another day, the same day
    of each month (the month's last day when it has fewer days). Raise ``ValueError`` with one
    message naming what is wrong.

    >>> [d.day for d in cutoff_range("2017-01-30:2017-03-31:monthly")]
    [30, 28, 30]
    """
    parts = spec.split(":")
    if len(parts) != 3:
        raise ValueError(f"{spec!r} is not START:END:STEP, e.g. 2017-05-31:2017-09-30:monthly")
    dates = []
    for part in parts[:2]:
        try:
            dates.append(pd.Timestamp(dt.date.fromisoformat(part)))
        except ValueError:
            raise ValueError(f"{spec!r}: {part!r} is not a date (YYYY-MM-DD)") from None
    start, end = dates
    step = parts[2].strip().lower()
    if step not in STEPS:
        raise ValueError(f"{spec!r}: {parts[2]!r} is not a step ({', '.join(STEPS)})")
    if end < start:
        raise ValueError(f"{spec!r}: the range ends ({end.date()}) before it starts ({start.date()})")
    if step == "weekly":
        return list(pd.date_range(start, end, freq="7D"))
    if start.is_month_end:
        return list(pd.date_range(start, end, freq="ME"))
    months = (end.year - start.year) * 12 + end.month - start.month
    shifted = [start + pd.DateOffset(months=k) for k in range(months + 1)]
    return [d for d in shifted if d <= end]


@dataclass
class _Run:
    """One cut-off's forecasts by every method, and (when known) what happened."""

    cutoff: pd.Timestamp
    end: pd.Timestamp
    points: dict[str, float]
    spread: dict[str, float]  # each method's own standard deviation on the log1p scale
    actual: float | None
    outlook: Outlook
    zombies: ZombieShare
    known: CrmImport
    rows_used: int
    # the simulation's hazard window (None: all the history), arrival months, and whether its fate
    # table is weighted toward the recent creation cohort
    setup: tuple[int | None, int, bool]
    expected: dict[tuple[int | None, int, bool], float]  # the simulation's expected outcome by setup, for choosing one
    cohorts: CohortTest
    # what the cut-off had a full window of closes behind it for: "run_rate" (``lookback_days``)
    # and each simulation setup (its hazard window and arrival months)
    informed: frozenset = frozenset()
    low: dict[str, float] = field(default_factory=dict)
    high: dict[str, float] = field(default_factory=dict)
    earlier: dict[str, int] = field(default_factory=dict)  # finished earlier cut-offs that calibrated each range

    @property
    def days(self) -> int:
        return (self.end - self.cutoff).days

    @property
    def hazard_days(self) -> int | None:
        return self.setup[0]

    @property
    def arrival_months(self) -> int:
        return self.setup[1]

    @property
    def toward_cohort(self) -> bool:
        return self.setup[2]


def _log_error(point: float, actual: float) -> float:
    return float(np.log1p(actual) - np.log1p(point))


def zombie_share(earlier: list[pd.DataFrame], age: float) -> ZombieShare:
    """Share of open deals that never close, young (up to ``age`` days) and old, from earlier cut-offs.

    ``earlier``: for each earlier cut-off, its open deals' ``age``, ``p_won`` (the fate table's
    probability of a win by the cut-off being forecast) and ``won`` (whether it was). Each
    share is ``1 - observed / expected wins`` when the shortfall is beyond chance (more than
    two Poisson standard deviations of the expected wins), else 0: a pipeline that wins as
    often as the table says has no zombies; one that wins half as often is half dead.

    >>> past = pd.DataFrame({"age": [10] * 200 + [90] * 200, "p_won": 0.5, "won": [1, 0] * 100 + [1, 0, 0, 0] * 50})
    >>> z = zombie_share([past], age=30)
    >>> z.young, z.old
    (0.0, 0.5)
    """
    if not earlier:
        return ZombieShare(age)
    pooled = pd.concat(earlier)
    old = pooled["age"].to_numpy() > age
    shares = []
    for group in (~old, old):
        expected = float(pooled.loc[group, "p_won"].sum())
        observed = float(pooled.loc[group, "won"].sum())
        shares.append(1 - observed / expected if observed < expected - 2 * np.sqrt(expected) else 0.0)
    return ZombieShare(age, *shares)


def _zombie_evidence(
    crm: CrmImport,
    cutoff: pd.Timestamp,
    days: int,
    hazard_days: int | None,
    earliest: pd.Timestamp | None,
    calibrations: dict,
) -> list[pd.DataFrame]:
    """The open deals of the cut-off one period earlier (or of the earliest with a full run-rate
    window, if later), their odds of a win by ``cutoff`` by the fate table then, and whether they
    were won by ``cutoff``: what :func:`zombie_share` weighs. Empty when no such cut-off lies at
    least ``ZOMBIE_MIN_DAYS`` before."""
    if earliest is None:
        return []
    start = max(cutoff - pd.Timedelta(days=days), earliest)
    window = (cutoff - start).days
    if window < ZOMBIE_MIN_DAYS:
        return []
    odds = open_deal_odds(_known_on(crm, start), _calibration(crm, start, hazard_days, calibrations), window)
    won = set(_won_between(crm, start, cutoff)["opportunity_id"])
    return [odds.assign(won=odds["opportunity_id"].isin(won).astype(int))]


def _informed(
    first_close: pd.Timestamp | None, cutoff: pd.Timestamp, lookback_days: int, hazard_windows: Iterable[int | None]
) -> frozenset:
    """What a cut-off had a full window of data behind it for, the export's history counted from its
    first close (before it an export may lack the deals that closed): ``"run_rate"`` when
    ``lookback_days`` of closes lie behind it, and each simulation setup (hazard window, arrival
    months, cohort weighting) whose hazard window (``lookback_days`` for all the history) and whose
    full calendar months of arrivals lie after the first close.

    >>> sorted(_informed(pd.Timestamp("2017-12-05"), pd.Timestamp("2018-02-08"), 90, (None, 45)))
    [(45, 1, False), (45, 1, True)]
    """
    if first_close is None:
        return frozenset()
    start = first_close.normalize()
    days = (cutoff - start).days + 1
    last_full = (cutoff + pd.Timedelta(days=1)).to_period("M") - 1
    informed = {"run_rate"} if days >= lookback_days else set()
    for window in hazard_windows:
        for months in ARRIVAL_MONTHS:
            if days >= (window or lookback_days) and (last_full - months + 1).start_time >= start:
                informed |= {(window, months, False), (window, months, True)}
    return frozenset(informed)


def _past(run: _Run, method: str, earlier: list[_Run]) -> list[_Run]:
    """The finished earlier cut-offs that calibrate ``method`` at ``run``: those with a full window of
    closes behind them for the method as it is set up at ``run`` (for the simulation, its setup;
    for every other method, the run-rate's window, the shortest that keeps them comparable)."""
    need = run.setup if method == "simulation" else "run_rate"
    return [r for r in earlier if method in r.points and need in r.informed]


def _known_on(crm: CrmImport, day: pd.Timestamp) -> CrmImport:
    """The export as known on ``day``; before its own last day without expected close dates: an export
    holds only their last values, which were not known then (a slipped deal is re-aged only today)."""
    known = crm.as_known_on(day)
    if day >= crm.as_of.normalize():
        return known
    return replace(known, opportunities=known.opportunities.assign(expected_close=pd.NaT))


def _measure(crm: CrmImport) -> str:
    ops = crm.opportunities
    return "revenue" if ops.loc[ops["status"] == "won", "value"].notna().any() else "won"


def _won_between(crm: CrmImport, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    ops = crm.opportunities
    day = ops["closed"].dt.normalize()
    return ops[(ops["status"] == "won") & (day > start) & (day <= end)]


def _total(won: pd.DataFrame, measure: str) -> float:
    return float(won["value"].sum()) if measure == "revenue" else float(len(won))


def _spread(point: float, variance: float) -> float:
    """A standard deviation on the raw scale as one on the log1p scale (delta method)."""
    return float(np.sqrt(max(variance, 0.0)) / (1 + max(point, 0.0)))


def _run(
    crm: CrmImport,
    cutoff: pd.Timestamp,
    end: pd.Timestamp,
    earlier: list[_Run],
    *,
    measure: str,
    replications: int,
    seed: int,
    lookback_days: int,
    hazard_days: int | None,
    known_arrivals: bool,
    calibrations: dict,
) -> _Run:
    """Every method's forecast from ``cutoff`` to ``end`` with only what was known at the cut-off."""
    known = _known_on(crm, cutoff)
    cal = _calibration(crm, cutoff, hazard_days, calibrations)
    days = (end - cutoff).days
    size = (
        (lambda frame: frame["value"].to_numpy(float)) if measure == "revenue" else (lambda frame: np.ones(len(frame)))
    )
    points, spread = {}, {}
    recent, window = run_rate_window(known, lookback_days)
    scale = days / window
    points["run_rate"] = _total(recent, measure) * scale
    # a Poisson count of wins at an estimated rate: the period's chance plus the rate's error
    spread["run_rate"] = _spread(points["run_rate"], (scale + scale**2) * np.sum(size(recent) ** 2))
    year_ago = seasonal_naive(known, days)
    if year_ago is not None:
        points["seasonal_naive"] = _total(year_ago, measure)
        spread["seasonal_naive"] = _spread(points["seasonal_naive"], 2 * np.sum(size(year_ago) ** 2))
    pipeline = weighted_pipeline(known, cal)
    p, value = pipeline["probability"].to_numpy(), pipeline["expected_value"].to_numpy()
    weight = value if measure == "revenue" else np.ones(len(p))
    points["weighted_pipeline"] = float(np.sum(p * weight))
    spread["weighted_pipeline"] = _spread(points["weighted_pipeline"], float(np.sum(p * (1 - p) * weight**2)))
    earliest = _earliest(known, lookback_days)
    windows = _windows(hazard_days)
    fits, expected = {}, {}
    for window_days in windows:
        fitted = _calibration(crm, cutoff, window_days, calibrations)
        won_days = fitted.deals.loc[fitted.deals["outcome"] == "won", "days"]
        age = float(np.quantile(won_days, ZOMBIE_AGE_QUANTILE)) if len(won_days) else np.inf
        zombies = zombie_share(_zombie_evidence(crm, cutoff, days, window_days, earliest, calibrations), age)
        for months in ARRIVAL_MONTHS:
            fitted = _calibration(crm, cutoff, window_days, calibrations, months)
            # every setup's expected outcome is kept, so later cut-offs can score each of them here
            for cohort in (False, True):
                fits[(window_days, months, cohort)] = (toward_cohort(known, fitted) if cohort else fitted, zombies)
                won, revenue = expected_outcome(known, fits[(window_days, months, cohort)][0], end, zombies)
                expected[(window_days, months, cohort)] = revenue if measure == "revenue" else won
    cohorts = cohort_test(known)
    chosen = _setup([k for k in fits if cohorts.differs or not k[2]], earlier)
    fitted, zombies = fits[chosen]
    arrived = None
    if known_arrivals:
        created = crm.opportunities["created"].dt.normalize()
        arrived = crm.opportunities[(created > cutoff) & (created <= end)]
    outlook = forecast(known, end, replications, seed, fitted, new_leads=arrived, zombies=zombies)
    simulated = outlook.revenue if measure == "revenue" else outlook.won
    points["simulation"] = float(np.median(simulated))
    q10, q90 = np.quantile(np.log1p(simulated), [0.1, 0.9])
    spread["simulation"] = float((q90 - q10) / (2 * Z90))
    actual = _total(_won_between(crm, cutoff, end), measure) if end <= crm.as_of else None
    informed = _informed(_first_close(known), cutoff, lookback_days, windows)
    run = _Run(
        cutoff, end, points, spread, actual, outlook, zombies, known, cal.rows_used, chosen, expected, cohorts, informed
    )
    _combine(run, earlier)
    _calibrate_ranges(run, earlier)
    return run


def _calibration(
    crm: CrmImport,
    cutoff: pd.Timestamp,
    hazard_days: int | None,
    calibrations: dict,
    arrival_months: int = ARRIVAL_MONTHS[0],
) -> Calibration:
    """The export as known at ``cutoff`` calibrated (cached: runs and zombie evidence share cut-offs)."""
    key = (cutoff, hazard_days, arrival_months)
    if key not in calibrations:
        calibrations[key] = calibrate(crm.as_known_on(cutoff), recent_months=arrival_months, hazard_days=hazard_days)
    return calibrations[key]


def _setup(setups: list[tuple[int | None, int, bool]], earlier: list[_Run]) -> tuple[int | None, int, bool]:
    """The simulation's setup (hazard window, arrival months, cohort weighting) whose expected outcome
    had the lowest mean squared log error at the finished earlier cut-offs (the first of ``setups``:
    all of the history, the last three months' arrivals, no cohort weighting, when there are none)."""
    past = [r for r in earlier if "run_rate" in r.informed]
    if not past:
        return setups[0]
    return min(
        setups, key=lambda w: (np.mean([_log_error(r.expected[w], r.actual) ** 2 for r in past]), setups.index(w))
    )


def _combine(run: _Run, earlier: list[_Run]) -> None:
    """The combination: a weighted mean of the log1p forecasts of the methods that forecast the
    period (``COMBINED``), weights the inverse of each method's mean squared log error at the
    earlier cut-offs (equal weights when there are none)."""
    methods = [m for m in COMBINED if m in run.points]
    earlier = [r for r in earlier if "run_rate" in r.informed]
    errors = {m: [_log_error(r.points[m], r.actual) for r in earlier if m in r.points] for m in methods}
    if all(errors[m] for m in methods):
        weights = np.array([1 / max(np.mean(np.square(errors[m])), 1e-6) for m in methods])
    else:
        weights = np.ones(len(methods))
    weights = weights / weights.sum()
    run.points["combination"] = float(np.expm1(np.sum(weights * np.log1p([run.points[m] for m in methods]))))
    run.spread["combination"] = float(np.sqrt(np.sum(weights * np.square([run.spread[m] for m in methods]))))


def _calibrate_ranges(run: _Run, earlier: list[_Run]) -> None:
    """P10 and P90 of every method, widened by its errors at the finished earlier cut-offs.

    On the log1p scale the range is the forecast ± q·s with
    s² = own² + max(0, mean(e²) − mean(own_e²)): the method's own variance (chance, and the
    rates' error for the simulation) plus the part of its earlier squared log errors ``e`` that
    its own spreads at those cut-offs ``own_e`` do not explain (see ``_as_now``). ``q`` is the
    90% quantile of Student's t with as many degrees of freedom as there are earlier errors (a
    spread estimated from few errors is itself unsure, so the range widens). With no earlier
    cut-off the range is the method's own (``q`` the normal quantile).
    """
    for m in run.points:
        run.earlier[m] = len(_past(run, m, earlier))
        run.low[m], run.high[m] = _range(run, m, earlier)


def _range(run: _Run, method: str, earlier: list[_Run]) -> tuple[float, float]:
    past = _past(run, method, earlier)
    extra, quantile = 0.0, Z90
    if past:
        errors = np.array([_log_error(_as_now(r, run, method), r.actual) for r in past])
        own = np.array([r.spread[method] for r in past])
        extra = max(0.0, float(np.mean(errors**2) - np.mean(own**2)))
        # a spread estimated from n errors: Student's t with n degrees of freedom, not the normal
        quantile = float(stats.t.ppf(0.9, len(past)))
    centre, s = np.log1p(run.points[method]), np.sqrt(run.spread[method] ** 2 + extra)
    return float(np.expm1(centre - quantile * s)), float(np.expm1(centre + quantile * s))


def _as_now(past: _Run, run: _Run, method: str) -> float:
    """The earlier forecast of ``method`` as the method is set up now: for the simulation, its
    expected outcome with the setup chosen now (the setup chosen then may differ)."""
    if method == "simulation" and run.setup in past.expected:
        return past.expected[run.setup]
    return past.points[method]


def _held_out_coverage(runs: list[_Run], method: str) -> float:
    """Share of ``runs`` whose actual lies in the range calibrated, as above, on the other runs."""
    held = []
    for i, run in enumerate(runs):
        low, high = _range(run, method, runs[:i] + runs[i + 1 :])
        held.append(low <= run.actual <= high)
    return float(np.mean(held))


def _first_close(crm: CrmImport) -> pd.Timestamp | None:
    """The export's first close (None: no closes), where its history is counted from."""
    first = crm.opportunities["closed"].min()
    return None if pd.isna(first) else first


def _windows(hazard_days: int | None) -> tuple[int | None, ...]:
    """The hazard windows the simulation is tried with: ``HAZARD_WINDOWS``, or the one ``hazard_days`` fixes."""
    return HAZARD_WINDOWS if hazard_days is None else (hazard_days,)


def _earliest(crm: CrmImport, lookback_days: int) -> pd.Timestamp | None:
    """The first cut-off with a full run-rate window of closes behind it (None: no closes)."""
    first = _first_close(crm)
    return None if first is None else first.normalize() + pd.Timedelta(days=lookback_days - 1)


def _runs(crm: CrmImport, targets: list[tuple[pd.Timestamp, pd.Timestamp]], **options: Any) -> dict:
    """Runs at the target cut-offs and at up to ``EARLIER_CUTOFFS`` weekly cut-offs before each whose
    period had ended by the target's cut-off and which had a full window of closes for some method
    (:func:`_informed`); every run calibrated on the runs finished before it."""
    lookback = options["lookback_days"]
    first_close = _first_close(crm)
    windows = _windows(options["hazard_days"])
    wanted = {}
    for cutoff, end in targets:
        days = end - cutoff
        wanted[(cutoff, end)] = options["replications"]
        for k in range(EARLIER_CUTOFFS):
            start = cutoff - days - pd.Timedelta(days=7 * k)
            if not _informed(first_close, start, lookback, windows):
                break
            wanted.setdefault((start, start + days), min(options["replications"], EARLIER_REPLICATIONS))
    done: dict[tuple[pd.Timestamp, pd.Timestamp], _Run] = {}
    calibrations: dict = {}
    for cutoff, end in sorted(wanted):
        earlier = [r for r in done.values() if r.end <= cutoff and r.days == (end - cutoff).days]
        done[(cutoff, end)] = _run(
            crm, cutoff, end, earlier, **{**options, "replications": wanted[(cutoff, end)]}, calibrations=calibrations
        )
    return done


def _score(run: _Run, method: str) -> dict[str, Any]:
    point, actual = run.points[method], run.actual
    return {
        "cutoff": run.cutoff.date(),
        "until": run.end.date(),
        "method": method,
        "p10": run.low[method],
        "point": point,
        "p90": run.high[method],
        "actual": actual,
        "abs_pct_error": abs(point - actual) / actual if actual else np.nan,
        "bias_pct": (point - actual) / actual if actual else np.nan,
        "covered": bool(run.low[method] <= actual <= run.high[method]),
        "width": (run.high[method] - run.low[method]) / point if point > 0 else np.nan,
        "earlier_cutoffs": run.earlier[method],
    }


@dataclass(frozen=True)
class Backtest:
    """A rolling-origin backtest: the simulation's rows (:func:`sim.forecast.backtest`'s columns),
    every method's forecast and calibrated range per cut-off (``scores``), and notes."""

    table: pd.DataFrame
    scores: pd.DataFrame
    measure: str
    notes: tuple[str, ...]

    def methods(self) -> dict[str, dict[str, float]]:
        """Per method over the cut-offs: mean absolute and mean signed percentage error of the
        forecast, the share of actuals inside P10–P90, the mean and largest width of that range
        over its forecast, and how many cut-offs the method could forecast."""
        out = {}
        for method, rows in self.scores.groupby("method", sort=False):
            out[str(method)] = {
                "mean_abs_pct_error": float(rows["abs_pct_error"].mean()),
                "bias_pct": float(rows["bias_pct"].mean()),
                "coverage": float(rows["covered"].mean()),
                "mean_width": float(rows["width"].mean()),
                "max_width": float(rows["width"].max()),
                "cutoffs": int(len(rows)),
            }
        return out

    @property
    def chosen(self) -> str:
        """The method with the lowest mean absolute percentage error among those that forecast every cut-off."""
        cutoffs = self.scores["cutoff"].nunique()
        table = {m: v for m, v in self.methods().items() if v["cutoffs"] == cutoffs}
        return min(table, key=lambda m: (table[m]["mean_abs_pct_error"], METHODS.index(m)))


def _period_end(crm: CrmImport, cutoff: pd.Timestamp, until: Any, period_days: int | None) -> pd.Timestamp:
    return (
        pd.Timestamp(until)
        if until is not None
        else cutoff + pd.Timedelta(days=period_days)
        if period_days
        else crm.as_of
    ).normalize()


def rolling_backtest(
    crm: CrmImport,
    cutoffs: Iterable[Any],
    until: Any = None,
    period_days: int | None = None,
    replications: int = 1000,
    seed: int = 0,
    lookback_days: int = 90,
    known_arrivals: bool = False,
    hazard_days: int | None = None,
) -> Backtest:
    """Forecast by every method from each cut-off with only what was known then; score against what happened.

    The methods (``METHODS``): the naive **run-rate** (the last ``lookback_days`` of wins scaled
    to the period); the **seasonal naive** (the same days a year earlier; only where the
    export's closes reach back a year); the **weighted pipeline** (stage probability × value of
    the open deals); the Monte Carlo **simulation** (:func:`sim.forecast.forecast`, its open
    deals discounted by a zombie share); and their **combination**. The forecast is of revenue,
    or of won deals when the export has no values.

    Each cut-off is calibrated on finished earlier cut-offs only: up to ``EARLIER_CUTOFFS``
    weekly cut-offs whose period of the same length had ended by then, and earlier cut-offs of the
    backtest itself; each counts for a method when it had a full window of closes behind it for
    that method (:func:`_informed`: the simulation's setup for its range, else ``lookback_days``).
    From them come the simulation's hazard window (``HAZARD_WINDOWS``, unless ``hazard_days``
    fixes it), the combination's weights (the inverse of each method's mean squared log error)
    and the ranges (see ``_calibrate_ranges``: the method's own spread plus the unexplained part
    of its earlier errors). The zombie shares (:func:`zombie_share`) come from the open deals of
    the cut-off one period back and what became of them by the cut-off. Arguments are those of
    :func:`sim.forecast.backtest`; a period must end by the export's last date.

    >>> from sim.crm import read_opportunities
    >>> crm = read_opportunities("data/maven_crm/sales_pipeline.csv", "maven")
    >>> result = rolling_backtest(crm, ["2017-06-30"], period_days=91, replications=30, seed=1)
    >>> sorted(result.methods()), int(result.table.loc[0, "actual_won"])
    (['combination', 'run_rate', 'simulation', 'weighted_pipeline'], 1236)
    """
    require_dated(crm)
    measure = _measure(crm)
    targets = []
    for cutoff in cutoffs:
        cutoff = pd.Timestamp(cutoff).normalize()
        end = _period_end(crm, cutoff, until, period_days)
        if end < cutoff + pd.Timedelta(days=1):
            raise ValueError(
                f"the period ends ({end.date()}) before it starts ({(cutoff + pd.Timedelta(days=1)).date()})"
            )
        if end > crm.as_of.normalize():
            raise ValueError(
                f"the period from {cutoff.date()} ends ({end.date()}) after the data's last date "
                f"({crm.as_of.date()}): its actual is not known yet"
            )
        targets.append((cutoff, end))
    runs = _runs(
        crm,
        targets,
        measure=measure,
        replications=replications,
        seed=seed,
        lookback_days=lookback_days,
        hazard_days=hazard_days,
        known_arrivals=known_arrivals,
    )
    rows, scores, notes = [], [], []
    for key in targets:
        run = runs[key]
        rows.append(
            {
                **backtest_row(crm, run.known, run.outlook, run.rows_used, lookback_days),
                "zombie_share_young": run.zombies.young,
                "zombie_share_old": run.zombies.old,
                "zombie_age": run.zombies.age,
                "hazard_days": run.hazard_days,
                "arrival_months": run.arrival_months,
                "toward_cohort": run.toward_cohort,
                "cohort_p_value": run.cohorts.p_value,
            }
        )
        scores += [_score(run, m) for m in METHODS if m in run.points]
    evaluated = [runs[key] for key in targets]
    unseasonal = [str(r.cutoff.date()) for r in evaluated if "seasonal_naive" not in r.points]
    if unseasonal:
        notes.append(
            f"no seasonal naive forecast at {', '.join(unseasonal)}: the export's closes do not reach back a year"
        )
    notes += [f"{r.cutoff.date()}: {r.cohorts.note()}" for r in evaluated]
    alone = [str(r.cutoff.date()) for r in evaluated if not any(r.earlier.values())]
    if alone:
        fitted = ", the simulation fitted on all the history" if hazard_days is None else ""
        notes.append(
            f"no finished earlier cut-off at {', '.join(alone)}: the ranges are the methods' own, the "
            f"combination's weights equal{fitted}"
        )
    return Backtest(pd.DataFrame(rows), pd.DataFrame(scores), measure, tuple(notes))


@dataclass(frozen=True)
class Choice:
    """A forecast by the method the backtests favour (or the one asked for), with every method beside it.

    ``table``: per method the forecast, P10 and P90 (calibrated as in :func:`rolling_backtest`),
    and over the finished earlier cut-offs (``backtests``) its mean absolute percentage error and
    ``coverage``: the share of their actuals inside the range the same rule gives each of them
    from the errors of the others (held-out, since the earliest of them had no earlier ones).
    """

    method: str
    reason: str
    measure: str
    table: pd.DataFrame
    outlook: Outlook
    zombies: ZombieShare


def choose(
    crm: CrmImport,
    until: Any,
    method: str | None = None,
    replications: int = 1000,
    seed: int = 0,
    lookback_days: int = 90,
    hazard_days: int | None = None,
) -> Choice:
    """Forecast from ``crm.as_of`` to ``until`` by every method; pick the one with the lowest mean
    absolute percentage error at the finished earlier weekly cut-offs (the simulation when there
    are none), or ``method``.

    >>> from sim.crm import read_opportunities
    >>> crm = read_opportunities("data/maven_crm/sales_pipeline.csv", "maven").as_known_on("2017-10-31")
    >>> choice = choose(crm, "2017-12-31", replications=30, seed=1)
    >>> choice.method in METHODS, bool((choice.table["p10"] <= choice.table["p90"]).all())
    (True, True)
    """
    require_dated(crm)
    if method is not None and method not in METHODS:
        raise ValueError(f"{method!r} is not a forecast method ({', '.join(METHODS)})")
    measure = _measure(crm)
    cutoff, end = crm.as_of.normalize(), pd.Timestamp(until).normalize()
    if end < cutoff + pd.Timedelta(days=1):
        raise ValueError(f"the period ends ({end.date()}) before it starts ({(cutoff + pd.Timedelta(days=1)).date()})")
    runs = _runs(
        crm,
        [(cutoff, end)],
        measure=measure,
        replications=replications,
        seed=seed,
        lookback_days=lookback_days,
        hazard_days=hazard_days,
        known_arrivals=False,
    )
    run = runs[(cutoff, end)]
    earlier = [r for r in runs.values() if r is not run]
    rows = []
    for m in METHODS:
        if m not in run.points:
            continue
        past = _past(run, m, earlier)
        errors = [abs(r.points[m] - r.actual) / r.actual for r in past if r.actual]
        rows.append(
            {
                "method": m,
                "p10": run.low[m],
                "point": run.points[m],
                "p90": run.high[m],
                "mean_abs_pct_error": float(np.mean(errors)) if errors else np.nan,
                "coverage": _held_out_coverage(past, m) if len(past) > 1 else np.nan,
                "backtests": len(past),
            }
        )
    table = pd.DataFrame(rows).set_index("method")
    if method is not None:
        if method not in table.index:
            raise ValueError(
                f"the {method} method cannot forecast from {cutoff.date()} "
                "(the export's closes do not reach back a year)"
            )
        reason = "asked for"
    elif table["backtests"].max() == 0:
        method, reason = "simulation", "no finished earlier backtest to choose by: the simulation by default"
    else:
        ranked = table[table["backtests"] == table["backtests"].max()]
        method = min(ranked.index, key=lambda m: (ranked.loc[m, "mean_abs_pct_error"], METHODS.index(m)))
        reason = (
            f"lowest mean absolute error ({table.loc[method, 'mean_abs_pct_error']:.1%}) over the "
            f"{int(table.loc[method, 'backtests'])} weekly backtests ending by {cutoff.date()}"
        )
    return Choice(method, reason, measure, table, run.outlook, run.zombies)
