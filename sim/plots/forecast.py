"""Charts of a forecast: the fan of cumulative revenue over the period, and a backtest against actuals.

Examples
--------
>>> from sim.crm import read_opportunities
>>> from sim.forecast import forecast
>>> crm = read_opportunities("data/maven_crm/sales_pipeline.csv").as_known_on("2017-11-30")
>>> fan_chart(forecast(crm, "2017-12-31", replications=20, seed=1), target=1_000_000).axes[0].get_title()
'Revenue to 2017-12-31: P10-P90 fan'
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.forecast import Outlook
from sim.formatting import money_axis
from sim.plots import style

__all__ = ["fan_chart", "backtest_chart", "FAN_LABELS"]


FAN_LABELS = {
    "band": "P10-P90 (simulation)",
    "p50": "P50 (simulation)",
    "weighted": "weighted pipeline (stage × value)",
    "target": "target (P = {p:.0%})",
    "actual": "actual",
    "revenue": "cumulative revenue",
}
"""The fan chart's legend and axis words, in English; a lesson passes its own language's (``labels``)."""


def fan_chart(
    outlook: Outlook,
    target: float | None = None,
    actual: pd.Series | None = None,
    title: str | None = None,
    labels: Mapping[str, str] | None = None,
) -> Figure:
    """Cumulative revenue by day: the P10-P90 band, the P50 line, the weighted pipeline, a target,
    and (in a backtest) the actual cumulative revenue by day; ``labels`` replaces any of :data:`FAN_LABELS`."""
    words = {**FAN_LABELS, **(labels or {})}
    style()
    fan = outlook.fan()
    fig = Figure(figsize=(8, 4), layout="constrained")
    ax = fig.subplots()
    ax.fill_between(fan.index, fan["p10"], fan["p90"], alpha=0.3, label=words["band"])
    ax.plot(fan.index, fan["p50"], lw=2, label=words["p50"])
    ax.axhline(outlook.weighted, color="tab:gray", ls="--", lw=1, label=words["weighted"])
    if target is not None:
        ax.axhline(target, color="tab:red", lw=2, label=words["target"].format(p=outlook.p_hit(target)))
    if actual is not None:
        ax.plot(actual.index, actual.to_numpy(), color="k", lw=1.5, label=words["actual"])
    ax.set(title=title or f"Revenue to {outlook.end.date()}: P10-P90 fan", xlabel="", ylabel=words["revenue"])
    money_axis(ax)
    ax.legend(loc="best", fontsize="small")
    fig.autofmt_xdate()
    return fig


def backtest_chart(table: pd.DataFrame, measure: str = "revenue") -> Figure:
    """Predicted P10-P50-P90 vs actual and the naive run-rate, one group per cut-off."""
    style()
    fig = Figure(figsize=(8, 3.5), layout="constrained")
    ax = fig.subplots()
    x = np.arange(len(table))
    p10, p50, p90 = (table[f"predicted_{measure}_{q}"].to_numpy(float) for q in ("p10", "p50", "p90"))
    ax.errorbar(x - 0.1, p50, yerr=[p50 - p10, p90 - p50], fmt="o", capsize=4, label="simulation P50 (P10-P90)")
    ax.plot(x, table[f"actual_{measure}"], "ks", label="actual")
    ax.plot(x + 0.1, table[f"naive_{measure}"], "x", color="tab:orange", ms=9, label="naive run-rate")
    ax.set_xticks(x, [str(c) for c in table["cutoff"]])
    money_axis(ax)
    ax.set(title=f"Backtest: {measure} in the period after each cut-off", xlabel="cut-off", ylabel=measure)
    ax.legend(fontsize="small")
    return fig
