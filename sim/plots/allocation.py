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


def curves_chart(result: dict) -> Figure:
    """Mean revenue as each channel's budget and each team's headcount move around the chosen allocation."""
    style()
    fig = Figure(figsize=(10, 3.8))
    fig.subplots_adjust(left=0.08, right=0.98, top=0.88, bottom=0.15, wspace=0.25)
    by_budget, by_reps = fig.subplots(1, 2)
    for name, points in result["curves"]["channels"].items():
        frame = pd.DataFrame(points)
        by_budget.plot(frame.budget, frame.revenue, marker="o", label=name)
        by_budget.axvline(result["chosen"]["budget"][name], color=by_budget.lines[-1].get_color(), ls=":", lw=1)
    by_budget.set(title="Revenue by channel budget (others as chosen)", xlabel="budget over the horizon",
                  ylabel="mean revenue")
    by_budget.legend(fontsize=8)
    money_axis(by_budget, "x")
    money_axis(by_budget, "y")
    for name, points in result["curves"]["teams"].items():
        frame = pd.DataFrame(points)
        by_reps.plot(frame.headcount, frame.revenue, marker="o", label=name)
    by_reps.set(title="Revenue by team headcount (others as chosen)", xlabel="reps")
    by_reps.legend(fontsize=8)
    money_axis(by_reps, "y")
    return fig


def comparison_table(result: dict) -> pd.DataFrame:
    """The current and the chosen allocation side by side, with their simulated revenue."""
    rows = {}
    for name in ("current", "chosen"):
        part = result[name]
        rows[name] = {**{f"budget: {k}": v for k, v in part["budget"].items()},
                      **{f"reps: {k}": v for k, v in part["headcount"].items()},
                      "revenue P10": part["revenue"]["p10"], "revenue mean": part["revenue"]["mean"],
                      "revenue P90": part["revenue"]["p90"], "P(reach target)": part["revenue"]["p_hit_target"]}
    return pd.DataFrame(rows)
