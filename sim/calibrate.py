"""Calibrate a scenario from a CRM export: arrivals, conversion, cycle times, deal values, rep win rates.

Everything is estimated from the canonical opportunities of :mod:`sim.crm`:

- **arrivals**: opportunities created per month and channel;
- **conversion** of each stage, with a Wilson 90% interval: deals that moved past the
  stage over those that moved past it or were lost there. Open deals older than the
  longest observed cycle are counted as lost ("stale"), so an export that never records
  losses (e.g. Olist) is not read as a 100% win rate;
- **time to close** of won and of lost deals: exponential, gamma and lognormal fitted by
  maximum likelihood, the best by AIC kept unless its Kolmogorov–Smirnov distance exceeds
  ``KS_LIMIT``, then the observed quantiles (``empirical``);
- a **competing-risks table** (Aalen–Johansen): the daily hazard of winning and of losing
  by deal age, censoring open deals at the data's end -- what the forecast ages open deals with;
- **deal value** of won deals by product (the scenario's customer tiers);
- **rep win rates** shrunk toward their team's rate (empirical-Bayes beta-binomial);
- the **open deals** at the data's end (stale ones left out, as the conversion counts them lost, and
  those of unknown age), which open the scenario's year (``opening.pipeline``) with their ages.

:meth:`Calibration.scenario` writes a scenario the engine runs directly. CRM exports do not
record rep effort, so stages take no rep time (``work_days: 0``): set it to study capacity.

Examples
--------
>>> from sim.crm import read_opportunities
>>> cal = calibrate(read_opportunities("data/maven_crm/sales_pipeline.csv", "maven"))
>>> cal.rows_used, int(cal.conversion.loc["Engaging", "advanced"])
(8800, 4238)
>>> import sim
>>> sim.loads(sim.dump(cal.scenario(horizon_days=30))).stages[-1].name
'Engaging'
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pydantic import TypeAdapter
from scipy import optimize, stats

from sim.crm import CrmImport
from sim.distributions import Distribution
from sim.stats import quantiles, wilson
from sim.scenario import Scenario

__all__ = ["Calibration", "calibrate", "fit_distribution", "shrink_win_rates", "cycle_table", "KS_LIMIT"]

KS_LIMIT = 0.05  # largest CDF gap (KS distance) at which a fitted family is still used
STALE_QUANTILE = 0.95  # an open deal older than this quantile of won deals' cycle counts as lost
LEVEL = 0.90  # confidence of the intervals
_DIST = TypeAdapter(Distribution)
_QUANTILES = 200  # points kept of an empirical distribution


def fit_distribution(x: Any, ks_limit: float = KS_LIMIT) -> tuple[Any, pd.DataFrame]:
    """The best of the engine's distributions for positive data ``x``, and the table of all fits.

    Exponential, gamma and lognormal are fitted by maximum likelihood; the lowest AIC wins
    unless its KS distance exceeds ``ks_limit``, when ``empirical`` (observed quantiles) is used.

    >>> import numpy as np
    >>> x = np.random.default_rng(1).gamma(4.0, 5.0, 2000)
    >>> dist, table = fit_distribution(x)
    >>> dist.dist, round(dist.mean), bool(table.loc["gamma", "chosen"])
    ('gamma', 20, True)
    """
    x = np.asarray(x, float)
    x = x[np.isfinite(x) & (x > 0)]
    if len(x) < 2 or np.ptp(x) == 0:
        value = float(x[0]) if len(x) else 0.0
        table = pd.DataFrame([{"dist": "fixed", "n": len(x), "aic": np.nan, "ks": np.nan, "chosen": True}])
        return _DIST.validate_python({"dist": "fixed", "value": value}), table.set_index("dist")
    rows, dists = [], {}
    scale = float(np.mean(x))
    dists["exponential"] = ({"dist": "exponential", "mean": scale}, stats.expon(scale=scale), 1)
    a, _, gscale = stats.gamma.fit(x, floc=0)
    dists["gamma"] = ({"dist": "gamma", "mean": a * gscale, "sd": np.sqrt(a) * gscale}, stats.gamma(a, scale=gscale), 2)
    s, _, lscale = stats.lognorm.fit(x, floc=0)
    dists["lognormal"] = ({"dist": "lognormal", "median": lscale, "sigma": s}, stats.lognorm(s, scale=lscale), 2)
    for name, (spec, frozen, k) in dists.items():
        loglik = float(np.sum(frozen.logpdf(x)))
        rows.append({"dist": name, "n": len(x), "aic": 2 * k - 2 * loglik, "ks": stats.kstest(x, frozen.cdf).statistic})
    points = np.quantile(x, (np.arange(_QUANTILES) + 0.5) / _QUANTILES)
    rows.append(
        {"dist": "empirical", "n": len(x), "aic": np.nan, "ks": stats.ks_2samp(x, points, method="asymp").statistic}
    )  # the statistic only: no p-value to compute
    table = pd.DataFrame(rows).set_index("dist")
    best = table["aic"].idxmin()
    chosen = best if table.loc[best, "ks"] <= ks_limit else "empirical"
    table["chosen"] = table.index == chosen
    spec = (
        dists[chosen][0]
        if chosen != "empirical"
        else {"dist": "empirical", "values": [float(round(q, 4)) for q in points]}
    )
    spec = {k: float(v) if isinstance(v, (float, np.floating)) else v for k, v in spec.items()}
    return _DIST.validate_python(spec), table


def cycle_table(durations: Any, outcome: Any, entry: Any = None, weights: Any = None) -> pd.DataFrame:
    """Aalen–Johansen competing-risks table by age in whole days.

    ``durations``: days from created to close (closed deals) or to the data's end (open deals);
    ``outcome``: "won", "lost" or "open" (censored); ``entry``: age (days) from which a deal
    was observed -- deals created before the first recorded close could not be seen closing
    earlier (left truncation), so they join the risk set late; ``weights``: one per deal (a
    Bayesian bootstrap draws them, see :mod:`sim.forecast`). Returns per day ``at_risk``, ``won``,
    ``lost``, the hazards ``h_won``, ``h_lost``, ``survival`` (still open at the end of the day)
    and the cumulative incidences ``cif_won``, ``cif_lost``.

    >>> t = cycle_table([1, 2, 2, 3], ["won", "lost", "open", "won"])
    >>> t.loc[3, ["at_risk", "won", "cif_won"]].tolist()
    [1.0, 1.0, 0.75]
    """
    d = np.asarray(durations, float)
    o = np.asarray(outcome, object)
    e = np.zeros(len(d)) if entry is None else np.asarray(entry, float)
    e = np.maximum(np.floor(np.nan_to_num(e)), 0)
    w = np.ones(len(d)) if weights is None else np.asarray(weights, float)
    keep = np.isfinite(d) & (d >= 0) & (e <= np.floor(d))  # a deal that ended before it was observed tells nothing
    d, o, e, w = np.floor(d[keep]).astype(int), o[keep], e[keep].astype(int), w[keep]
    horizon = int(d.max()) + 1 if len(d) else 1
    ended = np.bincount(d, w, minlength=horizon)
    entered = np.bincount(e, w, minlength=horizon)
    at_risk = np.cumsum(entered) - np.concatenate([[0], np.cumsum(ended)[:-1]])
    is_won, is_lost = o == "won", o == "lost"
    won = np.bincount(d[is_won], w[is_won], minlength=horizon)
    lost = np.bincount(d[is_lost], w[is_lost], minlength=horizon)
    with np.errstate(invalid="ignore", divide="ignore"):
        h_won = np.where(at_risk > 1e-9, won / at_risk, 0.0)
        h_lost = np.where(at_risk > 1e-9, lost / at_risk, 0.0)
    survival = np.cumprod(1 - h_won - h_lost)
    before = np.concatenate([[1.0], survival[:-1]])
    return pd.DataFrame(
        {
            "at_risk": at_risk,
            "won": won,
            "lost": lost,
            "h_won": h_won,
            "h_lost": h_lost,
            "survival": survival,
            "cif_won": np.cumsum(before * h_won),
            "cif_lost": np.cumsum(before * h_lost),
        },
        index=pd.RangeIndex(horizon, name="day"),
    )


def shrink_win_rates(won: Any, closed: Any, groups: Any) -> pd.DataFrame:
    """Empirical-Bayes win rates: each unit's rate shrunk toward its group's rate.

    The prior of a unit in group g is Beta(m_g·κ, (1−m_g)·κ), with m_g the group's pooled
    rate and the concentration κ fitted by maximum likelihood of the beta-binomial over all
    units; the posterior mean is (won + m_g·κ) / (closed + κ). Small samples move most.

    >>> t = shrink_win_rates([2, 60, 40], [2, 100, 100], ["a", "a", "a"])
    >>> bool(abs(t.shrunk[0] - t.group_rate[0]) < abs(t.raw[0] - t.group_rate[0]))
    True
    """
    w, n = np.asarray(won, float), np.asarray(closed, float)
    g = pd.Series(np.asarray(groups, object)).fillna("(none)")
    totals = pd.DataFrame({"w": w, "n": n, "g": g}).groupby("g")[["w", "n"]].transform("sum")
    m = np.clip((totals["w"] / totals["n"]).fillna(0.5).to_numpy(), 1e-3, 1 - 1e-3)

    def negloglik(log_kappa: float) -> float:
        kappa = np.exp(log_kappa)
        return -float(np.sum(stats.betabinom.logpmf(w, n, m * kappa, (1 - m) * kappa)))

    kappa = float(np.exp(optimize.minimize_scalar(negloglik, bounds=(-3, 12), method="bounded").x))
    a, b = w + m * kappa, n - w + (1 - m) * kappa
    return pd.DataFrame(
        {
            "won": w.astype(int),
            "closed": n.astype(int),
            "raw": np.divide(w, n, out=np.full_like(w, np.nan), where=n > 0),
            "group_rate": m,
            "shrunk": a / (a + b),
            "low": stats.beta.ppf((1 - LEVEL) / 2, a, b),
            "high": stats.beta.ppf((1 + LEVEL) / 2, a, b),
            "kappa": kappa,
        }
    )


@dataclass(frozen=True)
class Calibration:
    """Everything estimated from one export (see the module's docstring for each table)."""

    rows_read: int
    rows_used: int
    as_of: pd.Timestamp
    stages: tuple[str, ...]
    arrivals: pd.DataFrame
    conversion: pd.DataFrame
    cycle: pd.DataFrame
    time_fits: pd.DataFrame
    time_to_close: dict[str, Any]
    values: pd.DataFrame
    value_dists: dict[str, Any]
    reps: pd.DataFrame
    recent: pd.DataFrame
    notes: tuple[str, ...]
    deals: pd.DataFrame | None = None  # per deal: days, outcome, entry -- what the cycle table was built from
    open_deals: pd.DataFrame | None = None  # per deal open at the data's end (not stale): stage, tier, age, value

    @property
    def win_probability(self) -> float:
        """Probability that a new deal is eventually won (competing-risks estimate, open deals censored)."""
        return float(self.cycle["cif_won"].iloc[-1])

    def scenario(self, horizon_days: int = 365, name: str | None = None, start_date: dt.date | None = None) -> Scenario:
        """A scenario the engine runs directly: the recent arrival rates, stage conversions by product,
        won deals' time to close as the deciding stage's wait, and deal values by product."""
        tiers = [t for t in self.values.index if t != "(all)"]
        channels = []
        for channel, row in self.recent.iterrows():
            spec: dict[str, Any] = {"name": str(channel), "leads_per_day": float(row["leads_per_day"])}
            if tiers:
                mix = np.array([row.get(f"mix:{t}", 0.0) for t in tiers], float)
                mix = mix / mix.sum() if mix.sum() > 0 else np.full(len(tiers), 1 / len(tiers))
                spec["tiers"] = {t: float(v) for t, v in zip(tiers, mix)}
            channels.append(spec)
        open_stages = self.stages[:-1] or self.stages
        stages = []
        for i, stage in enumerate(open_stages):
            spec = {
                "name": stage,
                "team": "sales",
                "work_days": {"dist": "fixed", "value": 0.0},
                "conversion": float(np.nan_to_num(self.conversion.loc[stage, "rate"], nan=1.0)),
            }
            if i == len(open_stages) - 1:
                spec["wait_days"] = self.time_to_close["won"].model_dump(mode="json", by_alias=True)
                if tiers:
                    spec["conversion"] = {t: float(self.values.loc[t, "win_rate"]) for t in tiers}
            stages.append(spec)
        value = (
            {t: self.value_dists[t].model_dump(mode="json", by_alias=True) for t in tiers}
            if tiers
            else self.value_dists["(all)"].model_dump(mode="json", by_alias=True)
        )
        reps = max(1, int(self.reps["rep"].nunique()) if len(self.reps) else 1)
        start = start_date or (self.as_of + pd.Timedelta(days=1)).date()
        data = {
            "name": name or "Calibrated from CRM",
            "description": (
                f"Calibrated from {self.rows_used:,} of {self.rows_read:,} CRM rows up to "
                f"{self.as_of.date()}. Rep effort is not in the export: work_days is 0."
            ),
            "horizon_days": int(horizon_days),
            "start_date": start.isoformat(),
            "channels": channels,
            "stages": stages,
            "teams": [{"name": "sales", "headcount": reps}],
            "deal_value": value,
        }
        pipeline = self.pipeline([s["name"] for s in stages], tiers)
        if pipeline:
            data["opening"] = {"pipeline": pipeline}
        return Scenario.model_validate(data)

    def pipeline(self, stages: list[str], tiers: list[str]) -> list[dict[str, Any]]:
        """The open deals as ``opening.pipeline`` rows of a scenario with these ``stages`` and ``tiers``: by stage
        (a stage the scenario lacks: its last), tier, age and known value. At the deciding (last) stage, whose
        customer-side time is the time to close from creation, a deal of age ``a`` converts with its product's
        win rate times ``P(win | open at a) / P(win)`` from the competing-risks table."""
        if self.open_deals is None or not len(self.open_deals):
            return []
        deals = self.open_deals.assign(
            stage=self.open_deals["stage"].where(self.open_deals["stage"].isin(stages), stages[-1])
        )
        cif, survival = self.cycle["cif_won"].to_numpy(), self.cycle["survival"].to_numpy()

        def still_wins(age: int) -> float:  # P(win | open at the end of day age - 1), over P(win)
            if age < 1 or cif[-1] <= 0:
                return 1.0
            if age > len(cif) or survival[age - 1] <= 1e-12:
                return 0.0
            return (cif[-1] - cif[age - 1]) / survival[age - 1] / cif[-1]

        rows = []
        keys = ["stage", "tier", "age", "value"]
        for (stage, tier, age, value), group in deals.fillna({"value": -1.0}).groupby(keys, sort=True, dropna=False):
            row: dict[str, Any] = {"stage": stage, "count": len(group), "age_days": float(age)}
            if tiers:
                row["tier"] = tier
            if value >= 0:
                row["value"] = float(value)
            if stage == stages[-1] and age > 0:
                rate = self.values.loc[tier, "win_rate"] if tiers else self.conversion["rate"].iloc[-1]
                row["conversion"] = float(np.clip(np.nan_to_num(rate, nan=1.0) * still_wins(int(age)), 0.0, 1.0))
            rows.append(row)
        return rows

    def __str__(self) -> str:
        conv = self.conversion[["advanced", "lost", "stale", "rate", "low", "high"]]
        fits = self.time_fits.reset_index()[["outcome", "dist", "n", "aic", "ks", "chosen"]]
        lines = [
            f"Calibrated from {self.rows_used:,} of {self.rows_read:,} rows, data up to {self.as_of.date()}.",
            f"Win probability of a new deal: {self.win_probability:.1%}.",
            "Stage conversion (90% Wilson interval):",
            conv.to_string(float_format=lambda v: f"{v:.3f}"),
            "Time to close, days (fits by maximum likelihood; KS = largest CDF gap):",
            fits.to_string(index=False, float_format=lambda v: f"{v:.3f}"),
            "Recent arrivals per day:",
            self.recent[["leads_per_day"]].to_string(float_format=lambda v: f"{v:.2f}"),
        ]
        return "\n".join(lines + [f"Note: {n}" for n in self.notes])


def _days(later: pd.Series, earlier: pd.Series) -> np.ndarray:
    return ((later - earlier) / pd.Timedelta(days=1)).to_numpy(float)


def calibrate(
    crm: CrmImport, recent_months: int = 3, ks_limit: float = KS_LIMIT, hazard_days: int | None = None
) -> Calibration:
    """Estimate every figure of the module docstring from ``crm`` (as of its last date).

    ``recent_months``: full calendar months before the data's end whose arrivals set the
    scenario's rates and product mix. ``hazard_days``: estimate the competing-risks table from
    the last ``hazard_days`` of deal experience only (a period estimate: deals count from the
    age they had when the window opened), so that recent behaviour drives the forecast.
    """
    ops = crm.opportunities
    as_of = crm.as_of
    notes: list[str] = []
    status = ops["status"].to_numpy(object)
    end = ops["closed"].where(ops["status"] != "open", as_of)
    duration = _days(end, ops["created"])
    first_close = ops["closed"].min()
    entry = (
        np.maximum(_days(pd.Series(first_close, index=ops.index), ops["created"]), 0) if pd.notna(first_close) else None
    )
    if entry is not None and (entry > 0).any():
        notes.append(
            f"{int((entry > 0).sum()):,} deals created before the first recorded close ({first_close.date()}) "
            "enter the cycle table late (left truncation)"
        )
    if hazard_days is not None:
        window_start = pd.Series(as_of - pd.Timedelta(days=hazard_days), index=ops.index)
        recent_entry = np.maximum(_days(window_start, ops["created"]), 0)
        entry = recent_entry if entry is None else np.maximum(entry, recent_entry)
        notes.append(f"cycle table from the deal experience of the last {hazard_days} days only")
    deals = pd.DataFrame({"days": duration, "outcome": status, "entry": 0.0 if entry is None else entry})
    cycle = cycle_table(deals["days"], deals["outcome"], deals["entry"])
    won_days = duration[status == "won"]
    stale_age = float(np.quantile(won_days, STALE_QUANTILE)) if len(won_days) else np.inf
    stale = (status == "open") & (duration > stale_age)
    if stale.any():
        notes.append(
            f"{int(stale.sum()):,} open deals older than {stale_age:.0f} days (by then {STALE_QUANTILE:.0%} "
            "of won deals had closed) are counted as lost in the conversion rates"
        )

    # conversion by stage: moved past / (moved past + lost or stale there)
    stage_pos = ops["stage"].cat.codes.to_numpy()
    rows = []
    for i, stage in enumerate(crm.stages[:-1] if len(crm.stages) > 1 else crm.stages):
        reached = stage_pos >= i
        advanced = int((stage_pos > i).sum())
        lost = int(((stage_pos == i) & (status == "lost")).sum())
        n_stale = int(((stage_pos == i) & stale).sum())
        still_open = int(((stage_pos == i) & (status == "open") & ~stale).sum())
        rows.append(
            {
                "stage": stage,
                "reached": int(reached.sum()),
                "advanced": advanced,
                "lost": lost,
                "stale": n_stale,
                "open": still_open,
            }
        )
    conversion = pd.DataFrame(rows).set_index("stage")
    decided = conversion["advanced"] + conversion["lost"] + conversion["stale"]
    conversion["rate"] = conversion["advanced"] / decided.where(decided > 0)
    conversion["low"], conversion["high"] = wilson(conversion["advanced"], decided, LEVEL)

    # time to close of won and of lost deals
    fits, chosen = [], {}
    for outcome in ("won", "lost"):
        x = np.maximum(duration[status == outcome], 0.5)  # dates are whole days: a same-day close is half a day
        if len(x) == 0:
            continue
        dist, table = fit_distribution(x, ks_limit)
        chosen[outcome] = dist
        fits.append(table.assign(outcome=outcome).reset_index().set_index(["outcome", "dist"]))
    if "won" not in chosen:
        raise ValueError("the export has no won deals: nothing to calibrate the time to close and value from")
    time_fits = pd.concat(fits)

    # deal value by product, with the deciding stage's win rate per product
    won = ops[ops["status"] == "won"]
    known_product = float(ops["product"].notna().mean()) if len(ops) else 0.0
    products = ops["product"].astype(object).fillna("(unknown)") if known_product >= 0.9 else None
    if products is None and known_product > 0:
        notes.append(f"product known for only {known_product:.0%} of deals: no deal tiers by product")
    value_rows, value_dists = [], {}
    has_values = won["value"].notna().any()
    if not has_values:
        notes.append("the export has no deal values: deal value is set to 0")
    all_dist = (
        fit_distribution(won["value"].dropna().to_numpy(), ks_limit)[0]
        if has_values
        else _DIST.validate_python({"dist": "fixed", "value": 0.0})
    )
    value_dists["(all)"] = all_dist
    groups = [("(all)", np.ones(len(ops), bool))]
    if products is not None:
        groups += [(p, (products == p).to_numpy()) for p in sorted(products.unique())]
    deciding = len(crm.stages) - 2 if len(crm.stages) > 1 else 0
    for name, mask in groups:
        v = ops.loc[mask & (status == "won"), "value"].dropna().to_numpy()
        at = mask & (stage_pos >= deciding)
        w = int((at & (status == "won")).sum())
        decided_here = int((at & ((status == "won") | (status == "lost") | stale)).sum())
        if name != "(all)":
            value_dists[name] = fit_distribution(v, ks_limit)[0] if len(v) >= 2 else all_dist
        value_rows.append(
            {
                "product": name,
                "won": w,
                "decided": decided_here,
                "win_rate": w / decided_here if decided_here else float(conversion["rate"].iloc[-1]),
                "mean": v.mean() if len(v) else np.nan,
                **quantiles(v),
                "dist": value_dists[name].dist,
            }
        )
    values = pd.DataFrame(value_rows).set_index("product")

    # arrivals per month and channel; recent rates and product mix
    channel = ops["channel"].astype(object).fillna("all" if ops["channel"].isna().all() else "(unknown)")
    dated = ops["created"].notna().to_numpy()
    month = ops["created"].dt.to_period("M")
    arrivals = pd.crosstab(month[dated], channel[dated]).rename_axis(index="month", columns="channel")
    last_created = ops["created"].max()
    last_full = (last_created + pd.Timedelta(days=1)).to_period("M") - 1
    window = pd.period_range(last_full - recent_months + 1, last_full, freq="M")
    in_window = dated & month.isin(window).to_numpy()
    days = (window[-1].end_time.normalize() - window[0].start_time).days + 1
    recent_rows = []
    for ch in sorted(channel[dated].unique()):
        sel = in_window & (channel == ch).to_numpy()
        row = {"channel": ch, "leads": int(sel.sum()), "days": days, "leads_per_day": sel.sum() / days}
        if products is not None:
            mix = products[sel].value_counts(normalize=True)
            row.update({f"mix:{p}": float(mix.get(p, 0.0)) for p in values.index if p != "(all)"})
        recent_rows.append(row)
    recent = pd.DataFrame(recent_rows).set_index("channel")
    notes.append(f"arrival rates from {window[0]} to {window[-1]} ({days} days)")

    # reps: win rate shrunk toward the team
    closed = ops[ops["status"].isin(["won", "lost"])]
    by_rep = closed.groupby(
        [closed["rep"].astype(object).fillna("(none)"), closed["team"].astype(object).fillna("(none)")]
    )
    counts = by_rep["status"].agg(won=lambda s: int((s == "won").sum()), closed="size").reset_index()
    counts.columns = ["rep", "team", "won", "closed"]
    reps = pd.DataFrame(columns=["rep", "team", "won", "closed", "raw", "group_rate", "shrunk", "low", "high", "kappa"])
    if len(counts) and ops["rep"].notna().any():
        shrunk = shrink_win_rates(counts["won"], counts["closed"], counts["team"])
        reps = pd.concat([counts[["rep", "team"]], shrunk], axis=1).sort_values("shrunk").reset_index(drop=True)
    created = ops["created"].dt.normalize()
    unknown_age = (status == "open") & created.isna().to_numpy()
    open_now = (status == "open") & ~stale & ~unknown_age
    open_deals = pd.DataFrame(
        {
            "stage": ops["stage"].astype(object).to_numpy()[open_now],
            "tier": (products.to_numpy(object) if products is not None else np.full(len(ops), "", object))[open_now],
            "age": _days(pd.Series(as_of, index=ops.index), created)[open_now].clip(0),
            "value": ops["value"].to_numpy(float)[open_now],
        }
    )
    if len(open_deals):
        notes.append(
            f"{len(open_deals):,} deals open on {as_of.date()} open the scenario's year "
            "(opening.pipeline); each continues its time to close given its age and wins with its "
            "product's rate scaled by the competing-risks chance of winning at that age; deals at an "
            "earlier stage start the time to close afresh when they reach the deciding stage"
        )
    if unknown_age.any():
        notes.append(
            f"{int(unknown_age.sum()):,} open deals without a created date (age unknown, maybe stale) are "
            "left out of the opening pipeline, as the forecast leaves them out"
        )
    return Calibration(
        rows_read=crm.report.rows_read,
        rows_used=crm.report.rows_used,
        as_of=as_of,
        stages=crm.stages,
        arrivals=arrivals,
        conversion=conversion,
        cycle=cycle,
        time_fits=time_fits,
        time_to_close=chosen,
        values=values,
        value_dists=value_dists,
        reps=reps,
        recent=recent,
        notes=tuple(notes),
        deals=deals,
        open_deals=open_deals,
    )
