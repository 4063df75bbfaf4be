"""Charts of incentive plans: the payout curve, the spread of pay across reps, cost against revenue,
and the share of wins at quarter ends.

Examples
--------
>>> from sim.incentives import loads_plan
>>> plan = loads_plan("name: tiered\\nquota: 100\\ncommission: {tiers: [{from_attainment: 0, rate: 0.08}, "
...                   "{from_attainment: 1.2, rate: 0.12}]}")
>>> payout_curve([plan]).axes[0].get_title()
'Commission by attainment: tiered pays 13% of quota at 150%'
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from sim.formatting import COLOURS, money, money_axis, percent, percent_axis
from sim.incentives import IncentivePlan, commission
from sim.plots import style

__all__ = ["payout_curve", "pay_distribution", "cost_vs_revenue", "quarter_end_chart"]


def _colour(name: str, i: int) -> str | None:
    """A plan's colour: the panel's current and edited plans keep theirs on every page."""
    return COLOURS.get(name, f"C{i}")


def payout_curve(plans: Sequence[IncentivePlan], max_attainment: float = 2.0) -> Figure:
    """Commission as a share of quota against attainment, one line per plan (kinks show tiers, caps, thresholds).

    A cap is an amount, so it is drawn for a quota of ``plan.quota`` when that is a number and
    left out of the curve when the quota comes from targets.
    """
    style()
    attainment = np.linspace(0, max_attainment, 401)
    fig = Figure(figsize=(7, 3.8), layout="constrained")
    ax = fig.subplots()
    at_150 = []
    for i, plan in enumerate(plans):
        terms = plan.commission
        if terms is not None and terms.cap is not None and plan.quota == "from_targets":
            terms = terms.model_copy(update={"cap": None})
        quota = 1.0 if plan.quota == "from_targets" else float(plan.quota)
        share = commission(attainment * quota, quota, terms) / quota
        ax.plot(attainment, share, label=plan.name, color=_colour(plan.name, i))
        at_150.append(f"{plan.name} pays {percent(float(np.interp(1.5, attainment, share)))}")
    ax.axvline(1.0, color="grey", lw=1, ls=":")
    ax.set_title("Commission by attainment: " + ", ".join(at_150) + " of quota at 150%", fontsize=10)
    ax.set(xlabel="attainment (revenue / quota)", ylabel="commission (share of quota)")
    percent_axis(ax, "x")
    percent_axis(ax, "y")
    ax.legend()
    return fig


def pay_distribution(payouts: pd.DataFrame) -> Figure:
    """Each rep's pay over the horizon (every replication), one box per plan, from :func:`sim.incentives.payouts`."""
    style()
    per_rep = payouts.groupby(["plan", "replication", "rep"], sort=False)["amount"].sum()
    plans = list(dict.fromkeys(per_rep.index.get_level_values("plan")))
    fig = Figure(figsize=(7, 1.2 + 0.6 * len(plans)), layout="constrained")
    ax = fig.subplots()
    ax.boxplot(
        [per_rep[plan].to_numpy() for plan in plans],
        orientation="horizontal",
        tick_labels=plans,
        whis=(5, 95),
        showfliers=False,
    )
    ax.invert_yaxis()
    money_axis(ax, "x")
    medians = ", ".join(f"{plan} {money(float(per_rep[plan].median()))}" for plan in plans)
    ax.set_title(f"Median pay per rep over the horizon: {medians}", fontsize=10)
    ax.set(xlabel="pay per rep (box: middle half of reps, whiskers: 5% to 95%)")
    return fig


def cost_vs_revenue(summaries: Sequence[dict]) -> Figure:
    """Comp cost against revenue per plan (means, P10 to P90 bars), from :func:`sim.incentives.plan_summary`."""
    style()
    fig = Figure(figsize=(7, 4), layout="constrained")
    ax = fig.subplots()
    for i, s in enumerate(summaries):
        r, c = s["revenue"], s["comp_cost"]
        ax.errorbar(
            r["mean"],
            c["mean"],
            xerr=[[r["mean"] - r["p10"]], [r["p90"] - r["mean"]]],
            yerr=[[c["mean"] - c["p10"]], [c["p90"] - c["mean"]]],
            fmt="o",
            capsize=3,
            color=_colour(s["plan"], i),
            label=f"{s['plan']} ({percent(s['cost_of_sales']['mean'], 1)} of revenue)",
        )
    cheapest = min(summaries, key=lambda s: s["cost_of_sales"]["mean"])
    ax.set_title(f"Compensation against revenue: {cheapest['plan']} costs least per unit of revenue", fontsize=10)
    ax.set(xlabel="revenue (mean, bars P10 to P90)", ylabel="compensation cost")
    money_axis(ax, "x")
    money_axis(ax, "y")
    ax.tick_params(axis="x", labelrotation=0)
    ax.xaxis.set_major_locator(MaxNLocator(5))
    ax.legend(fontsize="small")
    return fig


def quarter_end_chart(shares: dict[str, float]) -> Figure:
    """Share of wins in the last month of a quarter, by source (CRM data, plans); a third means no pattern."""
    style()
    fig = Figure(figsize=(7, 0.8 + 0.5 * len(shares)), layout="constrained")
    ax = fig.subplots()
    ax.barh(list(shares), list(shares.values()), color=COLOURS["simulated"])
    ax.axvline(1 / 3, color=COLOURS["target"], lw=1.5, label="no pattern (a third)")
    for i, v in enumerate(shares.values()):
        ax.annotate(f"{v:.0%}", (v, i), xytext=(4, 0), textcoords="offset points", va="center")
    ax.invert_yaxis()
    bunched = [name for name, v in shares.items() if v > 0.4]  # well above the third of no pattern
    finding = f"bunched in {', '.join(bunched)}" if bunched else "no quarter-end bunching"
    ax.set_title(f"Wins closed in a quarter's last month: {finding}", fontsize=10)
    ax.set(xlabel="share of wins", xlim=(0, 0.7))
    percent_axis(ax, "x")
    ax.legend(loc="lower right")
    return fig
