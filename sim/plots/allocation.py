"""Charts of an allocation: diminishing returns per channel and per team.

Examples
--------
>>> result = {"curves": {"channels": {"web": [{"budget": 0, "revenue": 0}, {"budget": 10, "revenue": 5}]},
...                      "teams": {"sales": [{"headcount": 1, "revenue": 3}, {"headcount": 2, "revenue": 5}]}},
...           "chosen": {"budget": {"web": 10}, "headcount": {"sales": 2}}}
>>> [ax.get_xlabel() for ax in curves_chart(result).axes]
['budget over the horizon', 'reps']
"""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from sim.formatting import money_axis
from sim.plots import style

__all__ = ["curves_chart", "comparison_table"]


def curves_chart(result: dict, figure: str | None = None) -> Figure:
    """Mean ``figure`` (default: ``profit`` when the curves have it, else ``revenue``) as each channel's budget and
    each team's headcount move around the chosen allocation; hollow markers break a service level."""
    style()
    points = next(iter(result["curves"]["channels"].values()))
    figure = figure or ("profit" if "profit" in points[0] else "revenue")
    fig = Figure(figsize=(10, 3.8))
    fig.subplots_adjust(left=0.08, right=0.98, top=0.88, bottom=0.15, wspace=0.25)
    by_budget, by_reps = fig.subplots(1, 2)
    for ax, kind, x in ((by_budget, "channels", "budget"), (by_reps, "teams", "headcount")):
        for name, curve in result["curves"][kind].items():
            frame = pd.DataFrame(curve)
            (line,) = ax.plot(frame[x], frame[figure], label=name)
            kept = frame.get("keeps_service_levels", pd.Series(True, index=frame.index)).astype(bool)
            ax.plot(frame[x][kept], frame[figure][kept], "o", color=line.get_color())
            ax.plot(frame[x][~kept], frame[figure][~kept], "o", mfc="white", color=line.get_color())
            if kind == "channels":
                ax.axvline(result["chosen"]["budget"][name], color=line.get_color(), ls=":", lw=1)
        ax.legend(fontsize=8)
    by_budget.set(
        title=f"Mean {figure} by channel budget (others as chosen)",
        xlabel="budget over the horizon",
        ylabel=f"mean {figure}",
    )
    by_reps.set(title=f"Mean {figure} by team headcount (others as chosen)", xlabel="reps")
    money_axis(by_budget, "x")
    money_axis(by_budget, "y")
    money_axis(by_reps, "y")
    return fig


def comparison_table(result: dict) -> pd.DataFrame:
    """The current and the chosen allocation side by side: budgets, reps, simulated revenue, cost and profit."""
    rows = {}
    for name in ("current", "chosen"):
        part = result[name]
        rows[name] = {
            **{f"budget: {k}": v for k, v in part["budget"].items()},
            **{f"reps: {k}": v for k, v in part["headcount"].items()},
            "revenue P10": part["revenue"]["p10"],
            "revenue mean": part["revenue"]["mean"],
            "revenue P90": part["revenue"]["p90"],
            "P(reach target)": part["revenue"]["p_hit_target"],
        }
        if "profit" in part:
            rows[name] |= {
                "cost mean": part["costs"]["total"],
                "profit mean": part["profit"]["mean"],
                "keeps the service levels": float(part["feasible"]),
            }
    return pd.DataFrame(rows)
