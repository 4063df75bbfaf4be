"""Rosters: hires, ramp-up and attrition."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.model.staffing import Roster, draw_roster
from sim.scenario import Team


def test_hires_join_on_their_day_and_ramp_up():
    team = Team(name="t", headcount=2, hires=[{"day": 90, "count": 3}], ramp={"days": 30, "initial_productivity": 0.4})
    roster = draw_roster(team, 365, None)
    assert roster.start.tolist() == [0, 0, 90, 90, 90]
    assert roster.headcount(np.array([0, 89.9, 90, 364])).tolist() == [2, 2, 5, 5]
    assert roster.productivity(0, 0.0) == 1.0
    assert [roster.productivity(2, t) for t in (90, 105, 120, 200)] == pytest.approx([0.4, 0.7, 1.0, 1.0])
    assert roster.available_days(365) == 2 * 365 + 3 * 275


def test_attrition_matches_the_annual_rate(seed):
    """The share leaving within 5 binomial standard errors (false failures below 1e-6); replacements at least
    80% of leavers, where about 8% leave too late to be replaced (binomial over some 360 leavers: the bound
    is 7 sd away). For any seed."""
    team = Team(name="t", headcount=2000, attrition={"annual_rate": 0.2, "replacement_days": 30})
    roster = draw_roster(team, 365, np.random.default_rng(seed))
    left = np.isfinite(roster.end[roster.seasoned]) & (roster.end[roster.seasoned] < 365)
    p = 1 - math.exp(-0.2)
    assert abs(left.mean() - p) < 5 * math.sqrt(p * (1 - p) / 2000)
    replacements = roster.start[~roster.seasoned]
    assert (replacements >= 30).all() and len(replacements) >= left.sum() * 0.8


def test_daily_rep_days_count_part_days_and_ramp_up_at_mid_day():
    # A seasoned rep all along; a hire from day 1.5 ramping from half speed over two days.
    roster = Roster(
        start=[0.0, 1.5], end=[np.inf, np.inf], seasoned=[True, False], ramp_days=2.0, initial_productivity=0.5
    )
    on_hand, seasoned = roster.daily(3)
    np.testing.assert_allclose(on_hand, [1.0, 1.5, 2.0])
    # day 1: half a day at 0.5 + 0.5 x (1.75 - 1.5) / 2; day 2: a full day at 0.5 + 0.5 x (2.5 - 1.5) / 2
    np.testing.assert_allclose(seasoned, [1.0, 1.0 + 0.5 * 0.5625, 1.0 + 0.75])
