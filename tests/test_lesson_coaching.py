"""Lesson 4, coaching by exception: hand-worked answers, the experiment's statistics, the case and widgets."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.lessons import load_lesson
from sim.lessons.coaching import (
    TEAM_RATE,
    case_exceptions,
    case_table,
    credibility_curve,
    experiment_panel,
    simulated_team,
)


def test_answers_are_the_hand_worked_ones():
    ex = load_lesson("coaching").exercises
    assert ex["gap"].answer == pytest.approx(1 - 0.22 / 0.3)  # 26.7% below: material
    assert ex["chance"].answer == pytest.approx(0.7**5)  # 16.8%: five deals say little
    assert ex["deals_needed"].answer == 9  # 0.7^8 = 5.8%, 0.7^9 = 4.0%
    assert 0.7**8 > 0.05 > 0.7**9
    assert ex["many_reps"].answer == pytest.approx(1 - 0.95**20)  # 64%


def test_percent_answers_are_accepted():
    assert load_lesson("coaching").exercises["gap"].check(0.267, 1).correct


def test_credible_flags_are_a_subset_of_naive_ones_and_rarely_hit_average_reps(seed):
    """Exact binomial sums: the exact test's size at 20, 60 and 150 deals is 3.5%, 2.9% and 4.3%, so more than
    5% + 3 standard errors of 4,000 draws has probability below 1e-6; its power at 150 deals is 99.75%, so
    0.99 or less below 1e-12; the naive rule flags 53% at five deals, so 0.4 or less below 1e-50. Any seed."""
    curve = credibility_curve(TEAM_RATE, 0.15, deal_counts=[5, 20, 60, 150], trials=4000, seed=seed)
    assert (curve.credible_weak <= curve.naive_weak).all()
    assert (curve.credible_average <= curve.naive_average).all()
    # an exact test at 5% flags an average rep at most 5% of the time (plus sampling error of 4,000 draws)
    assert (curve.credible_average <= 0.05 + 3 * math.sqrt(0.05 * 0.95 / 4000)).all()
    assert curve.credible_weak.iloc[0] == 0  # 0 wins of 5 at 30%: p = 0.17, never credible
    assert curve.credible_weak.iloc[-1] > 0.99  # 150 deals: a 15% rep is found
    assert curve.naive_average.iloc[0] > 0.4  # the naive rule on five deals: P(at most 1 win of 5 | 30%) = 0.53


def test_draws_come_from_the_seeded_streams():
    a = credibility_curve(TEAM_RATE, 0.2, [30], trials=500, seed=3)
    assert a.equals(credibility_curve(TEAM_RATE, 0.2, [30], trials=500, seed=3))
    assert not a.equals(credibility_curve(TEAM_RATE, 0.2, [30], trials=500, seed=4))
    team = simulated_team(TEAM_RATE, 0.1, deals=40, reps=6, seed=2)
    assert team.groupby("rep").size().tolist() == [40] * 6
    assert team.equals(simulated_team(TEAM_RATE, 0.1, deals=40, reps=6, seed=2))


def test_case_coaches_wang_not_li():
    table = case_exceptions()
    assert table.loc["Wang", "flagged"] and not table.loc["Li", "flagged"]
    assert np.isnan(table.loc["Li", "q_value"])  # 9 deals: not tested at all
    assert (table.loc["Li", "ci_low"], table.loc["Li", "ci_high"]) == pytest.approx((0.028, 0.600), abs=0.001)


def test_case_table_and_experiment_follow_the_language():
    lesson = load_lesson("coaching", "zh")
    assert "赢单率" in case_table(lesson).to_html()
    panel = experiment_panel(lesson, trials=50)
    (deals, rate), _ = panel.children[0].children, panel.children[1]
    assert deals.description == "已结束商机数"
    lesson.set_language("en")
    assert deals.description == "decided deals" and rate.description == "weaker rep"
    deals.value = 100  # redraws without error


def test_aged_deals_exercise_uses_the_p90_of_wins():
    ex = load_lesson("coaching").exercises["aged"]
    assert ex.answer == 3  # p90 of 10..100 days is 91: the deals 95, 120 and 200 days old
    assert ex.params["limit"] == pytest.approx(91) and ex.params["review"] == "200, 120, 95"
