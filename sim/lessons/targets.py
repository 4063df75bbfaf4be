"""Lesson 1, breaking a target down: months (the reserve month), then deals, leads and daily actions.

Examples
--------
>>> ex = exercises()
>>> round(ex["monthly"].answer), round(ex["leads"].answer, 1)
(1090909, 666.7)
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

import sim
from sim.lessons.lesson import Exercise
from sim.plots import style
from sim.plots.schedule import lag_chart
from sim.resources import B2B_PLAYBOOK, resource
from sim.formatting import COLOURS, money_axis
from sim.schedule import Schedule, schedule
from sim.targets import METHODS, days_per_week, plan_table, reverse_funnel, split_months, working_days
from sim.widgets import show

__all__ = ["PLAYBOOK", "exercises", "small_funnel", "month_chart", "daily_actions", "opening_share", "experiment_panel"]

PLAYBOOK = resource(B2B_PLAYBOOK)


def small_funnel(deal_value: float = 40_000, rates: tuple[float, float, float] = (0.3, 0.5, 0.5)) -> sim.Scenario:
    """Lead → qualified → proposal → deal, with one deal value: the exercises' funnel."""
    names = ("qualify", "propose", "close")
    return sim.Scenario.model_validate(
        {
            "name": "exercise funnel",
            "horizon_days": 365,
            "channels": [{"name": "leads", "leads_per_day": 1}],
            "stages": [
                {"name": n, "team": "reps", "conversion": p, "work_days": {"dist": "fixed", "value": 0.1}}
                for n, p in zip(names, rates)
            ],
            "teams": [{"name": "reps", "headcount": 4}],
            "deal_value": {"dist": "fixed", "value": deal_value},
        }
    )


def exercises() -> dict[str, Exercise]:
    """The lesson's exercises; every answer computed with :mod:`sim.targets`, none typed in."""
    annual = 12_000_000
    monthly = sim.targets.month_weights("reserve", reserve_month=12)[0] * annual
    funnel = reverse_funnel(small_funnel(), revenue=2_000_000)
    challenged = reverse_funnel(small_funnel(), revenue=2_000_000, challenge=1.1)
    per_rep_day = challenged.leads / 4 / 21
    return {
        "monthly": Exercise("monthly", {"annual": annual}, monthly, tolerance=0.001),
        "leads": Exercise(
            "leads",
            {
                "target": 2_000_000,
                "deal": 40_000,
                "deals": funnel.deals,
                "proposals": funnel.entering["close"],
                "qualified": funnel.entering["propose"],
            },
            funnel.leads,
            tolerance=0.01,
        ),
        "per_rep": Exercise("per_rep", {"leads": challenged.leads, "reps": 4, "days": 21}, per_rep_day, tolerance=0.02),
    }


def month_chart(months: pd.Series, title: str, ylabel: str) -> Figure:
    """Bars of the monthly targets."""
    style()
    fig = Figure(figsize=(8, 3.2))
    fig.subplots_adjust(left=0.1, right=0.98, top=0.88, bottom=0.18)
    ax = fig.subplots()
    ax.bar([str(pd.Period(m, "M").month) for m in months.index], months.to_numpy(), color=COLOURS["target"])
    ax.set(title=title, ylabel=ylabel)
    money_axis(ax)
    return fig


def daily_actions(scenario: sim.Scenario, plan: pd.DataFrame, month: str) -> pd.DataFrame:
    """For one month: each team's leads to work per rep per working day (of the team's calendar) and per week."""
    row = plan[(plan.level == "company") & (plan.period == month)].iloc[0]
    worked = reverse_funnel(scenario, revenue=1.0).worked
    rows = {}
    for i, team in enumerate(scenario.teams):
        calendar = scenario.calendar_of(i)
        per_day = (
            row.revenue_target
            * worked[team.name]
            / max(team.headcount, 1)
            / working_days(pd.Period(month, "M"), calendar)
        )
        rows[team.name] = {
            "reps": team.headcount,
            "per rep per working day": round(per_day, 1),
            "per rep per week": round(per_day * days_per_week(calendar), 1),
        }
    return pd.DataFrame(rows).T


_LAG_LABELS = {
    "title": "lag_title",
    "opening": "opening",
    "bought": "bought",
    "target": "target_mark",
    "revenue": "revenue_month",
    "leads": "leads_to_buy",
}


def opening_share(timed: Schedule, steady: float = 0.1) -> dict[str, object]:
    """How much of the first month's expected revenue the opening pipeline brings, and the first month in which
    it brings less than ``steady`` of it (from then on the year's own leads carry the revenue).

    >>> from sim.targets import split_months
    >>> scenario = sim.load(PLAYBOOK)
    >>> facts = opening_share(schedule(scenario, split_months(24_000_000, scenario, "even")))
    >>> facts["first"], facts["opening"] > 0.5, facts["steady"]
    ('2027-01', True, '2027-04')
    """
    share = np.asarray(timed.opening_revenue, dtype=float) / np.maximum(np.asarray(timed.revenue, dtype=float), 1e-9)
    later = np.flatnonzero(share < steady)
    return {
        "first": str(timed.months[0]),
        "opening": float(share[0]),
        "steady": str(timed.months[later[0]]) if len(later) else str(timed.months[-1]),
    }


def experiment_panel(lesson):
    """Target, split method and reserve month; the monthly split and a month's daily actions redrawn."""
    import ipywidgets as widgets
    from IPython.display import Markdown

    scenario = sim.load(PLAYBOOK)
    target = widgets.IntSlider(
        value=24_000_000, min=12_000_000, max=36_000_000, step=1_000_000, readout_format=".3s", continuous_update=False
    )
    style = {"description_width": "initial"}
    target.style = style
    method = widgets.Dropdown(options=METHODS, value="reserve", style=style)
    reserve = widgets.IntSlider(value=12, min=1, max=12, continuous_update=False, style=style)
    out = widgets.Output()
    relabelling = []  # set while the options are renamed: their change is not the learner's

    def render(*_) -> None:
        if relabelling:
            return
        target.description = lesson.text("labels.target")
        method.description = lesson.text("labels.method")
        reserve.description = lesson.text("labels.reserve")
        chosen = method.value
        relabelling.append(True)
        try:
            method.options = [(lesson.term(m), m) for m in METHODS]
            method.value = chosen
        finally:
            relabelling.clear()
        reserve.disabled = chosen != "reserve"
        options = {"reserve_month": reserve.value} if method.value == "reserve" else {}
        months = split_months(target.value, scenario, method.value, **options)
        timed = schedule(scenario, months)  # solved once, for the table and the chart
        plan = plan_table(scenario, monthly=months, lagged=timed)
        company = plan[plan.level == "company"].set_index("period").revenue_target
        busiest = company.idxmax()
        table = daily_actions(scenario, plan, busiest)
        table.columns = [lesson.text("labels.reps"), lesson.text("labels.per_day"), lesson.text("labels.per_week")]
        table.index = [lesson.term(team) for team in table.index]
        show(
            out,
            month_chart(company, lesson.text("labels.chart_title"), lesson.text("labels.revenue")),
            Markdown(lesson.text("busiest", month=busiest, target=int(company[busiest]))),
            table,
            lag_chart(timed, {key: lesson.text(f"labels.{name}") for key, name in _LAG_LABELS.items()}),
            Markdown(lesson.text("lag", **opening_share(timed))),
        )

    for control in (target, method, reserve):
        control.observe(render, names="value")
    lesson._shown(render)
    return widgets.VBox([widgets.HBox([target, method]), reserve, out])
