"""Forecast the deals and revenue of a period from the open pipeline and new arrivals; backtest it.

The Monte Carlo forecast ages every open deal correctly: a deal open for ``a`` days wins on
day ``t > a`` with probability ``S(t-1)/S(a)·h_won(t)`` (the competing-risks table of
:mod:`sim.calibrate`, with open deals censored), loses likewise, or stays open. New deals
arrive as a Poisson stream at the recent rate, with the recent product mix, and meet the
same fates from age zero. Won deals draw a value from their product's fitted distribution.
Replication ``r`` draws only from ``sim.streams.generator(seed, r, FORECAST, ...)``.

With ``uncertainty=True`` (the default) each replication also redraws what the calibration is
unsure of: the cycle table from a Bayesian bootstrap of the past deals (a weight ~ Exp(1) for
each), and the arrival rate from its Gamma posterior given the recent count (Jeffreys prior).
The range then holds the uncertainty of the rates as well as the chance in each deal's fate --
though still not changes the past does not show.

Two simpler forecasts stand beside it, as managers use them:

- **weighted pipeline**: each open deal's stage probability (the product of the stage
  conversions still ahead) times its expected value -- blind to the deal's age and to timing;
- **naive run-rate**: the last ``lookback_days`` of won revenue, scaled to the period.

:func:`backtest` replays the method at past cut-offs, calibrating only on what was known then.

Examples
--------
>>> from sim.crm import read_opportunities
>>> crm = read_opportunities("data/maven_crm/sales_pipeline.csv", "maven")
>>> out = forecast(crm.as_known_on("2017-09-30"), "2017-12-31", replications=50, seed=1)
>>> bool(out.revenue_quantiles()["p10"] < out.revenue_quantiles()["p90"])
True
>>> table = backtest(crm, ["2017-09-30"], period_days=92, replications=50, seed=1)
>>> int(table.loc[0, "actual_won"])
1196
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Iterable

import numpy as np
import pandas as pd
from scipy import stats

from sim.calibrate import Calibration, calibrate, cycle_table
from sim.crm import CrmImport
from sim.stats import quantiles, spread
from sim.streams import FORECAST, generator

__all__ = [
    "Outlook",
    "ZombieShare",
    "forecast",
    "backtest",
    "naive_run_rate",
    "run_rate_window",
    "seasonal_naive",
    "weighted_pipeline",
    "open_deal_odds",
    "expected_outcome",
    "fate_table",
    "require_dated",
    "CohortTest",
    "cohort_test",
    "toward_cohort",
    "COHORT_ALPHA",
    "open_deal_ages",
]

COHORT_ALPHA = 0.001  # creation cohorts differ when a chi-square test of their win rates says so at this level
COHORT_WIN_QUANTILE = 0.8  # wins counted within the time by which this share of won deals had closed
COHORT_DAYS = 91  # the recent cohort: deals created in the last quarter before the cut-off


def fate_table(cycle: pd.DataFrame) -> np.ndarray:
    """Cumulative fate probabilities by age: row ``a + 1`` is for a deal open after day ``a``
    (row 0: a new deal), over columns ``[won on day 0..T-1, lost on day 0..T-1]``.

    Whatever is left above the last column is the chance the deal stays open past the table,
    which ends on the last day any deal closed (no deal older than that has ever closed).

    >>> from sim.calibrate import cycle_table
    >>> cum = fate_table(cycle_table([0, 1, 1], ["won", "won", "lost"]))
    >>> cum[0].round(3).tolist()  # new deal: won day 0 (1/3), won day 1 (1/3), lost day 1 (1/3)
    [0.333, 0.667, 0.667, 1.0]
    >>> cum[1].round(3).tolist()  # open after day 0: won or lost on day 1, half each
    [0.0, 0.5, 0.5, 1.0]
    """
    events = np.flatnonzero((cycle["won"] + cycle["lost"]).to_numpy() > 0)
    cycle = cycle.iloc[: events[-1] + 1 if len(events) else 1]
    h_won, h_lost = cycle["h_won"].to_numpy(), cycle["h_lost"].to_numpy()
    survival = cycle["survival"].to_numpy()
    before = np.concatenate([[1.0], survival[:-1]])  # S(t-1)
    horizon = len(cycle)
    alive = np.concatenate([[1.0], survival])  # S(a) for rows a = -1, 0, ..., T-1
    day = np.arange(horizon)
    later = day[None, :] > (np.arange(horizon + 1) - 1)[:, None]  # t > a
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.where(alive > 0, 1 / alive, 0.0)[:, None]
    won = np.where(later, before * h_won, 0.0) * scale
    lost = np.where(later, before * h_lost, 0.0) * scale
    return np.minimum(np.cumsum(np.concatenate([won, lost], axis=1), axis=1), 1.0)


def _fates(cum: np.ndarray, ages: np.ndarray, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Outcome (0 won, 1 lost, 2 stays open) and closing age (days) of deals of ``ages`` (-1: new)."""
    rows, width = cum.shape
    horizon = width // 2
    row = np.clip(ages + 1, 0, rows - 1)
    beyond = ages >= horizon  # older than any deal in the data: stays open
    flat = (cum + 2 * np.arange(rows)[:, None]).ravel()  # rows stacked into one increasing array
    idx = np.searchsorted(flat, u + 2 * row, side="right") - row * width
    outcome = np.where(idx >= width, 2, idx // horizon)
    outcome = np.where(beyond, 2, outcome)
    return outcome, idx % horizon


@dataclass(frozen=True)
class ZombieShare:
    """The share of open deals that will never close: ``young`` for deals up to ``age`` days old, ``old`` beyond.

    A CRM keeps deals nobody works any more as open; a table fitted on deal ages credits them
    with the chances of live deals. :func:`sim.rolling.zombie_share` estimates the shares from
    earlier cut-offs (one minus observed over expected wins of the deals then open).

    >>> ZombieShare(age=60, young=0.1, old=0.5).of(np.array([10, 90])).tolist()
    [0.1, 0.5]
    """

    age: float
    young: float = 0.0
    old: float = 0.0

    def of(self, ages: np.ndarray) -> np.ndarray:
        """The zombie share of open deals of these ages."""
        return np.where(np.asarray(ages) > self.age, self.old, self.young)


@dataclass(frozen=True)
class Outlook:
    """A Monte Carlo forecast of one period: per replication, deals won and revenue, by day."""

    start: pd.Timestamp
    end: pd.Timestamp
    won: np.ndarray
    revenue: np.ndarray
    won_new: np.ndarray
    daily_revenue: np.ndarray
    weighted: float
    weighted_by_age: float
    open_deals: int

    @property
    def days(self) -> pd.DatetimeIndex:
        """The days of the period (columns of ``daily_revenue``)."""
        return pd.date_range(self.start, self.end, freq="D")

    def revenue_quantiles(self) -> dict[str, float]:
        """Mean and P10/P50/P90 of the period's revenue."""
        return spread(self.revenue)

    def won_quantiles(self) -> dict[str, float]:
        """Mean and P10/P50/P90 of the period's won deals."""
        return spread(self.won)

    def p_hit(self, target: float) -> float:
        """Share of replications whose revenue reaches ``target``."""
        return float(np.mean(self.revenue >= target))

    def fan(self) -> pd.DataFrame:
        """Cumulative revenue by day: P10, P50, P90 and mean across replications."""
        cum = np.cumsum(self.daily_revenue, axis=1)
        table = quantiles(cum, axis=0)
        return pd.DataFrame({**table, "mean": cum.mean(axis=0)}, index=self.days.rename("day"))


def _expected_values(cal: Calibration, products: pd.Series) -> np.ndarray:
    means = {p: d.mean for p, d in cal.value_dists.items()}
    return products.astype(object).map(means).fillna(means["(all)"]).to_numpy(float)


def _codes(products: pd.Series, tiers: list[str]) -> np.ndarray:
    """Index of each product in ``tiers``; ``len(tiers)`` for one the calibration does not know."""
    return pd.Categorical(products.astype(object), categories=tiers).codes.astype(int) % (len(tiers) + 1)


def require_dated(crm: CrmImport) -> None:
    """Raise ``ValueError`` when the export has no dated opportunity: a forecast needs a day to start from.

    >>> from sim.crm import read_opportunities
    >>> require_dated(read_opportunities("data/maven_crm/sales_pipeline.csv", "maven"))  # dated: nothing raised
    """
    if pd.isna(crm.as_of):
        raise ValueError("the export has no dated opportunities: nothing to forecast from")


def weighted_pipeline(crm: CrmImport, cal: Calibration | None = None) -> pd.DataFrame:
    """Each open deal's stage probability × expected value (the CRM's classic weighted pipeline).

    The stage probability is the product of the conversions still ahead of the deal's stage;
    it ignores how long the deal has been open and when it might close.
    """
    cal = cal or calibrate(crm)
    ops = crm.opportunities
    open_ = ops[ops["status"] == "open"]
    rates = cal.conversion["rate"].fillna(1.0)
    ahead = {s: float(np.prod(rates.iloc[i:])) for i, s in enumerate(rates.index)}
    p = open_["stage"].astype(object).map(ahead).fillna(0.0).to_numpy(float)
    value = _expected_values(cal, open_["product"] if _tiered(cal) else pd.Series(["(all)"] * len(open_)))
    return pd.DataFrame(
        {
            "opportunity_id": open_["opportunity_id"].to_numpy(),
            "stage": open_["stage"].to_numpy(),
            "probability": p,
            "expected_value": value,
            "weighted": p * value,
        }
    )


def _tiered(cal: Calibration) -> bool:
    return len(cal.values) > 1


def forecast(
    crm: CrmImport,
    until: Any,
    replications: int = 1000,
    seed: int = 0,
    cal: Calibration | None = None,
    arrivals: bool = True,
    new_leads: pd.DataFrame | None = None,
    uncertainty: bool = True,
    zombies: "ZombieShare | None" = None,
) -> Outlook:
    """Monte Carlo forecast of the deals won from the day after ``crm.as_of`` to ``until`` (inclusive).

    ``crm`` is the export as known at the start (see :meth:`CrmImport.as_known_on`); ``cal``
    its calibration (computed when not given); ``arrivals=False`` forecasts the open pipeline
    only; ``new_leads`` (opportunities with ``created`` and ``product``) replaces the Poisson
    arrivals by known ones -- a forecast of how many of a given lead cohort will be won.
    Open deals without a created date (age unknown) count in the weighted pipeline only.
    ``uncertainty=False`` keeps the calibrated rates fixed (the range is then only the chance
    in the deals' fates). ``zombies``: the share of open deals, by age, that will never close
    (estimated from earlier cut-offs, see :class:`ZombieShare`); each replication leaves that
    share of the open deals open, drawn deal by deal.
    """
    require_dated(crm)
    cal = cal or calibrate(crm)
    cutoff = crm.as_of.normalize()
    start, end = cutoff + pd.Timedelta(days=1), pd.Timestamp(until).normalize()
    if end < start:
        raise ValueError(f"the period ends ({end.date()}) before it starts ({start.date()})")
    days = (end - cutoff).days
    ops = crm.opportunities
    open_ = ops[(ops["status"] == "open") & ops["created"].notna()]
    ages = open_deal_ages(crm, cal)
    created_day = -ages  # day of creation relative to the cut-off (a slipped deal's as re-aged)
    never_close = np.zeros(len(ages)) if zombies is None else zombies.of(ages)
    tiers = [t for t in cal.values.index if t != "(all)"] if _tiered(cal) else ["(all)"]
    names = [*tiers, "(all)"]  # value distributions by code; the last for a product unknown to the calibration
    open_tier = _codes(open_["product"], tiers) if _tiered(cal) else np.full(len(open_), len(tiers))
    rate = float(cal.recent["leads_per_day"].sum()) if arrivals else 0.0
    if _tiered(cal):
        counts = cal.recent[[f"mix:{t}" for t in tiers]].mul(cal.recent["leads_per_day"], axis=0).sum()
        mix = counts.to_numpy(float) / counts.sum() if counts.sum() > 0 else np.full(len(tiers), 1 / len(tiers))
    else:
        mix = np.ones(1)
    cum = fate_table(cal.cycle)
    won, revenue, won_new = np.zeros(replications, int), np.zeros(replications), np.zeros(replications, int)
    daily = np.zeros((replications, days))
    if new_leads is not None:
        known_day = ((new_leads["created"].dt.normalize() - cutoff).dt.days).to_numpy(int)
        inside = (known_day >= 1) & (known_day <= days)
        known_day = known_day[inside]
        known_tier = (_codes(new_leads["product"], tiers) if _tiered(cal) else np.full(len(new_leads), len(tiers)))[
            inside
        ]
    resample = uncertainty and cal.deals is not None
    if resample:
        past = (
            cal.deals["days"].to_numpy(float),
            cal.deals["outcome"].to_numpy(str),
            cal.deals["entry"].to_numpy(float),
        )
        # a table weighted toward a cohort (see toward_cohort) keeps its weights under the bootstrap
        cohort = cal.deals["weight"].to_numpy(float) if "weight" in cal.deals else 1.0
    for r in range(replications):
        rng = generator(seed, r, FORECAST)
        cum_r, rate_r = cum, rate
        if resample:
            unsure = generator(seed, r, FORECAST, 1)
            cum_r = fate_table(cycle_table(*past, cohort * unsure.exponential(1.0, len(past[0]))))
            if rate > 0:
                leads = cal.recent["leads"].sum()
                rate_r = unsure.gamma(leads + 0.5, 1.0 / cal.recent["days"].iloc[0])
        if new_leads is None:
            n_new = rng.poisson(rate_r * days)
            new_day = rng.integers(1, days + 1, n_new)
            new_tier = rng.choice(len(tiers), n_new, p=mix) if _tiered(cal) else np.full(n_new, len(tiers))
        else:
            n_new, new_day, new_tier = len(known_day), known_day, known_tier
        all_ages = np.concatenate([ages, np.full(n_new, -1)])
        outcome, close_age = _fates(cum_r, all_ages, rng.random(len(all_ages)))
        if zombies is not None:
            outcome[: len(ages)][generator(seed, r, FORECAST, 2).random(len(ages)) < never_close] = 2
        close_day = np.concatenate([created_day, new_day]) + close_age  # relative to the cut-off
        hit = (outcome == 0) & (close_day >= 1) & (close_day <= days)
        tier = np.concatenate([open_tier, new_tier])
        value = np.zeros(len(hit))
        for code in np.flatnonzero(np.bincount(tier[hit], minlength=len(names))):
            sel = hit & (tier == code)
            value[sel] = cal.value_dists[names[code]].sample(rng, int(sel.sum()))
        won[r], won_new[r] = hit.sum(), hit[len(ages) :].sum()
        revenue[r] = value.sum()
        daily[r] = np.bincount(close_day[hit] - 1, weights=value[hit], minlength=days)
    weighted = float(weighted_pipeline(crm, cal)["weighted"].sum())
    # expected revenue from the open deals alone: P(won in the period | age) × expected value
    p_in = _won_within(cum, ages, days) * (1 - never_close)
    by_age = float(np.sum(p_in * _expected_values(cal, pd.Series(np.asarray(names, object)[open_tier]))))
    return Outlook(start, end, won, revenue, won_new, daily, weighted, by_age, len(open_))


def _won_within(cum: np.ndarray, ages: np.ndarray, days: int) -> np.ndarray:
    """Probability that each open deal of ``ages`` is won within the next ``days`` days (by the fate table)."""
    p_in = np.zeros(len(ages))
    horizon = cum.shape[1] // 2
    for i in np.flatnonzero(ages + 1 < cum.shape[0]):
        p_in[i] = cum[ages[i] + 1, min(ages[i] + days, horizon - 1)]
    return p_in


def expected_outcome(
    crm: CrmImport, cal: Calibration, until: Any, zombies: ZombieShare | None = None
) -> tuple[float, float]:
    """The expected won deals and revenue of :func:`forecast` with the rates fixed (``uncertainty=False``),
    worked out rather than simulated: each dated open deal's odds of a win in the period (less
    its zombie share) and new deals arriving evenly at the recent rate, times expected values.

    >>> from sim.crm import read_opportunities
    >>> from sim.calibrate import calibrate
    >>> crm = read_opportunities("data/maven_crm/sales_pipeline.csv").as_known_on("2017-09-30")
    >>> won, revenue = expected_outcome(crm, calibrate(crm), "2017-12-31")
    >>> bool(0 < won < revenue)
    True
    """
    require_dated(crm)
    cutoff = crm.as_of.normalize()
    days = (pd.Timestamp(until).normalize() - cutoff).days
    tiers = [t for t in cal.values.index if t != "(all)"] if _tiered(cal) else ["(all)"]
    odds = open_deal_odds(crm, cal, days)
    ops = crm.opportunities.set_index("opportunity_id")
    products = ops.loc[odds["opportunity_id"], "product"] if _tiered(cal) else pd.Series(["(all)"] * len(odds))
    p = odds["p_won"].to_numpy() * (1 - (zombies.of(odds["age"].to_numpy()) if zombies is not None else 0.0))
    cum = fate_table(cal.cycle)
    horizon = cum.shape[1] // 2
    # a new deal created on day d of the period is won in it with probability P(won by age days - d)
    new_won = float(cal.recent["leads_per_day"].sum()) * float(
        np.sum(cum[0, np.minimum(days - np.arange(1, days + 1), horizon - 1)])
    )
    if _tiered(cal):
        counts = cal.recent[[f"mix:{t}" for t in tiers]].mul(cal.recent["leads_per_day"], axis=0).sum().to_numpy(float)
        mix = counts / counts.sum() if counts.sum() > 0 else np.full(len(tiers), 1 / len(tiers))
        new_value = float(np.sum(mix * _expected_values(cal, pd.Series(tiers))))
    else:
        new_value = float(_expected_values(cal, pd.Series(["(all)"]))[0])
    open_value = _expected_values(cal, products.reset_index(drop=True))
    return float(p.sum()) + new_won, float(np.sum(p * open_value)) + new_won * new_value


def open_deal_ages(crm: CrmImport, cal: Calibration) -> np.ndarray:
    """The age in days each dated open deal is forecast at: days since created, a slipped deal re-aged.

    A slipped deal (open past its expected close date, see :mod:`sim.crm_forecast`) is due by its
    rep's own date, so it is aged as a deal at the won deals' median time to close plus the days
    it has slipped, when that is older than its age since created. Its fate-table odds and the
    zombie judgement (:class:`ZombieShare`: it counts as old) follow from that age. History cannot
    say how slipped deals fared (an export keeps a closed deal's actual close date, not the date
    expected before), so the rule borrows the age at which the data's deals are due.

    >>> import pandas as pd
    >>> from sim.crm import read_opportunities
    >>> from sim.calibrate import calibrate
    >>> crm = read_opportunities("data/maven_crm/sales_pipeline.csv", "maven").as_known_on("2017-09-30")
    >>> cal = calibrate(crm)
    >>> ops = crm.opportunities
    >>> first = ops.index[(ops["status"] == "open") & ops["created"].notna()][0]
    >>> ops.loc[first, "expected_close"] = crm.as_of - pd.Timedelta(days=400)  # slipped by 400 days
    >>> bool(open_deal_ages(crm, cal)[0] >= 400), len(open_deal_ages(crm, cal)) == int(((ops["status"] == "open") & ops["created"].notna()).sum())
    (True, True)
    """
    ops = crm.opportunities
    open_ = ops[(ops["status"] == "open") & ops["created"].notna()]
    as_of = crm.as_of.normalize()
    ages = ((as_of - open_["created"].dt.normalize()).dt.days).to_numpy(int)
    expected = open_["expected_close"].dt.normalize()
    slipped = (expected < as_of).to_numpy()
    if not slipped.any() or cal.deals is None:
        return ages
    won_days = cal.deals.loc[cal.deals["outcome"] == "won", "days"]
    due = int(np.ceil(np.median(won_days))) if len(won_days) else 0
    late = (as_of - expected).dt.days.fillna(0).to_numpy(int)
    return np.where(slipped, np.maximum(ages, due + late), ages)


def open_deal_odds(crm: CrmImport, cal: Calibration, days: int) -> pd.DataFrame:
    """Each dated open deal's age at ``crm.as_of`` and probability of being won within ``days`` days.

    The probability is read from the fate table alone (no zombie share): what
    :class:`ZombieShare` is estimated against.

    >>> from sim.crm import read_opportunities
    >>> from sim.calibrate import calibrate
    >>> crm = read_opportunities("data/maven_crm/sales_pipeline.csv").as_known_on("2017-06-30")
    >>> odds = open_deal_odds(crm, calibrate(crm), 91)
    >>> bool(odds["p_won"].between(0, 1).all()), list(odds.columns)
    (True, ['opportunity_id', 'age', 'p_won'])
    """
    ops = crm.opportunities
    open_ = ops[(ops["status"] == "open") & ops["created"].notna()]
    ages = open_deal_ages(crm, cal)
    return pd.DataFrame(
        {
            "opportunity_id": open_["opportunity_id"].to_numpy(),
            "age": ages,
            "p_won": _won_within(fate_table(cal.cycle), ages, days),
        }
    )


@dataclass(frozen=True)
class CohortTest:
    """Whether deals created in different quarters won at different rates, beyond chance.

    ``table``: per quarter of creation, the deals observed from their creation for at least
    ``days`` days, how many were won within ``days`` of creation, and that share. ``p_value``:
    a chi-square test of homogeneity of those shares (NaN with fewer than two quarters).
    """

    days: float
    table: pd.DataFrame
    p_value: float

    @property
    def differs(self) -> bool:
        """True when the cohorts' win rates differ at the ``COHORT_ALPHA`` level."""
        return bool(self.p_value < COHORT_ALPHA)

    def note(self) -> str:
        """One line saying what the test found."""
        if np.isnan(self.p_value):
            return "creation cohorts: fewer than two quarters of deals observed long enough to compare"
        shares = ", ".join(f"{q} {r:.0%}" for q, r in self.table["rate"].items())
        verdict = "differ beyond chance" if self.differs else "do not differ beyond chance"
        return (
            f"creation cohorts {verdict} (chi-square p = {self.p_value:.2g}, threshold {COHORT_ALPHA:g}; "
            f"won within {self.days:.0f} days of creation: {shares})"
        )


def cohort_test(crm: CrmImport) -> CohortTest:
    """Test whether the share of deals won within ``days`` of creation differs by quarter of creation.

    ``days`` is the time by which ``COHORT_WIN_QUANTILE`` of the won deals had closed. Only deals
    seen from their creation (created on or after the first recorded close: earlier ones could not
    be seen closing young) and created at least ``days`` before ``crm.as_of`` count, so every
    deal had the same time to win; a quarter needs five expected wins and losses to be compared.

    >>> from sim.crm import read_opportunities
    >>> test = cohort_test(read_opportunities("data/maven_crm/sales_pipeline.csv", "maven").as_known_on("2017-09-30"))
    >>> list(test.table.columns), test.differs in (True, False)
    (['deals', 'won', 'rate'], True)
    """
    ops = crm.opportunities
    won = ops[ops["status"] == "won"]
    age = (won["closed"].dt.normalize() - won["created"].dt.normalize()).dt.days.dropna()
    empty = pd.DataFrame(columns=["deals", "won", "rate"])
    if age.empty:
        return CohortTest(np.nan, empty, np.nan)
    days = float(np.quantile(age, COHORT_WIN_QUANTILE))
    created = ops["created"].dt.normalize()
    seen = ops[
        (created >= ops["closed"].min().normalize()) & (created <= crm.as_of.normalize() - pd.Timedelta(days=days))
    ]
    within = (seen["status"] == "won") & ((seen["closed"] - seen["created"]).dt.days <= days)
    table = pd.DataFrame(
        {
            "deals": within.groupby(seen["created"].dt.to_period("Q")).size(),
            "won": within.groupby(seen["created"].dt.to_period("Q")).sum(),
        }
    ).astype(int)
    table["rate"] = table["won"] / table["deals"]
    total = table["won"].sum() / max(table["deals"].sum(), 1)
    table = table[(table["deals"] * min(total, 1 - total)) >= 5]
    table.index = table.index.astype(str)
    if len(table) < 2 or table["won"].sum() in (0, table["deals"].sum()):
        return CohortTest(days, table, np.nan)
    counts = np.column_stack([table["won"], table["deals"] - table["won"]])
    return CohortTest(days, table, float(stats.chi2_contingency(counts)[1]))


def toward_cohort(crm: CrmImport, cal: Calibration) -> Calibration:
    """``cal`` with its fate table weighted toward the recent cohort: deals created in the last
    ``COHORT_DAYS`` before ``crm.as_of`` weigh as much together as all the older deals.

    At the ages young deals reach, the hazards are then mostly theirs; beyond, the older deals'
    experience still fills the table. The weights stay on ``cal.deals`` (column ``weight``) so
    that :func:`forecast`'s bootstrap keeps them.

    >>> from sim.crm import read_opportunities
    >>> from sim.calibrate import calibrate
    >>> crm = read_opportunities("data/maven_crm/sales_pipeline.csv", "maven").as_known_on("2017-09-30")
    >>> cal = calibrate(crm)
    >>> weighted = toward_cohort(crm, cal)
    >>> bool(weighted.deals["weight"].max() > 1), len(weighted.cycle) == len(cal.cycle)
    (True, True)
    """
    created = crm.opportunities["created"].dt.normalize()
    recent = (created > crm.as_of.normalize() - pd.Timedelta(days=COHORT_DAYS)).to_numpy()
    weight = np.ones(len(recent))
    if recent.any() and (~recent).any():
        weight[recent] = (~recent).sum() / recent.sum()
    deals = cal.deals.assign(weight=weight)
    return replace(cal, deals=deals, cycle=cycle_table(deals["days"], deals["outcome"], deals["entry"], weight))


def run_rate_window(crm: CrmImport, lookback_days: int = 90) -> tuple[pd.DataFrame, int]:
    """The won deals of the last ``lookback_days`` before ``crm.as_of`` and the window's length in days.

    When the export records closes for fewer days (its first close is later), the window is
    the days since the first close, so a young export is not read as a slow one.
    """
    ops = crm.opportunities
    cutoff = crm.as_of.normalize()
    first = ops["closed"].min()
    window = lookback_days if pd.isna(first) else max(1, min(lookback_days, (cutoff - first.normalize()).days + 1))
    recent = ops[
        (ops["status"] == "won") & (ops["closed"] > cutoff - pd.Timedelta(days=window)) & (ops["closed"] <= cutoff)
    ]
    return recent, window


def naive_run_rate(crm: CrmImport, days: int, lookback_days: int = 90) -> tuple[float, float]:
    """Won deals and revenue of the last ``lookback_days`` before ``crm.as_of``, scaled to ``days``
    (see :func:`run_rate_window` for an export with a shorter history)."""
    recent, window = run_rate_window(crm, lookback_days)
    scale = days / window
    return len(recent) * scale, float(recent["value"].sum()) * scale


def seasonal_naive(crm: CrmImport, days: int) -> pd.DataFrame | None:
    """The deals won in the same ``days`` a year before the period (None when the export's
    closes do not reach back that far: a seasonal forecast needs a full year of history)."""
    ops = crm.opportunities
    cutoff = crm.as_of.normalize()
    start = cutoff - pd.DateOffset(years=1)
    first = ops["closed"].min()
    if pd.isna(first) or first.normalize() > start:
        return None
    return ops[(ops["status"] == "won") & (ops["closed"] > start) & (ops["closed"] <= start + pd.Timedelta(days=days))]


def backtest(
    crm: CrmImport,
    cutoffs: Iterable[Any],
    until: Any = None,
    period_days: int | None = None,
    replications: int = 1000,
    seed: int = 0,
    lookback_days: int = 90,
    known_arrivals: bool = False,
    hazard_days: int | None = None,
) -> pd.DataFrame:
    """Forecast from each cut-off with only what was known then, and compare with what happened.

    The period runs from the day after the cut-off to ``until`` (or ``period_days`` later; by
    default to the data's last date). One row per cut-off: predicted won deals and revenue
    (mean, P10, P50, P90), the actual figures, the naive run-rate, the weighted pipeline,
    the absolute and signed percentage error of the P50 (revenue, or won deals when the
    export has no values), and whether the actual fell between P10 and P90.
    ``known_arrivals=True`` gives the model the leads that actually arrived in the period
    (the question becomes: how many of these new cohorts will be won?). ``hazard_days`` is
    passed to :func:`sim.calibrate.calibrate` (estimate deal fates from recent experience only).
    """
    require_dated(crm)
    rows = []
    ops = crm.opportunities
    for cutoff in cutoffs:
        cutoff = pd.Timestamp(cutoff).normalize()
        end = (
            pd.Timestamp(until)
            if until is not None
            else cutoff + pd.Timedelta(days=period_days)
            if period_days
            else crm.as_of
        ).normalize()
        known = crm.as_known_on(cutoff)
        cal = calibrate(known, hazard_days=hazard_days)
        arrived = None
        if known_arrivals:
            day = ops["created"].dt.normalize()
            arrived = ops[(day > cutoff) & (day <= end)]
        out = forecast(known, end, replications, seed, cal, new_leads=arrived)
        rows.append(backtest_row(crm, known, out, cal.rows_used, lookback_days))
    return pd.DataFrame(rows)


def backtest_row(crm: CrmImport, known: CrmImport, out: Outlook, rows_used: int, lookback_days: int = 90) -> dict:
    """One row of :func:`backtest`: the forecast ``out`` made on ``known`` against what ``crm`` says happened."""
    ops = crm.opportunities
    has_values = ops.loc[ops["status"] == "won", "value"].notna().any()
    cutoff, end = known.as_of.normalize(), out.end
    close_day = ops["closed"].dt.normalize()
    won = ops[(ops["status"] == "won") & (close_day > cutoff) & (close_day <= end)]
    actual_won, actual_revenue = len(won), float(won["value"].sum())
    naive_won, naive_revenue = naive_run_rate(known, (end - cutoff).days, lookback_days)
    pw, pr = out.won_quantiles(), out.revenue_quantiles()
    if has_values:
        actual, predicted, naive = actual_revenue, pr["p50"], naive_revenue
        low, high = pr["p10"], pr["p90"]
    else:
        actual, predicted, naive = actual_won, pw["p50"], naive_won
        low, high = pw["p10"], pw["p90"]
    return {
        "cutoff": cutoff.date(),
        "until": end.date(),
        "rows_used": rows_used,
        **{f"predicted_won_{k}": v for k, v in pw.items()},
        "actual_won": actual_won,
        "naive_won": naive_won,
        **{f"predicted_revenue_{k}": v for k, v in pr.items()},
        "actual_revenue": actual_revenue,
        "naive_revenue": naive_revenue,
        "weighted_pipeline": out.weighted,
        "predicted_new_won_p50": float(np.median(out.won_new)),
        "actual_new_won": int((won["created"] > cutoff).sum()),
        "abs_pct_error": abs(predicted - actual) / actual if actual else np.nan,
        "bias_pct": (predicted - actual) / actual if actual else np.nan,
        "naive_abs_pct_error": abs(naive - actual) / actual if actual else np.nan,
        "covered": bool(low <= actual <= high),
    }
