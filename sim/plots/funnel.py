"""Charts of a run: the funnel by stage and the spread of revenue across replications.

Examples
--------
>>> import sim
>>> results = sim.simulate(sim.load("benchmarks/w1.yaml").replace({"horizon_days": 10}), seed=1)
>>> funnel_chart(results).axes[0].get_title()
'Funnel: W1 reference workload'
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

from sim.formatting import COLOURS, money_axis
from sim.odds import Odds
from sim.stats import quantiles
from sim.plots import style
from sim.results import Results

__all__ = ["funnel_chart", "revenue_chart"]


def funnel_chart(results: Results) -> Figure:
    """Leads entering and converting at each stage (means over replications), with conversion rates."""
    style()
    stages = pd.DataFrame(results.summary()["stages"])
    long = stages.melt(id_vars="name", value_vars=["entered", "converted"], var_name="", value_name="leads")
    fig = Figure(figsize=(8, 4), layout="constrained")
    ax = fig.subplots()
    sns.barplot(long, y="name", x="leads", hue="", ax=ax, orient="h")
    for i, rate in enumerate(stages.conversion_rate):
        if rate is not None and not np.isnan(rate):
            ax.annotate(f"{rate:.0%}", (stages.entered[i], i), xytext=(4, 0), textcoords="offset points", va="center")
    ax.set(title=f"Funnel: {results.scenario.name}", xlabel="leads per replication (mean)", ylabel="")
    money_axis(ax, "x")
    return fig


def revenue_chart(results: Results) -> Figure:
    """Distribution of revenue across replications, with P10/P50/P90 and the target if any."""
    style()
    revenue = results.replications.revenue
    fig = Figure(figsize=(8, 3.5), layout="constrained")
    ax = fig.subplots()
    sns.histplot(revenue, ax=ax, bins=min(30, max(5, len(revenue) // 3)))
    for name, value in quantiles(revenue).items():
        ax.axvline(value, color="k", ls="-" if name == "p50" else ":", lw=1)
    title = "Revenue across replications (P10, P50, P90)"
    if results.scenario.targets:
        target = results.scenario.targets.annual_revenue
        ax.axvline(target, color=COLOURS["target"], lw=2, label="target")
        ax.legend()
        title = f"Revenue reaches the target in {Odds.of(revenue >= target)} of replications"
    ax.set(title=title, xlabel="revenue (lines: P10, P50, P90)", ylabel="replications")
    money_axis(ax, "x")
    return fig
