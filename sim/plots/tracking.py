"""Chart of a plan held against the actuals: cumulative revenue, plan line and projection band.

Examples
--------
>>> import pandas as pd
>>> from sim.crm import read_opportunities
>>> from sim.tracking import track
>>> plan = pd.DataFrame({"level": "company", "unit": "all", "period": pd.period_range("2017-07", periods=6, freq="M"),
...                      "revenue_target": 800_000, "deals": 350.0, "leads": 700.0})
>>> t = track(read_opportunities("data/maven_crm", "maven"), plan, "2017-09-10", checkpoints=(), replications=20)
>>> plan_vs_actual_chart(t).axes[0].get_title()
'Revenue against plan, as of 2017-09-10'
"""

from __future__ import annotations

import math

from matplotlib.figure import Figure

from sim.formatting import unit_axis
from sim.plots import style
from sim.tracking import Tracking

__all__ = ["plan_vs_actual_chart"]


def plan_vs_actual_chart(tracking: Tracking) -> Figure:
    """Cumulative revenue from the plan's first day: the plan, the actual to the as-of date and the
    projection to the plan's end (P50 line, P10-P90 fan); below it, for the month, quarter and year, the
    projection against the target and the chance of making it with its 95% interval."""
    style()
    curve = tracking.curve
    fig = Figure(figsize=(8, 5.4), layout="constrained")
    ax, table = fig.subplots(2, 1, height_ratios=[4, 1.3])
    ax.plot(curve.index, curve["plan"], color="tab:red", lw=1.5, label="plan")
    ax.plot(curve.index, curve["actual"], color="k", lw=2, label="actual")
    if curve["p50"].notna().sum() > 1:
        ax.fill_between(curve.index, curve["p10"], curve["p90"], alpha=0.3, label="projection P10-P90")
        ax.plot(curve.index, curve["p50"], ls="--", lw=1.5, label="projection P50")
    ax.axvline(tracking.as_of, color="tab:gray", lw=1)
    what = "Revenue" if tracking.measure == "revenue" else "Won deals"
    ax.set(title=f"{what} against plan, as of {tracking.as_of.date()}", xlabel="", ylabel=f"cumulative {what.lower()}")
    unit_axis(ax, tracking.measure)  # K/M for money and for counts alike
    ax.legend(loc="upper left", fontsize="small")
    for label in ax.get_xticklabels():
        label.set(rotation=30, horizontalalignment="right")
    table.axis("off")
    rows = tracking.status[tracking.status["level"] == "company"]
    cells = [
        [r.horizon, r.period, f"{r.target:,.0f}", f"{r.actual_to_date:,.0f}", _projection(r), _chance(r)]
        for r in rows.itertuples()
    ]
    if cells:
        shown = table.table(
            cellText=cells,
            colLabels=["", "period", "target", "won to date", "projection P50 (P10 to P90)", "chance of the target"],
            loc="center",
            cellLoc="center",
        )
        shown.auto_set_font_size(False)
        shown.set_fontsize(8)
        shown.auto_set_column_width(list(range(6)))
    return fig


def _projection(row) -> str:
    if not math.isfinite(row.p50):
        return "no forecast"
    return f"{row.p50:,.0f} ({row.p10:,.0f} to {row.p90:,.0f})"


def _chance(row) -> str:
    if not math.isfinite(row.p_make):
        return "-"
    return f"{row.p_make:.0%} ({row.p_make_low:.0%} to {row.p_make_high:.0%})"
