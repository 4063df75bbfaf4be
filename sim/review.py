"""The review sheet of the Act step: each shortfall against the plan, its cause, and what to do about it.

:func:`review` reads a :class:`sim.tracking.Tracking` (the Check step) and turns every part of a
shortfall into a line of the sheet, most money first, by the playbook's rules:

- **volume** (fewer leads than the plan bought): *more first contacts*, the leads short to date
  and what each lead is worth at the plan's rates;
- **conversion at a stage** below the plan's: *coach at that stage* (review the deals lost
  there, joint visits and script review), naming the reps whose win rate is credibly below their
  team's (:func:`sim.diagnostics.rep_exceptions`: material, enough deals, false discoveries
  controlled), and only those;
- **deal size** below the plan's: *steer effort to the higher-value customers and products* and
  check the discounts, naming the tier whose deal size fell furthest;
- **timing** (revenue closing later than the plan counted on): *review the aged deals*, the open
  deals older than 90% of won deals took (:func:`sim.diagnostics.aging_deals`), their number and
  value;
- **reallocating**: at a level with several units (tiers, channels, teams), when a unit short of
  leads brings more per lead than another, *move budget and first contacts* from the one to the
  other (weigh it with ``salesplay allocate``);
- **the year**: when the projection makes the year's target less likely than not, *replan the
  rest of the year* (``salesplay plan --from-track``), keeping what is won.

Only shortfalls make lines: a part that helps is no cause to act on, and a line worth less than
``materiality`` of the company's target to date (1% by default) is left off, so the sheet holds
the few items that matter. :func:`review_markdown`
writes the sheet for people (``review.md``); the table itself is ``review.csv``.

Examples
--------
>>> import pandas as pd
>>> from sim.crm import read_opportunities
>>> from sim.tracking import track
>>> plan = pd.DataFrame({"level": "company", "unit": "all", "period": pd.period_range("2017-07", periods=12, freq="M"),
...                      "revenue_target": 1_200_000, "deals": 500.0, "leads": 900.0})
>>> crm = read_opportunities("data/maven_crm", "maven")
>>> sheet = review(track(crm, plan, "2017-09-20", checkpoints=(), replications=20, seed=1), crm)
>>> sheet[["cause", "action"]].iloc[0].tolist()  # doctest: +NORMALIZE_WHITESPACE
['deals closing later than planned',
 'review the aged deals with their reps: 642 open deals older than 90% of won deals took']
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from sim.crm import CrmImport
from sim.diagnostics import aging_deals
from sim.tracking import LEVEL_FIELDS, Tracking

__all__ = ["COLUMNS", "review", "review_markdown"]

COLUMNS = ("rank", "level", "unit", "cause", "amount", "finding", "action")
"""The sheet's columns: ``amount`` is the part of the gap to date (negative: a shortfall), in currency
units (won deals when the tracking counts deals)."""

_EFFORT = {"channel": "lead budget", "tier": "first contacts", "team": "reps"}


def review(tracking: Tracking, crm: CrmImport, materiality: float = 0.01) -> pd.DataFrame:
    """The review sheet of ``tracking`` (see the module's notes); ``crm`` is the export it was tracked on.

    One row per shortfall and action, ranked: the company's parts first, most money first, then the
    other levels' with their reallocations, then the reps, and the replan last.
    """
    ops = crm.as_known_on(tracking.as_of).opportunities
    gaps = tracking.gaps
    rows: list[dict[str, Any]] = []
    for row in gaps.to_dict("records"):
        if row["gap"] >= 0:
            continue
        mask = _mask(ops, row["level"], row["unit"])
        for cause_row in sorted(_causes(row, tracking, ops[mask]), key=lambda r: r["amount"]):
            rows.append({"level": row["level"], "unit": row["unit"], **cause_row})
    rows += _reallocations(tracking)
    rows += _coaching(tracking)
    rows += _replan(tracking)
    company_to_date = float(gaps.loc[gaps["level"] == "company", "target"].iloc[0])
    rows = [r for r in rows if abs(r["amount"]) >= materiality * company_to_date or r["cause"] == "the year"]
    order = {"company": 0, "tier": 1, "channel": 1, "team": 1, "rep": 2}
    sheet = pd.DataFrame(rows, columns=[c for c in COLUMNS if c != "rank"])
    if sheet.empty:
        return pd.DataFrame(columns=list(COLUMNS))
    sheet = sheet.assign(_order=sheet["level"].map(order).fillna(3) + (sheet["cause"] == "the year").astype(int) * 10)
    sheet = sheet.sort_values(["_order", "amount"], kind="stable").drop(columns="_order").reset_index(drop=True)
    sheet.insert(0, "rank", np.arange(1, len(sheet) + 1))
    return sheet


def _mask(ops: pd.DataFrame, level: str, unit: str) -> np.ndarray:
    field = LEVEL_FIELDS.get(level)
    if field is None:
        return np.ones(len(ops), bool)
    return (ops[field].astype(object) == unit).fillna(False).to_numpy(bool)


def _causes(row: dict[str, Any], tracking: Tracking, ops: pd.DataFrame) -> list[dict[str, Any]]:
    """The negative parts of one unit's gap, each with its finding and action."""
    found = []
    if row["volume"] < 0:
        per_lead = row["plan_win_rate"] * row["plan_deal_size"]
        short = row["plan_leads"] - row["actual_leads"]
        found.append(
            {
                "cause": "too few leads",
                "amount": row["volume"],
                "finding": f"{row['actual_leads']:,.0f} leads against {row['plan_leads']:,.0f} planned to date",
                "action": "more first contacts: "
                + (
                    f"{short:,.0f} more leads to make up, each worth {_worth(per_lead, tracking)} at the plan's rates"
                    if short > 0
                    else "the leads came, but each brought less than planned"
                ),
            }
        )
    for stage in tracking.stages:
        amount = row[f"conversion:{stage}"]
        if amount < 0:
            found.append(
                {
                    "cause": f"conversion at {stage}",
                    "amount": amount,
                    "finding": f"{stage} converts {row[f'actual_rate:{stage}']:.0%} against the plan's "
                    f"{row[f'plan_rate:{stage}']:.0%}",
                    "action": f"coach at {stage}: go through the deals lost there (fit of the offer, terms, "
                    "a stalled decision), joint visits and script review",
                }
            )
    if row["deal_size"] < 0:
        found.append(
            {
                "cause": "smaller deals",
                "amount": row["deal_size"],
                "finding": f"the average deal is {row['actual_deal_size']:,.0f} against the plan's "
                f"{row['plan_deal_size']:,.0f}",
                "action": _size_action(row, tracking),
            }
        )
    if row["timing"] < 0:
        aged = aging_deals(ops, tracking.as_of)
        value = float(aged["value"].sum()) if len(aged) and tracking.measure == "revenue" else 0.0
        found.append(
            {
                "cause": "deals closing later than planned",
                "amount": row["timing"],
                "finding": "revenue closed to date is short of what its leads bring at its own rates "
                "(slipped deals, pipeline still to close)",
                "action": "review the aged deals with their reps"
                + (
                    f": {len(aged):,} open deals older than 90% of won deals took"
                    + (f", worth {value:,.0f}" if value > 0 else "")
                    if len(aged)
                    else ": none is older than 90% of won deals took; look at the deals due this month"
                ),
            }
        )
    return found


def _worth(per_lead: float, tracking: Tracking) -> str:
    return f"{per_lead:,.0f}" if tracking.measure == "revenue" else f"{per_lead:.2f} won deals"


def _size_action(row: dict[str, Any], tracking: Tracking) -> str:
    action = "steer effort to the higher-value customers and products, and check the discounts"
    if row["level"] != "company":
        return action
    tiers = tracking.gaps[tracking.gaps["level"] == "tier"]
    if tiers.empty or tiers["deal_size"].min() >= 0:
        return action
    worst = tiers.loc[tiers["deal_size"].idxmin()]
    return action + (
        f"; {worst['unit']} lost most on size ({worst['actual_deal_size']:,.0f} a deal against "
        f"{worst['plan_deal_size']:,.0f})"
    )


def _reallocations(tracking: Tracking) -> list[dict[str, Any]]:
    """At each level of several units: from the unit that brings least per lead to the unit short of
    leads that brings most, when the second brings more."""
    gaps, rows = tracking.gaps, []
    for level, effort in _EFFORT.items():
        units = gaps[(gaps["level"] == level) & (gaps["actual_leads"] > 0)]
        if len(units) < 2:
            continue
        per_lead = units["actual_win_rate"] * units["actual_deal_size"]
        short = units[(units["volume"] < 0) & (units["gap"] < 0)]
        if short.empty:
            continue
        to = per_lead[short.index].idxmax()
        source = per_lead.idxmin()
        if source == to or per_lead[to] <= per_lead[source]:
            continue
        rows.append(
            {
                "level": level,
                "unit": units.loc[to, "unit"],
                "cause": "too few leads where they pay most",
                "amount": int(units.loc[to, "volume"]),
                "finding": f"{units.loc[to, 'unit']} brings {_worth(per_lead[to], tracking)} a lead and is short "
                f"of leads; {units.loc[source, 'unit']} brings {_worth(per_lead[source], tracking)}",
                "action": f"reallocate {effort} from {units.loc[source, 'unit']} to {units.loc[to, 'unit']} "
                "(weigh it with salesplay allocate)",
            }
        )
    return rows


def _coaching(tracking: Tracking) -> list[dict[str, Any]]:
    """The reps credibly below their team, coached at the stage that costs them most; a line saying so
    when the reps furthest behind are not credibly below."""
    reps = tracking.reps
    if reps.empty:
        return []
    rows = []
    for rep in reps[reps["flagged"] & (reps["gap"] < 0)].to_dict("records"):
        stage = min(tracking.stages, key=lambda s: rep.get(f"conversion:{s}", 0))
        rows.append(
            {
                "level": "rep",
                "unit": rep["unit"],
                "cause": "a win rate credibly below the team's",
                "amount": int(rep["gap"]),
                "finding": rep["reason"],
                "action": f"coach {rep['unit']} at {stage} this week (joint visits, script review)",
            }
        )
    behind = reps[(reps["gap"] < 0) & ~reps["flagged"]].head(3)
    if len(behind) and not rows:
        rows.append(
            {
                "level": "rep",
                "unit": ", ".join(behind["unit"]),
                "cause": "reps furthest behind",
                "amount": int(behind["gap"].sum()),
                "finding": "none of them wins credibly less than the rest of the team",
                "action": "no coaching on this evidence: look at their leads and deal sizes with them",
            }
        )
    return rows


def _replan(tracking: Tracking) -> list[dict[str, Any]]:
    year = tracking.status[(tracking.status["level"] == "company") & (tracking.status["horizon"] == "year")]
    if year.empty:
        return []
    row = year.iloc[0]
    if not np.isfinite(row["p_make"]) or row["p_make"] >= 0.5:
        return []
    return [
        {
            "level": "company",
            "unit": "all",
            "cause": "the year",
            "amount": int(round(row["p50"] - row["target"])),
            "finding": f"the year is projected at {row['p50']:,.0f} (P10 {row['p10']:,.0f}, P90 {row['p90']:,.0f}) "
            f"against {row['target']:,.0f}: a {row['p_make']:.0%} chance",
            "action": "replan the rest of the year from what is won (salesplay plan --from-track)",
        }
    ]


def review_markdown(tracking: Tracking, sheet: pd.DataFrame) -> str:
    """The review sheet for people: where the plan stands, the gap's parts, the actions in order."""
    company = tracking.gaps[tracking.gaps["level"] == "company"].iloc[0]
    lines = [
        f"# Review of the plan as of {tracking.as_of.date()}",
        "",
        f"Plan from {tracking.plan_start.date()} to {tracking.plan_end.date()}.",
        "",
        "## Where we stand",
        "",
    ]
    status = tracking.status[tracking.status["level"] == "company"]
    lines += [
        "| horizon | period | target | to date: plan | to date: actual | pace | projection P10 | P50 | P90 "
        "| chance of the target |",
        "|---|---|--:|--:|--:|---|--:|--:|--:|--:|",
    ]
    for s in status.itertuples():
        lines.append(
            f"| {s.horizon} | {s.period} | {s.target:,.0f} | {s.target_to_date:,.0f} | {s.actual_to_date:,.0f} "
            f"| {s.pace} | {_amount(s.p10)} | {_amount(s.p50)} | {_amount(s.p90)} | {_share(s.p_make)} |"
        )
    lines += [""] + [f"- {c['line']}" for c in tracking.checkpoints] + ([""] if tracking.checkpoints else [])
    parts = ["volume", *(f"conversion:{s}" for s in tracking.stages), "deal_size", "timing"]
    lines += [
        "## Why the gap",
        "",
        f"Gap to date {company['gap']:+,.0f} ({company['actual']:,.0f} won against {company['target']:,.0f}):",
        "",
        "| part | amount |",
        "|---|--:|",
    ]
    lines += [f"| {p.replace(':', ' at ')} | {company[p]:+,.0f} |" for p in parts]
    lines += ["", "## Actions", ""]
    if sheet.empty:
        lines.append("Nothing is short of the plan to date: no action.")
    for r in sheet.itertuples():
        lines.append(f"{r.rank}. **{r.action}** ({r.level} {r.unit}, {r.cause}, {r.amount:+,.0f}): {r.finding}.")
    if tracking.notes:
        lines += ["", "## Notes", ""] + [f"- {n}" for n in tracking.notes]
    return "\n".join(lines) + "\n"


def _amount(value: float) -> str:
    return f"{value:,.0f}" if np.isfinite(value) else "-"


def _share(value: float) -> str:
    return f"{value:.0%}" if np.isfinite(value) else "-"
