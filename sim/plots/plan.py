"""Charts of a plan: monthly targets against simulated revenue.

Examples
--------
>>> months = [{"period": "2027-01", "target": 10, "p10": 8, "p50": 9, "p90": 12, "p_hit": 0.5},
...           {"period": "2027-02", "target": 10, "p10": 9, "p50": 11, "p90": 13, "p_hit": 0.7}]
>>> plan_chart(months).axes[0].get_title()
'The simulated median reaches the target in 1 of 2 months'
>>> saved = [{**m, "p50": m["p50"] - 1} for m in months]
>>> "saved plan median" in [t.get_text() for t in plan_chart(months, saved=saved).axes[0].get_legend().get_texts()]
True
"""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from sim.formatting import COLOURS, money_axis
from sim.plots import style

__all__ = ["plan_chart"]


def _finding(frame: pd.DataFrame) -> str:
    reached = int((frame.p50 >= frame.target).sum())
    return f"The simulated median reaches the target in {reached} of {len(frame)} months"


def plan_chart(months: list[dict], title: str | None = None, saved: list[dict] | None = None) -> Figure:
    """Bars of each month's target; the simulated median and P10-P90 band; the chance of hitting above.

    The title states the finding (in how many months the median reaches the target) unless given.
    ``saved``, the same months simulated for the saved plan, adds its median as a dashed line.
    """
    style()
    frame = pd.DataFrame(months)
    x = range(len(frame))
    fig = Figure(figsize=(8, 3.8))
    ax = fig.subplots()
    fig.subplots_adjust(left=0.11, right=0.98, top=0.86, bottom=0.22)  # fixed margins: no second layout pass
    ax.bar(x, frame.target, color=COLOURS["target"], alpha=0.55, label="target")
    ax.fill_between(x, frame.p10, frame.p90, color=COLOURS["simulated"], alpha=0.2, label="simulated P10–P90")
    ax.plot(x, frame.p50, color=COLOURS["simulated"], marker="o", label="simulated median")
    if saved is not None:
        ax.plot(
            x, pd.DataFrame(saved).p50, color=COLOURS["current"], linestyle="--", marker=".", label="saved plan median"
        )
    top = max(frame.target.max(), frame.p90.max(), *(m["p50"] for m in saved or []))
    for i, p in zip(x, frame.p_hit):
        ax.annotate(
            f"{p:.0%}",
            (i, max(frame.target[i], frame.p90[i])),
            xytext=(0, 3),
            textcoords="offset points",
            ha="center",
            fontsize=8,
        )
    ax.set_ylim(0, top * 1.15)  # room for the percentages under the title
    labels = [pd.Period(p, "M").strftime("%b") if len(frame) <= 12 else str(p) for p in frame.period]
    ax.set_xticks(list(x), labels)
    ax.set_title(title or _finding(frame), fontsize=11)
    ax.set_ylabel("revenue per month")
    money_axis(ax)
    ax.legend(
        loc="upper center", bbox_to_anchor=(0.5, -0.1), fontsize=8, ncols=4 if saved else 3, frameon=False
    )  # under the months
    return fig
