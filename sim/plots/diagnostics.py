"""Charts of the diagnostics: conversion against the benchmark, reps with their intervals, receivables by age.

Examples
--------
>>> import pandas as pd
>>> review = pd.DataFrame({"conversion": [0.6, 0.3], "benchmark": [0.5, 0.5]},
...                       index=pd.Index(["qualify", "proposal"], name="stage"))
>>> funnel_benchmark_chart(review).axes[0].get_title()
'Conversion by stage against the benchmark'
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.formatting import money_axis
from sim.plots import style

__all__ = ["funnel_benchmark_chart", "rep_exceptions_chart", "aging_chart"]

_FLAGGED, _CLEAR, _UNTESTED = "tab:red", "tab:blue", "0.6"


def funnel_benchmark_chart(
    review: pd.DataFrame,
    title: str = "Conversion by stage against the benchmark",
    conversion_label: str = "conversion",
    benchmark_label: str = "benchmark",
) -> Figure:
    """A bar per stage for its conversion, a black tick for its benchmark; stages below it in red."""
    style()
    fig = Figure(figsize=(8, 0.6 * len(review) + 1.5), layout="constrained")
    ax = fig.subplots()
    y = np.arange(len(review))
    bench = review["benchmark"] if "benchmark" in review else pd.Series(np.nan, index=review.index)
    below = (review.conversion < bench).to_numpy()
    ax.barh(y, review.conversion, color=np.where(below, _FLAGGED, _CLEAR), label=conversion_label)
    ax.scatter(bench, y, marker="|", s=600, color="k", linewidths=3, label=benchmark_label, zorder=3)
    for i, rate in enumerate(review.conversion):
        if not np.isnan(rate):
            ax.annotate(f"{rate:.0%}", (rate, i), xytext=(4, 0), textcoords="offset points", va="center")
    ax.set_yticks(y, review.index)
    ax.invert_yaxis()
    ax.set(title=title, xlim=(0, 1.05), xlabel="", ylabel="")
    ax.xaxis.set_major_formatter("{x:.0%}")
    ax.legend(loc="lower right")
    return fig


def rep_exceptions_chart(
    exceptions: pd.DataFrame,
    title: str = "Win rate by rep (95% interval)",
    flagged: str = "credibly below the team",
    clear: str = "within the team's range",
    untested: str = "too few deals to judge",
) -> Figure:
    """Each rep's win rate with its exact 95% interval and the rest of the team's rate (black tick)."""
    style()
    reps = exceptions.sort_values("win_rate").reset_index(drop=True)
    fig = Figure(figsize=(8, 0.28 * len(reps) + 1.5), layout="constrained")
    ax = fig.subplots()
    kind = np.where(reps.flagged, flagged, np.where(reps.p_value.notna(), clear, untested))
    for name, colour in ((flagged, _FLAGGED), (clear, _CLEAR), (untested, _UNTESTED)):
        part = reps[kind == name]
        if part.empty:
            continue
        ax.errorbar(
            part.win_rate,
            part.index,
            xerr=[part.win_rate - part.ci_low, part.ci_high - part.win_rate],
            fmt="o",
            color=colour,
            ecolor=colour,
            capsize=2,
            label=f"{name} ({len(part)})",
        )
    ax.scatter(reps.team_rate, reps.index, marker="|", s=120, color="k", zorder=3)
    ax.set_yticks(reps.index, [f"{r} ({n})" for r, n in zip(reps.rep, reps.deals)])
    ax.set(title=title, xlim=(0, 1), xlabel="", ylabel="")
    ax.xaxis.set_major_formatter("{x:.0%}")
    ax.legend(loc="lower right", fontsize="small")
    return fig


def aging_chart(buckets: pd.Series, title: str = "Receivables by days unpaid") -> Figure:
    """Amount outstanding per aging bucket; buckets beyond 30 days (alerts) in red."""
    style()
    fig = Figure(figsize=(6, 3.5), layout="constrained")
    ax = fig.subplots()
    ax.bar(buckets.index.astype(str), buckets.to_numpy(), color=[_CLEAR] + [_FLAGGED] * (len(buckets) - 1))
    ax.set(title=title, xlabel="days", ylabel="amount")
    money_axis(ax)
    return fig
