"""Chart of a plan in time: each month's revenue, where it comes from, and when its leads are bought.

A deal closes a sales cycle after its lead arrives, so the leads for March's revenue are bought in
January or February, and January's revenue comes mostly from the pipeline the year opens with.
The chart puts the two side by side, month by month (:func:`sim.schedule.schedule`).

Examples
--------
>>> import sim
>>> from sim.schedule import schedule
>>> from sim.targets import split_months
>>> scenario = sim.load("playbooks/b2b_saas.yaml")
>>> timed = schedule(scenario, split_months(24_000_000, scenario, "reserve"))
>>> lag_chart(timed).axes[0].get_title()
'Leads are bought ahead of the revenue they bring'
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib.figure import Figure

from sim.formatting import COLOURS, money_axis
from sim.plots import style
from sim.schedule import Schedule

__all__ = ["LABELS", "lag_chart"]

LABELS = {
    "title": "Leads are bought ahead of the revenue they bring",
    "target": "target",
    "opening": "from the opening pipeline",
    "bought": "from leads bought in the year",
    "revenue": "revenue per month",
    "leads": "leads to buy",
}
"""The chart's words; a lesson passes its own (e.g. in Chinese) with the same keys."""


def lag_chart(timed: Schedule, labels: Mapping[str, str] | None = None) -> Figure:
    """Above: each month's expected revenue, split into the opening pipeline's and the bought leads', against
    the target. Below: the leads to buy in each month, one cycle ahead of the revenue they bring."""
    words = {**LABELS, **(labels or {})}
    style()
    fig = Figure(figsize=(8, 4.6))
    fig.subplots_adjust(left=0.1, right=0.98, top=0.9, bottom=0.08, hspace=0.15)
    revenue_ax, leads_ax = fig.subplots(2, 1, sharex=True, height_ratios=[3, 2])
    x = np.arange(len(timed.months))
    opening = np.asarray(timed.opening_revenue, dtype=float)
    bought = np.asarray(timed.revenue, dtype=float) - opening
    revenue_ax.bar(x, opening, color=COLOURS["current"], label=words["opening"])
    revenue_ax.bar(x, bought, bottom=opening, color=COLOURS["simulated"], label=words["bought"])
    revenue_ax.plot(
        x, timed.target, ls="none", marker="_", markersize=18, mew=2.5, color=COLOURS["target"], label=words["target"]
    )
    revenue_ax.set_ylabel(words["revenue"])
    revenue_ax.set_ylim(0, max(float(np.max(timed.revenue)), float(np.max(timed.target))) * 1.3)
    revenue_ax.legend(loc="upper left", fontsize=8, ncols=3)
    money_axis(revenue_ax)
    revenue_ax.set_title(words["title"], fontsize=11)
    leads_ax.bar(x, timed.leads, color=COLOURS["edited"])
    leads_ax.set_ylabel(words["leads"])
    money_axis(leads_ax)
    leads_ax.set_xticks(x, [m.strftime("%b") if len(x) <= 12 else str(m) for m in timed.months])
    return fig
