"""Chart of a hiring plan: each team's reps over the year.

Examples
--------
>>> import pandas as pd
>>> frame = pd.DataFrame({"sdr": [4.0, 4.0, 5.0], "account_execs": [16.0, 18.0, 18.0]})
>>> headcount_chart(frame).axes[0].get_ylabel()
'reps on the team (mean over rosters)'
"""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from sim.plots import style

__all__ = ["headcount_chart"]


def headcount_chart(headcount: pd.DataFrame, title: str = "Headcount over the year") -> Figure:
    """One line per team (columns of ``headcount``, one row per day of the horizon)."""
    style()
    fig = Figure(figsize=(8, 3.6))
    fig.subplots_adjust(left=0.09, right=0.98, top=0.88, bottom=0.15)
    ax = fig.subplots()
    for team in headcount.columns:
        ax.step(headcount.index, headcount[team], where="post", label=team)
    ax.set(title=title, xlabel="day of the year", ylabel="reps on the team (mean over rosters)")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=8)
    return fig
