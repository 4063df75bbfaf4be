"""Funnel diagnostics for management by exception: which stage, which rep, which deal — and is it credible?

Everything reads the canonical opportunity table of :mod:`sim.crm` (one row per opportunity:
``opportunity_id, rep, team, region, account, product, channel, created, closed, status,
stage, value``; ``stage`` is the furthest stage reached, in the order of ``stages``) or, for
the funnel, waits and utilisation, a simulated run's :class:`~sim.results.Results`.

- :func:`stage_funnel` / :func:`funnel_from_results`: per stage, deals that reached it, passed
  it, were lost at it or stand open at it (the funnel's shape), and its conversion
  (passed ÷ decided, open deals excluded);
- :func:`funnel_over_time`: the funnel's shape as the export stood on past dates;
- :func:`benchmark_review`: conversion against a benchmark (a mapping, a YAML file read by
  :func:`load_benchmark`, or another period's or team's funnel via :func:`benchmark_from`);
- :func:`bottlenecks`: the stage furthest below its benchmark, the longest wait, teams above
  90% utilisation;
- :func:`aging_deals`: open deals older than the p90 time to win;
- :func:`rep_exceptions`: reps whose win rate is materially below the rest of their team,
  flagged only with a minimum of decided deals and a one-sided exact binomial test whose
  p-values are controlled for the many reps tested (Benjamini–Hochberg);
- :func:`coaching_list`: who to see about what, most urgent first; :func:`diagnose` runs all;
- :func:`stage_outcomes`: a run's per-rep results at one stage, in the table :func:`rep_exceptions` reads.

Examples
--------
>>> import pandas as pd
>>> deals = pd.DataFrame({
...     "opportunity_id": ["a", "b", "c", "d"], "rep": ["Ann"] * 4, "team": ["East"] * 4,
...     "created": pd.to_datetime(["2024-01-01"] * 4),
...     "closed": pd.to_datetime(["2024-02-01", "2024-03-01", None, "2024-01-20"]),
...     "status": ["won", "lost", "open", "lost"], "stage": ["Engaging", "Engaging", "Engaging", "Prospecting"],
...     "value": [100.0, float("nan"), float("nan"), float("nan")]})
>>> stage_funnel(deals, ("Prospecting", "Engaging"))[["reached", "passed", "lost", "open", "conversion"]]
             reached  passed  lost  open  conversion
stage
Prospecting        4       3     1     0        0.75
Engaging           3       1     1     1        0.50
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field
from scipy import optimize, stats

from sim.constraints import Probability
from sim.crm import CrmImport
from sim.errors import Problem, ScenarioError
from sim.yaml_io import load_model
from sim.results import Results
from sim.tiers import PRACTICE, TierRules, rfm_tiers, tier_summary

__all__ = [
    "Benchmark",
    "Diagnosis",
    "aging_deals",
    "beta_prior",
    "benchmark_from",
    "benchmark_review",
    "bottlenecks",
    "coaching_list",
    "diagnose",
    "funnel_from_results",
    "funnel_over_time",
    "load_benchmark",
    "rep_exceptions",
    "stage_funnel",
    "stage_outcomes",
]

UTILISATION_LIMIT = 0.9  # practice: a team above 90% is a bottleneck (leads wait and go cold)
MIN_DEALS = 20  # decided deals a rep needs before a low win rate may be flagged
MATERIALITY = 0.2  # practice: coach the rep whose conversion is 20% below the team mean
ALPHA = 0.05  # false discovery rate over the reps tested


class Benchmark(BaseModel):
    """A benchmark file: the conversion a stage should reach, e.g. ``conversion: {Engaging: 0.6}``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    conversion: dict[str, Probability] = Field(description="benchmark conversion per stage name (0 to 1)")
    source: str | None = Field(None, description="where the figures come from (industry survey, last year, ...)")


def load_benchmark(path: str | Path) -> dict[str, float]:
    """Read a benchmark YAML file (``conversion: {stage: rate}``); errors name file, line and field."""
    return dict(load_model(Benchmark, path).conversion)


def _stage_index(opportunities: pd.DataFrame, stages: Sequence[str]) -> np.ndarray:
    """Each deal's furthest stage as a position in ``stages`` (won deals: past the last stage)."""
    undecided = opportunities[opportunities.status != "won"]
    unknown = sorted(set(undecided.stage.dropna().astype(str)) - set(stages))
    if unknown:
        raise ValueError(f"stages {unknown} are not among the funnel's stages {list(stages)}")
    position = {name: k for k, name in enumerate(stages)}
    # a deal without a stage has at least entered the funnel
    index = opportunities.stage.astype(object).map(position).fillna(0).to_numpy(dtype=int)
    return np.where(opportunities.status.to_numpy() == "won", len(stages), index)


def stage_funnel(opportunities: pd.DataFrame, stages: Sequence[str]) -> pd.DataFrame:
    """Per stage: deals that reached it, passed it, were lost at it, stand open at it; conversion and shape.

    A won deal passed every stage; a lost deal was lost at its furthest stage; an open deal is
    undecided at its furthest stage and left out of that stage's conversion. ``open_share`` is
    the funnel's shape: the share of the open pipeline standing at each stage.
    """
    index = _stage_index(opportunities, stages)
    status = opportunities.status.to_numpy()
    rows = []
    for k, name in enumerate(stages):
        here = index == k
        rows.append(
            {
                "stage": name,
                "reached": int((index >= k).sum()),
                "passed": int((index > k).sum()),
                "lost": int((here & (status == "lost")).sum()),
                "open": int((here & (status == "open")).sum()),
            }
        )
    table = pd.DataFrame(rows).set_index("stage")
    decided = table.passed + table.lost
    table["conversion"] = (table.passed / decided).where(decided > 0)
    total_open = table.open.sum()
    table["open_share"] = table.open / total_open if total_open else np.nan
    return table


def funnel_from_results(results: Results) -> pd.DataFrame:
    """The same table from a simulated run (means per replication), with each stage's wait and utilisation."""
    summary = pd.DataFrame(results.summary()["stages"]).set_index("name")
    lost = results.stage_stats.groupby("stage", observed=True).lost.mean().reindex(summary.index)
    table = pd.DataFrame(
        {
            "reached": summary.entered,
            "passed": summary.converted,
            "lost": lost,
            "open": summary.entered - summary.converted - lost,
            "conversion": summary.conversion_rate.astype(float),
            "mean_wait_days": summary.mean_wait_days.astype(float),
            "utilisation": summary.utilisation.astype(float),
        }
    )
    table["open_share"] = table.open / table.open.sum() if table.open.sum() else np.nan
    table.index.name = "stage"
    return table


def stage_outcomes(results: Results, stage: str, replication: int = 0) -> pd.DataFrame:
    """The leads a rep worked at ``stage`` in one replication, as a table :func:`rep_exceptions` reads:
    ``opportunity_id`` (the lead), ``rep`` (team and number), ``team``, and ``status`` — won if the lead
    passed the stage, lost if not, open if still undecided at the horizon. Leads that reached the stage in
    the year count, as in ``stage_stats`` (not the opening pipeline's, which reached it in the warm-up)."""
    names = [s.name for s in results.scenario.stages]
    if stage not in names:
        raise ValueError(f"{stage!r} is not a stage of {results.scenario.name!r} ({', '.join(names)})")
    times = results.stage_times
    worked = times[
        (times.replication == replication) & (times.stage == stage) & (times.arrive >= 0) & times.rep.notna()
    ]
    converted = worked.converted
    return pd.DataFrame(
        {
            "opportunity_id": worked.lead.astype(str).to_numpy(),
            "rep": [f"{team} #{int(r) + 1}" for team, r in zip(worked.team, worked.rep)],
            "team": worked.team.astype(str).to_numpy(),
            "status": np.where(converted.isna(), "open", np.where(converted.fillna(False), "won", "lost")),
        }
    )


def funnel_over_time(crm: CrmImport, dates: Sequence[Any]) -> pd.DataFrame:
    """The funnel as the export would have read on each of ``dates`` (see ``CrmImport.as_known_on``):
    one row per date and stage with the deals open there and the stage's conversion so far — the
    funnel's shape over time, e.g. at each quarter's end."""
    steps = crm.stages[:-1]
    parts = [
        stage_funnel(crm.as_known_on(date).opportunities, steps)
        .reset_index()
        .assign(date=pd.Timestamp(date).normalize())
        for date in dates
    ]
    return pd.concat(parts, ignore_index=True)[["date", "stage", "reached", "open", "open_share", "conversion"]]


def benchmark_from(opportunities: pd.DataFrame, stages: Sequence[str]) -> dict[str, float]:
    """The conversion per stage of another period or team, to use as a benchmark.

    >>> deals = pd.DataFrame({"status": ["won", "lost"], "stage": ["B", "B"]})
    >>> benchmark_from(deals, ("A", "B"))
    {'A': 1.0, 'B': 0.5}
    """
    conversion = stage_funnel(opportunities, stages).conversion
    return {name: float(rate) for name, rate in conversion.items() if not np.isnan(rate)}


def benchmark_review(funnel: pd.DataFrame, benchmark: Mapping[str, float]) -> pd.DataFrame:
    """The funnel with each stage's benchmark, the gap (points) and the ratio (conversion ÷ benchmark)."""
    unknown = sorted(set(benchmark) - set(funnel.index))
    if unknown:
        raise ScenarioError(
            [
                Problem(f"conversion.{name}", f"is not a stage of the funnel ({', '.join(funnel.index)})")
                for name in unknown
            ]
        )
    review = funnel.copy()
    review["benchmark"] = pd.Series(benchmark, dtype=float).reindex(review.index)
    review["gap"] = review.conversion - review.benchmark
    review["ratio"] = review.conversion / review.benchmark
    return review


def bottlenecks(review: pd.DataFrame, utilisation_limit: float = UTILISATION_LIMIT) -> pd.DataFrame:
    """The stages to look at first: lowest conversion relative to benchmark (if below it), longest wait,
    and every team above ``utilisation_limit``; one row per finding with the reason in words."""
    found = []
    if "ratio" in review and review.ratio.notna().any():
        stage = review.ratio.idxmin()
        row = review.loc[stage]
        if row.ratio < 1:
            found.append(
                {
                    "kind": "conversion",
                    "stage": stage,
                    "value": float(row.conversion),
                    "reason": f"conversion {row.conversion:.0%} against a benchmark of {row.benchmark:.0%} "
                    f"({row.ratio:.0%} of it), the furthest below its benchmark",
                }
            )
    if "mean_wait_days" in review and review.mean_wait_days.fillna(0).gt(0).any():
        stage = review.mean_wait_days.idxmax()
        wait = float(review.mean_wait_days[stage])
        found.append(
            {
                "kind": "wait",
                "stage": stage,
                "value": wait,
                "reason": f"leads wait {wait:.1f} days on average for a rep, the longest of any stage",
            }
        )
    if "utilisation" in review:
        for stage, load in review.utilisation.items():
            if load > utilisation_limit:
                found.append(
                    {
                        "kind": "utilisation",
                        "stage": stage,
                        "value": float(load),
                        "reason": f"the team is {load:.0%} busy (above {utilisation_limit:.0%}): "
                        "queues grow and leads go cold",
                    }
                )
    return pd.DataFrame(found, columns=["kind", "stage", "value", "reason"])


def _as_of(opportunities: pd.DataFrame) -> pd.Timestamp:
    """The date of the export: the latest date it mentions."""
    return max(opportunities.created.max(), opportunities.closed.max())


def aging_deals(
    opportunities: pd.DataFrame, as_of: pd.Timestamp | str | None = None, quantile: float = 0.9
) -> pd.DataFrame:
    """Open deals older (days since created, at ``as_of``) than the ``quantile`` of the days it took to win.

    ``as_of`` defaults to the latest date in the table; the limit is computed from won deals
    (all closed deals if none was won). Oldest first.
    """
    as_of = _as_of(opportunities) if as_of is None else pd.Timestamp(as_of)
    won = opportunities[opportunities.status == "won"]
    closed = won if len(won) else opportunities[opportunities.status != "open"]
    cycle = (closed.closed - closed.created).dt.days.dropna()
    columns = ["opportunity_id", "rep", "team", "account", "stage", "created", "age_days", "limit_days", "value"]
    if cycle.empty:
        return pd.DataFrame(columns=columns)
    limit = float(np.quantile(cycle, quantile))
    open_deals = opportunities[(opportunities.status == "open") & (opportunities.created <= as_of)]
    aged = open_deals.assign(age_days=(as_of - open_deals.created).dt.days, limit_days=limit)
    aged = aged[aged.age_days > limit].sort_values("age_days", ascending=False)
    return aged.reindex(columns=columns).reset_index(drop=True)


def rep_exceptions(
    opportunities: pd.DataFrame,
    by: str | None = "team",
    min_deals: int = MIN_DEALS,
    materiality: float = MATERIALITY,
    alpha: float = ALPHA,
) -> pd.DataFrame:
    """Each rep's win rate against the rest of the group (``by`` column, or everyone), and whether it is an exception.

    A rep is flagged when all three hold: at least ``min_deals`` decided (won or lost) deals;
    a win rate at least ``materiality`` below the rest of the group's (0.2 = 20% below); and
    a one-sided exact binomial test of "no worse than the group" rejected at false discovery
    rate ``alpha`` across all reps tested (Benjamini–Hochberg ``q_value``). ``ci_low`` and
    ``ci_high`` are the exact (Clopper–Pearson) 95% interval of the rep's win rate;
    ``shrunk_rate`` is its empirical-Bayes estimate, pulled toward the reps' common mean the more
    the fewer deals it rests on (a beta prior fitted to all reps, see :func:`beta_prior`) — the
    figure to rank reps by, not to flag them.
    """
    decided = opportunities[opportunities.status.isin(["won", "lost"]) & opportunities.rep.notna()]
    group = decided[by].astype(object).fillna("(none)") if by else pd.Series("(all)", index=decided.index)
    counts = (
        decided.assign(group=group, won=decided.status.eq("won"))
        .groupby(["group", "rep"], observed=True)
        .won.agg(deals="size", won="sum")
        .reset_index()
    )
    totals = counts.groupby("group").agg(g_deals=("deals", "sum"), g_won=("won", "sum"))
    counts = counts.join(totals, on="group")
    rest_deals, rest_won = counts.g_deals - counts.deals, counts.g_won - counts.won
    counts["win_rate"] = counts.won / counts.deals
    counts["team_rate"] = (rest_won / rest_deals).where(rest_deals > 0)
    intervals = [
        stats.binomtest(int(k), int(n)).proportion_ci(0.95, method="exact") for k, n in zip(counts.won, counts.deals)
    ]
    counts["ci_low"] = [ci.low for ci in intervals]
    counts["ci_high"] = [ci.high for ci in intervals]
    prior = beta_prior(counts.won.to_numpy(), counts.deals.to_numpy())
    counts["shrunk_rate"] = (counts.won + prior[0]) / (counts.deals + sum(prior))
    tested = (counts.deals >= min_deals) & counts.team_rate.notna()
    p = [
        stats.binomtest(int(k), int(n), float(rate), alternative="less").pvalue if t else np.nan
        for k, n, rate, t in zip(counts.won, counts.deals, counts.team_rate, tested)
    ]
    counts["p_value"] = p
    counts["q_value"] = np.nan
    if tested.any():
        counts.loc[tested, "q_value"] = stats.false_discovery_control(counts.loc[tested, "p_value"].to_numpy())
    material = counts.win_rate <= (1 - materiality) * counts.team_rate
    counts["flagged"] = tested & material & (counts.q_value < alpha)
    counts["reason"] = [_exception_reason(r, min_deals, materiality, alpha) for r in counts.itertuples()]
    counts = counts.rename(columns={"group": by or "group"}).drop(columns=["g_deals", "g_won"])
    return counts.sort_values(["flagged", "q_value"], ascending=[False, True]).reset_index(drop=True)


def beta_prior(won: np.ndarray, deals: np.ndarray) -> tuple[float, float]:
    """The beta prior (a, b) of the reps' true win rates, by maximum likelihood of the beta-binomial.

    When the reps' rates vary no more than binomial noise explains, the fit drives a + b up
    (strong pooling, capped at 1e6); reps without decided deals are ignored.

    >>> a, b = beta_prior(np.array([10, 30, 50]), np.array([100, 100, 100]))
    >>> round(a / (a + b), 2), round(a + b, 1)  # mean 30%; rates this spread pool weakly
    (0.3, 7.5)
    """
    won, deals = np.asarray(won, dtype=float), np.asarray(deals, dtype=float)
    keep = deals > 0
    won, deals = won[keep], deals[keep]
    mean = float(won.sum() / deals.sum()) if deals.sum() else 0.5
    mean = min(max(mean, 1e-3), 1 - 1e-3)

    def loss(strength: float) -> float:
        return -stats.betabinom.logpmf(won, deals, mean * strength, (1 - mean) * strength).sum()

    fit = optimize.minimize_scalar(
        lambda log_s: loss(np.exp(log_s)), bounds=(np.log(0.1), np.log(1e6)), method="bounded"
    )
    strength = float(np.exp(fit.x))
    return mean * strength, (1 - mean) * strength


def _exception_reason(r: Any, min_deals: int, materiality: float, alpha: float) -> str:
    if r.deals < min_deals:
        return f"only {r.deals} decided deals (fewer than {min_deals}): too few to judge"
    if np.isnan(r.team_rate):
        return "no one else in the group to compare with"
    words = (
        f"wins {r.win_rate:.0%} of {r.deals} decided deals (95% interval {r.ci_low:.0%} to {r.ci_high:.0%}) "
        f"against {r.team_rate:.0%} for the rest of the team"
    )
    if r.win_rate > (1 - materiality) * r.team_rate:
        return words + f": not {materiality:.0%} or more below"
    if r.q_value >= alpha:
        return words + f": below, but could be chance (q = {r.q_value:.2f})"
    return words + f": credibly below (q = {r.q_value:.3f})"


def coaching_list(exceptions: pd.DataFrame, aging: pd.DataFrame) -> pd.DataFrame:
    """Management by exception: one row per action — the rep to coach (credible low win rate) and each
    aged deal to review with its rep — with the reason; reps to coach first, then deals oldest first."""
    group = next((c for c in ("team", "group") if c in exceptions), None)
    reps = exceptions[exceptions.flagged]
    rows = [
        {
            "priority": "coach rep",
            "rep": r.rep,
            "team": getattr(r, group) if group else pd.NA,
            "opportunity_id": pd.NA,
            "reason": r.reason,
        }
        for r in reps.itertuples()
    ]
    rows += [
        {
            "priority": "review deal",
            "rep": d.rep,
            "team": d.team,
            "opportunity_id": d.opportunity_id,
            "reason": f"open {d.age_days} days at stage {d.stage}, longer than 90% of won deals took "
            f"({d.limit_days:.0f} days)",
        }
        for d in aging.itertuples()
    ]
    return pd.DataFrame(rows, columns=["priority", "rep", "team", "opportunity_id", "reason"])


@dataclass(frozen=True)
class Diagnosis:
    """All the diagnostics of one export; :meth:`summary` is the content of ``diagnostics.json``."""

    funnel: pd.DataFrame
    bottlenecks: pd.DataFrame
    exceptions: pd.DataFrame
    aging: pd.DataFrame
    coaching: pd.DataFrame
    tiers: pd.DataFrame
    tier_summary: pd.DataFrame
    as_of: pd.Timestamp

    def summary(self) -> dict[str, Any]:
        """JSON-ready figures: funnel, bottlenecks, flagged reps, aged deals, customer tiers, the coaching list."""

        def records(table: pd.DataFrame) -> list[dict[str, Any]]:
            return [{k: _plain(v) for k, v in row.items()} for row in table.to_dict("records")]

        exceptions, tiers = self.exceptions, self.tiers
        return {
            "as_of": self.as_of.date().isoformat(),
            "funnel": records(self.funnel.reset_index()),
            "bottlenecks": records(self.bottlenecks),
            "exceptions": {
                "reps": len(exceptions),
                "tested": int(exceptions.p_value.notna().sum()),
                "flagged": records(exceptions[exceptions.flagged]),
            },
            "aging": {
                "deals": len(self.aging),
                "value": _plain(self.aging.value.sum()),
                "limit_days": _plain(self.aging.limit_days.iloc[0]) if len(self.aging) else None,
                "oldest": records(self.aging.head(20)),
            },
            "tiers": {"customers": len(tiers), "by_tier": records(self.tier_summary.reset_index())},
            "coaching": records(self.coaching),
        }


def _plain(value: Any) -> Any:
    """A JSON-ready scalar: NaN/NA/NaT become None, dates ISO strings, numpy numbers Python ones."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, np.generic):
        return value.item()
    return value


def diagnose(
    source: CrmImport | pd.DataFrame,
    stages: Sequence[str] | None = None,
    benchmark: Mapping[str, float] | None = None,
    as_of: pd.Timestamp | str | None = None,
    rules: TierRules = PRACTICE,
    min_deals: int = MIN_DEALS,
    materiality: float = MATERIALITY,
    alpha: float = ALPHA,
) -> Diagnosis:
    """Run every diagnostic on an import (its funnel is every stage but the last, the won stage) or on a
    canonical table with its ``stages``."""
    if isinstance(source, CrmImport):
        opportunities, stages = source.opportunities, source.stages[:-1] if stages is None else stages
        as_of = source.as_of if as_of is None else as_of
    elif stages is None:
        raise TypeError("give the funnel's stages with a table (an import knows its own)")
    else:
        opportunities = source
    as_of = _as_of(opportunities) if as_of is None else pd.Timestamp(as_of)
    funnel = stage_funnel(opportunities, stages)
    review = benchmark_review(funnel, benchmark) if benchmark else funnel
    exceptions = rep_exceptions(opportunities, "team", min_deals, materiality, alpha)
    aging = aging_deals(opportunities, as_of)
    tiers = rfm_tiers(opportunities, as_of, rules)
    return Diagnosis(
        review,
        bottlenecks(review),
        exceptions,
        aging,
        coaching_list(exceptions, aging),
        tiers,
        tier_summary(tiers, rules),
        as_of,
    )
