"""Rosters: hires, ramp-up and attrition."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.model.staffing import draw_roster
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
    team = Team(name="t", headcount=2000, attrition={"annual_rate": 0.2, "replacement_days": 30})
    roster = draw_roster(team, 365, np.random.default_rng(seed))
    left = np.isfinite(roster.end[roster.seasoned]) & (roster.end[roster.seasoned] < 365)
    p = 1 - math.exp(-0.2)
    assert abs(left.mean() - p) < 5 * math.sqrt(p * (1 - p) / 2000)
    replacements = roster.start[~roster.seasoned]
    assert (replacements >= 30).all() and len(replacements) >= left.sum() * 0.8
