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

from matplotlib.figure import Figure

from sim.formatting import money_axis
from sim.plots import style
from sim.tracking import Tracking

__all__ = ["plan_vs_actual_chart"]


def plan_vs_actual_chart(tracking: Tracking) -> Figure:
    """Cumulative revenue from the plan's first day: the plan, the actual to the as-of date and the
    projection to the plan's end (P50 line, P10-P90 band)."""
    style()
    curve = tracking.curve
    fig = Figure(figsize=(8, 4), layout="constrained")
    ax = fig.subplots()
    ax.plot(curve.index, curve["plan"], color="tab:red", lw=1.5, label="plan")
    ax.plot(curve.index, curve["actual"], color="k", lw=2, label="actual")
    if curve["p50"].notna().sum() > 1:
        ax.fill_between(curve.index, curve["p10"], curve["p90"], alpha=0.3, label="projection P10-P90")
        ax.plot(curve.index, curve["p50"], ls="--", lw=1.5, label="projection P50")
    ax.axvline(tracking.as_of, color="tab:gray", lw=1)
    ax.set(title=f"Revenue against plan, as of {tracking.as_of.date()}", xlabel="", ylabel="cumulative revenue")
    money_axis(ax)
    ax.legend(loc="upper left", fontsize="small")
    fig.autofmt_xdate()
    return fig
