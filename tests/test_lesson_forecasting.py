"""Lesson 6, forecasting honestly: hand-worked answers, the experiment in both languages, the backtest view."""

from __future__ import annotations

import pandas as pd
import pytest

from sim.lessons import load_lesson
from sim.lessons.forecasting import actual_revenue, backtest_table, experiment_panel, experiment_view, maven, won_within


def test_answers_are_the_hand_worked_ones():
    ex = load_lesson("forecasting").exercises
    assert ex["weighted"].answer == pytest.approx(0.2 * 10_000 + 0.5 * 20_000 + 0.8 * 5_000)
    # open at day 25: three past deals were still open (lost at 30, won at 40, won at 60);
    # within 30 more days one is lost (day 30) and one won (day 40): 1 in 3
    assert ex["aging"].answer == pytest.approx(1 / 3)
    assert ex["aging"].params["fresh"] == pytest.approx(4 / 6)
    assert ex["coverage"].answer == 8


def test_won_within_by_hand():
    won, lost = [10, 20, 40, 60], [15, 30]
    assert won_within(won, lost, age=0, days_left=100) == pytest.approx(4 / 6)  # a fresh deal, any time
    assert won_within(won, lost, age=0, days_left=10) == pytest.approx(1 / 6)  # only the day-10 win
    assert won_within(won, lost, age=45, days_left=30) == pytest.approx(1.0)  # the last deal open was won
    assert won_within(won, lost, age=80, days_left=30) == 0.0  # older than any past deal


def test_exercise_widget_accepts_the_weighted_pipeline_and_speaks_chinese():
    lesson = load_lesson("forecasting")
    box = lesson.exercise("weighted")
    _, row, feedback = box.children
    answer, button = row.children
    answer.value = "35000"
    button.click()
    assert "Too high." in feedback.value and "stage probability" in feedback.value
    lesson.set_language("zh")
    answer.value = "16000"
    button.click()
    assert "正确！" in feedback.value and "16,000" in feedback.value


def test_experiment_shows_simulation_pipeline_and_actual_in_both_languages():
    lesson = load_lesson("forecasting")
    text, figure = experiment_view(lesson, "2017-11-15", 1_500_000, replications=20)
    ops = maven().opportunities
    actual = ops[(ops.status == "won") & (ops.closed > "2017-11-15")].value.sum()
    assert "weighted pipeline" in text and f"actual **{actual:,.0f}**" in text
    labels = [t.get_text() for t in figure.axes[0].get_legend().get_texts()]
    assert "actual" in labels and any(label.startswith("target (P = ") for label in labels)
    lesson.set_language("zh")
    text, figure = experiment_view(lesson, "2017-11-15", 1_500_000, replications=20)
    assert "加权管道" in text and figure.axes[0].get_title() == "到季度末的累计收入"
    labels = [t.get_text() for t in figure.axes[0].get_legend().get_texts()]
    assert "实际" in labels and any(label.startswith("目标") for label in labels)
    assert figure.axes[0].get_ylabel() == "累计收入"
    panel = experiment_panel(lesson, replications=5)
    label, cutoff, _, target = panel.children[0].children
    assert label.value == "今天是"
    lesson.set_language("en")
    assert label.value == "Today is"
    cutoff.value = "2017-12-01"  # redraws without error


def test_actual_revenue_is_the_won_deals_by_day():
    crm = maven()
    series = actual_revenue(crm, pd.Timestamp("2017-12-01"), pd.Timestamp("2017-12-31"))
    ops = crm.opportunities
    december = ops[(ops.status == "won") & (ops.closed >= "2017-12-01")]
    assert len(series) == 31 and series.iloc[-1] == pytest.approx(december.value.sum())
    assert series.is_monotonic_increasing


def test_backtest_view_has_both_errors_and_coverage():
    table = backtest_table(replications=5)
    assert len(table) == 4
    assert {"abs_pct_error", "naive_abs_pct_error", "covered", "weighted_pipeline"} <= set(table.columns)
