"""Lesson 6, forecasting honestly: weighted pipeline vs simulation, and what a P10–P90 range means.

The weighted pipeline (stage probability × value) ignores when deals close and how old they
are; the simulation of :mod:`sim.forecast` ages each open deal and gives a range. The
experiment forecasts from a past date of the shipped CRM data and shows what happened; the
backtest checks the method against the naive run-rate.

Examples
--------
>>> weighted_value([0.2, 0.5, 0.8], [10_000, 20_000, 5_000])
16000.0
>>> round(won_within([10, 20, 40, 60], [15, 30], age=25, days_left=30), 3)
0.333
"""

from __future__ import annotations

from functools import cache
from typing import Sequence

import numpy as np
import pandas as pd

from sim.calibrate import cycle_table
from sim.crm import CrmImport, read_opportunities
from sim.forecast import backtest, fate_table, forecast
from sim.formatting import styled
from sim.lessons.lesson import Exercise
from sim.resources import MAVEN_PIPELINE, resource
from sim.widgets import show

__all__ = [
    "DATA",
    "CUTOFFS",
    "exercises",
    "weighted_value",
    "won_within",
    "maven",
    "actual_revenue",
    "backtest_table",
    "backtest_view",
    "experiment_view",
    "experiment_panel",
]

DATA = resource(MAVEN_PIPELINE)
CUTOFFS = ("2017-08-15", "2017-09-15", "2017-11-15", "2017-12-01")  # mid-quarter days to stand on
_DEALS = ([0.2, 0.5, 0.8], [10_000, 20_000, 5_000])
_WON, _LOST = [10, 20, 40, 60], [15, 30]


def weighted_value(probabilities: Sequence[float], values: Sequence[float]) -> float:
    """The weighted pipeline: the sum of probability × value."""
    return float(np.dot(probabilities, values))


def won_within(won_days: Sequence[float], lost_days: Sequence[float], age: int, days_left: int) -> float:
    """Probability that a deal open for ``age`` days is won in the next ``days_left`` days, judged by
    past deals' days to close (the competing-risks table of :mod:`sim.calibrate`)."""
    table = cycle_table([*won_days, *lost_days], ["won"] * len(won_days) + ["lost"] * len(lost_days))
    cum = fate_table(table)
    horizon = len(table)
    if age + 1 >= cum.shape[0]:
        return 0.0
    return float(cum[age + 1, min(age + days_left, horizon - 1)])


def exercises() -> dict[str, Exercise]:
    """The lesson's exercises; every answer computed, none typed in."""
    probs, values = _DEALS
    deals = "; ".join(f"{v:,} ({p:.0%})" for p, v in zip(probs, values))  # no words: the same in every language
    fresh = len(_WON) / (len(_WON) + len(_LOST))
    return {
        "weighted": Exercise("weighted", {"deals": deals}, weighted_value(probs, values), tolerance=0.01),
        "aging": Exercise(
            "aging",
            {
                "won_days": ", ".join(map(str, _WON)),
                "lost_days": ", ".join(map(str, _LOST)),
                "age": 25,
                "left": 30,
                "fresh": fresh,
            },
            won_within(_WON, _LOST, age=25, days_left=30),
            tolerance=0.03,
        ),
        "coverage": Exercise("coverage", {"quarters": 10}, (0.9 - 0.1) * 10, tolerance=0.01),
    }


@cache
def maven() -> CrmImport:
    """The shipped CRM data (read once)."""
    return read_opportunities(DATA, "maven")


def actual_revenue(crm: CrmImport, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
    """Cumulative won revenue by day from ``start`` to ``end`` (inclusive), as it happened."""
    ops = crm.opportunities
    won = ops[(ops["status"] == "won") & (ops["closed"] >= start) & (ops["closed"] <= end)]
    days = pd.date_range(start, end, freq="D")
    return won.groupby(won["closed"].dt.normalize())["value"].sum().reindex(days, fill_value=0.0).cumsum()


def backtest_table(replications: int, seed: int = 1) -> pd.DataFrame:
    """The forecast from several past month-ends to the quarter's end, against the actual and the run-rate."""
    table = backtest(
        maven(),
        ["2017-06-30", "2017-07-31", "2017-08-31", "2017-09-30"],
        period_days=91,
        replications=replications,
        seed=seed,
    )
    return table[
        [
            "cutoff",
            "predicted_revenue_p10",
            "predicted_revenue_p50",
            "predicted_revenue_p90",
            "actual_revenue",
            "naive_revenue",
            "weighted_pipeline",
            "abs_pct_error",
            "naive_abs_pct_error",
            "covered",
        ]
    ]


_MONEY = (
    "predicted_revenue_p10",
    "predicted_revenue_p50",
    "predicted_revenue_p90",
    "actual_revenue",
    "naive_revenue",
    "weighted_pipeline",
)
_ERRORS = ("abs_pct_error", "naive_abs_pct_error")


def backtest_view(lesson, table: pd.DataFrame):
    """:func:`backtest_table` as the lesson shows it: columns named in the lesson's language, the day
    as a date, money in K/M, errors as percents and whether the actual fell in the range as yes or no.

    >>> from sim.lessons import load_lesson
    >>> row = {"cutoff": "2017-06-30", **dict.fromkeys(_MONEY, 1.5e6), **dict.fromkeys(_ERRORS, 0.25),
    ...        "covered": True}
    >>> html = backtest_view(load_lesson("forecasting"), pd.DataFrame([row])).to_html()
    >>> all(text in html for text in ("2017-06-30", "1.5M", "25.0%", "Run-rate error", "yes"))
    True
    """
    inside = {True: lesson.text("labels.inside"), False: lesson.text("labels.outside")}
    shown = table.assign(
        cutoff=pd.to_datetime(table["cutoff"]).dt.strftime("%Y-%m-%d"), covered=table["covered"].map(inside)
    )
    names = {column: lesson.text(f"labels.backtest.{column}") for column in shown.columns}
    return styled(
        shown.rename(columns=names),
        money_columns=[names[c] for c in _MONEY],
        percent_columns=[names[c] for c in _ERRORS],
    ).hide(axis="index")


def experiment_view(lesson, cutoff: str, target: float, replications: int, seed: int = 1):
    """The experiment's figures (text in the lesson's language) and fan chart, standing on ``cutoff``."""
    from sim.plots.forecast import FAN_LABELS, fan_chart

    day = pd.Timestamp(cutoff)
    end = day + pd.offsets.QuarterEnd(0)
    outlook = forecast(maven().as_known_on(day), end, replications=replications, seed=seed)
    actual = actual_revenue(maven(), day + pd.Timedelta(days=1), end)
    q = outlook.revenue_quantiles()
    text = lesson.text(
        "figures",
        p10=q["p10"],
        p50=q["p50"],
        p90=q["p90"],
        weighted=outlook.weighted,
        p_hit=outlook.p_hit(target),
        actual=float(actual.iloc[-1]),
    )
    labels = {key: lesson.text(f"labels.fan.{key}") for key in FAN_LABELS}
    return text, fan_chart(
        outlook, target=target, actual=actual, title=lesson.text("labels.chart_title"), labels=labels
    )


def experiment_panel(lesson, replications: int, seed: int = 1):
    """Pick the day to stand on and a target; the fan chart, the weighted pipeline and the actual redraw."""
    import ipywidgets as widgets
    from IPython.display import Markdown

    cutoff = widgets.Dropdown(options=CUTOFFS, value=CUTOFFS[2], description="")
    target = widgets.IntSlider(
        value=1_500_000,
        min=500_000,
        max=3_500_000,
        step=100_000,
        description="",
        readout_format=",d",
        continuous_update=False,
    )
    labels = [widgets.Label(), widgets.Label()]
    out = widgets.Output()

    def render(*_) -> None:
        labels[0].value, labels[1].value = lesson.text("labels.cutoff"), lesson.text("labels.target")
        text, figure = experiment_view(lesson, cutoff.value, target.value, replications, seed)
        show(out, Markdown(text), figure)

    cutoff.observe(render, names="value")
    target.observe(render, names="value")
    lesson._shown(render)
    return widgets.VBox([widgets.HBox([labels[0], cutoff, labels[1], target]), out])
