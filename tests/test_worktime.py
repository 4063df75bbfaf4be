"""Working calendars: the working clock, and both exact engines on a hand-worked week."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from sim.engine import des, fast
from sim.model.arrivals import Arrivals
from sim.model.fates import Fates
from sim.model.staffing import Roster
from sim.scenario import Calendar, Holidays
from sim.worktime import WorkCalendar, working_days

MONDAY = dt.date(2027, 1, 4)


def test_weekends_and_public_holidays_are_days_off():
    assert working_days(Calendar(), MONDAY, 0, 7).tolist() == [True] * 5 + [False] * 2
    spring = working_days(Calendar(holidays=Holidays(country="CN")), dt.date(2025, 1, 27), 0, 14)
    # Spring Festival 2025: 28 January to 4 February off; Sunday 26 January and Saturday 8 February worked
    assert not spring[1:8].any() and spring[0] and spring[12]


@settings(deadline=None)  # the first example compiles the clock
@given(st.lists(st.floats(-20, 80), min_size=1, max_size=50), st.sets(st.integers(0, 6), min_size=1))
def test_the_working_clock_is_monotone_and_its_inverses_exact(times, weekdays):
    names = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    calendar = WorkCalendar.of(Calendar(working_days=[names[d] for d in sorted(weekdays)]), MONDAY, -10, 60)
    t = np.sort(np.array(times))
    w = calendar.to_work(t)
    assert (np.diff(w) >= 0).all()
    starts, ends = calendar.start_at(w), calendar.end_at(w)
    np.testing.assert_allclose(calendar.to_work(starts), w, atol=1e-9)
    np.testing.assert_allclose(calendar.to_work(ends), w, atol=1e-9)
    assert (ends <= t + 1e-9).all() and (starts >= t - 1e-9).all()


def _one_rep_week(arrive: list[float], work: list[float]) -> Fates:
    """One rep on Monday-to-Friday from Monday 4 January 2027, one stage: leads arriving at ``arrive`` (days
    from that Monday) needing ``work`` days each."""
    n = len(arrive)
    arrivals = Arrivals(np.array(arrive), np.zeros(n, np.int32), np.zeros(n, np.int32), np.array([n]))
    calendar = WorkCalendar.of(Calendar(), MONDAY, 0, 30)
    return Fates(
        0,
        arrivals,
        np.array([0, n]),
        np.arange(n),
        np.ones(n, bool),
        np.array(work),
        np.zeros(n),
        np.ones(n),
        np.zeros(n),
        [Roster([0.0], [np.inf], [True], 0.0, 1.0)],
        np.array([0]),
        np.array([[0]]),
        np.array([[0]]),
        np.array([1]),
        calendars=[calendar],
    )


@pytest.mark.parametrize("engine", [fast, des], ids=["fast", "des"])
def test_work_pauses_over_the_weekend_by_hand(engine):
    # Friday noon, a day's work: Friday afternoon, then Monday morning, done Monday noon. A lead arriving on
    # Saturday waits for that; one arriving the next Saturday, with the rep free, is started Monday 00:00.
    fates = _one_rep_week([4.5, 5.5, 12.5], [1.0, 0.25, 0.5])
    timeline = engine.simulate_fates(fates, 30.0)
    np.testing.assert_allclose(timeline.start[0], [4.5, 7.5, 14.0])
    np.testing.assert_allclose(timeline.end_work[0], [7.5, 7.75, 14.5])


@pytest.mark.parametrize("engine", [fast, des], ids=["fast", "des"])
def test_work_that_ends_with_the_week_ends_on_friday_night(engine):
    # Thursday noon plus a day and a half of work ends as Friday ends (day 5.0), not on Monday morning
    timeline = engine.simulate_fates(_one_rep_week([3.5], [1.5]), 30.0)
    np.testing.assert_allclose(timeline.end_work[0], [5.0])
