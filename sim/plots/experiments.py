"""Charts of experiments: strategies side by side, paired differences, sweeps and tornado charts.

Each function takes the tidy tables of :mod:`sim.experiments` and returns a matplotlib Figure.

Examples
--------
>>> import pandas as pd
>>> sens = pd.DataFrame({"parameter": ["a", "b"], "low_value": [1, 0], "high_value": [2, 5],
...                      "low": [0.15, 0.3], "high": [0.55, 0.4], "swing": [0.4, 0.1]})
>>> fig = tornado(sens, "p(hit target)", centre=0.35)
>>> [t.get_text() for t in fig.axes[0].get_yticklabels()]
['b (0 → 5)', 'a (1 → 2)']
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

from sim.formatting import COLOURS, unit_axis
from sim.odds import Odds
from sim.plots import style

__all__ = ["strategies_chart", "differences_chart", "tornado", "sweep_chart", "replications_chart"]


def strategies_chart(replications: pd.DataFrame, figure: str = "revenue") -> Figure:
    """Distribution of ``figure`` over replications, one box per strategy (in the table's order)."""
    style()
    fig, ax = plt.subplots(figsize=(7, 0.6 * replications["strategy"].nunique() + 1.6))
    names = list(dict.fromkeys(replications["strategy"]))
    groups = replications.groupby("strategy", sort=False)[figure]
    boxes = ax.boxplot(
        [groups.get_group(n).to_numpy(float) for n in names],
        orientation="horizontal",
        tick_labels=names,
        showmeans=True,
        patch_artist=True,
        widths=0.6,
    )
    for box in boxes["boxes"]:
        box.set_facecolor("#9ecae1")
    ax.invert_yaxis()  # the baseline on top
    unit_axis(ax, figure, "x")
    best = max(names, key=lambda n: groups.get_group(n).mean())
    ax.set(
        xlabel=f"{figure} (box: middle half of replications)",
        title=f"{figure} per replication: {best} highest on average",
    )
    fig.tight_layout()
    return fig


def differences_chart(differences: pd.DataFrame, figure: str = "revenue", baseline: str = "baseline") -> Figure:
    """Paired difference of each strategy from the baseline, with its 95% interval."""
    style()
    fig, ax = plt.subplots(figsize=(7, 0.6 * len(differences) + 1.6))
    y = np.arange(len(differences))
    ax.errorbar(
        differences["mean"],
        y,
        xerr=[differences["mean"] - differences["ci_low"], differences["ci_high"] - differences["mean"]],
        fmt="o",
        capsize=4,
        color="#08519c",
    )
    ax.axvline(0, color="grey", lw=1)
    ax.set_yticks(y, differences["strategy"])
    unit_axis(ax, figure, "x")
    better = int((differences["ci_low"] > 0).sum())
    ax.set(
        xlabel=f"{figure} minus {baseline} (paired, 95% interval)",
        title=f"Difference from {baseline}: {better} of {len(differences)} credibly better",
    )
    fig.tight_layout()
    return fig


def tornado(sensitivity: pd.DataFrame, figure: str, centre: float | None = None) -> Figure:
    """A tornado chart: per parameter, the bar from ``figure`` at its low to its high value.

    ``sensitivity`` is the table of :func:`sim.experiments.sensitivity`; the largest swing is on
    top; ``centre`` (e.g. the mean over all points) draws a reference line.
    """
    style()
    table = sensitivity.iloc[::-1]
    fig, ax = plt.subplots(figsize=(7, 0.5 * len(table) + 1.6))
    y = np.arange(len(table))
    left = np.minimum(table["low"], table["high"])
    ax.barh(y, np.abs(table["high"] - table["low"]), left=left, color="#6baed6")
    ax.scatter(table["low"], y, marker="|", s=200, color="#08306b", label="at low value", zorder=3)
    ax.scatter(table["high"], y, marker="o", color="#08306b", label="at high value", zorder=3)
    if centre is not None:
        ax.axvline(centre, color="grey", lw=1)
    labels = [
        f"{p} ({_short(lo)} → {_short(hi)})"
        for p, lo, hi in zip(table["parameter"], table["low_value"], table["high_value"])
    ]
    ax.set_yticks(y, labels)
    unit_axis(ax, figure, "x")
    ax.set(xlabel=figure, title=f"Sensitivity of {figure}: {table['parameter'].iloc[-1]} moves it most")
    ax.legend(loc="lower right", fontsize="small")
    fig.tight_layout()
    return fig


def _short(value: float) -> str:
    return f"{value:,.4g}"


def sweep_chart(by_point: pd.DataFrame, parameters: list[str], figure: str) -> Figure:
    """``figure`` (mean per point) against each parameter, one panel each."""
    style()
    fig, axes = plt.subplots(1, len(parameters), figsize=(3.5 * len(parameters) + 0.5, 3.2), squeeze=False, sharey=True)
    for ax, name in zip(axes[0], parameters):
        sns.scatterplot(data=by_point, x=name, y=figure, ax=ax, color=COLOURS["simulated"])
        ax.set(xlabel=name)
    axes[0][0].set(ylabel=figure)
    unit_axis(axes[0][0], figure)
    fig.tight_layout()
    return fig


def replications_chart(replications: pd.DataFrame, figure: str = "revenue", target: float | None = None) -> Figure:
    """Histogram of ``figure`` over the replications of one run, with the target if any."""
    style()
    fig, ax = plt.subplots(figsize=(7, 3.2))
    sns.histplot(replications[figure], ax=ax, color=COLOURS["simulated"])
    title = f"{figure} per replication"
    if target is not None:
        ax.axvline(target, color=COLOURS["target"], lw=1.5, label="target")
        ax.legend()
        hits = Odds.of(replications[figure] >= target)
        title = f"{figure} reaches the target in {hits} of replications"
    unit_axis(ax, figure, "x")
    ax.set(xlabel=figure, title=title)
    fig.tight_layout()
    return fig
