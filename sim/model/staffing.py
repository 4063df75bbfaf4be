"""Who is on each team, and when: the rep roster with hires, ramp-up and attrition.

Every rep has a start day and an end day (``inf`` when they stay). Day-0 reps are seasoned;
hires and replacements ramp up linearly from ``ramp.initial_productivity`` to full over
``ramp.days``, and their work takes ``1 / productivity`` as long. With attrition, a rep's
tenure is exponential (``annual_rate`` per 365 days); the replacement starts
``replacement_days`` after the departure and may leave in turn. A rep who is busy when
their time is up finishes the job in hand, then leaves.

Roster order is the order in which reps become available (start day, then seat), which
is also the order in which an idle team hands them out. The reps on hand at day 0 are on the
team from the first day of the warm-up (:mod:`sim.model.opening`); attrition starts at day 0.
On a team with a working calendar, starts and departures are moved to the working moments that
are the same in working time (a rep leaving on a Saturday has left on Friday night), and a
replacement who would leave before working a moment is not on the roster.

Examples
--------
>>> from sim.scenario import Team
>>> team = Team(name="closers", headcount=2, hires=[{"day": 30, "count": 1}], ramp={"days": 60})
>>> r = draw_roster(team, horizon_days=365, rng=None)
>>> r.start.tolist(), r.seasoned.tolist()
([0.0, 0.0, 30.0], [True, True, False])
>>> float(r.productivity(2, 60.0))
0.75
>>> float(ramp_productivity(30.0, 60.0, 0.5))  # halfway through a ramp from a half
0.75
"""

from __future__ import annotations

import math

import numba
import numpy as np

from sim.model.opening import warmup_days
from sim.scenario import Scenario, Team
from sim.streams import STAFFING, generator
from sim.worktime import WorkCalendar, team_calendars

__all__ = ["Roster", "ramp_productivity", "draw_roster", "draw_rosters", "on_working_days"]


@numba.vectorize(["float64(float64, float64, float64)"], cache=True)
def ramp_productivity(tenure: float, ramp_days: float, initial: float) -> float:
    """Share of a seasoned rep's speed a new rep works at after ``tenure`` days on the team, ramping up
    linearly from ``initial`` to full over ``ramp_days`` (none: full at once); compiled, so the engines'
    kernels call it as the roster does, and vectorised over arrays of days."""
    if ramp_days <= 0.0:
        return 1.0
    return min(1.0, initial + (1.0 - initial) * tenure / ramp_days)


class Roster:
    """The reps of one team over the horizon; arrays indexed by rep number."""

    __slots__ = ("start", "end", "seasoned", "ramp_days", "initial_productivity")

    def __init__(self, start, end, seasoned, ramp_days: float, initial_productivity: float):
        self.start = np.asarray(start, dtype=float)
        self.end = np.asarray(end, dtype=float)
        self.seasoned = np.asarray(seasoned, dtype=bool)
        self.ramp_days = float(ramp_days)
        self.initial_productivity = float(initial_productivity)

    def __len__(self) -> int:
        return len(self.start)

    def productivity(self, rep: int, time):
        """Share of a seasoned rep's speed that ``rep`` works at on ``time`` (a day or an array of days)."""
        if self.seasoned[rep] or self.ramp_days <= 0:
            return 1.0
        with np.errstate(over="ignore"):  # a ramp of a split second: the quotient overflows to inf, the result is 1
            return ramp_productivity(np.subtract(time, self.start[rep]), self.ramp_days, self.initial_productivity)

    def available_days(self, horizon_days: float, calendar: WorkCalendar | None = None) -> float:
        """Rep-days on the team within ``[0, horizon_days)``: working days only, given the team's ``calendar``."""
        start, end = np.maximum(self.start, 0.0), np.minimum(self.end, horizon_days)
        if calendar is not None and not calendar.always:
            start, end = calendar.to_work(start), calendar.to_work(end)
        return float(np.clip(end - start, 0, None).sum())

    def daily(self, horizon_days: int) -> tuple[np.ndarray, np.ndarray]:
        """Per day of the horizon: rep-days on hand, and the same weighted by each rep's productivity
        at mid-day (seasoned rep-days), counting the parts of days a rep is on the team."""
        days = np.arange(horizon_days, dtype=float)[None, :]
        start, end = self.start[:, None], self.end[:, None]
        lo, hi = np.maximum(start, days), np.minimum(end, days + 1)
        on_hand = np.clip(hi - lo, 0.0, 1.0)
        if self.ramp_days > 0:
            with np.errstate(over="ignore"):  # a split-second ramp: the quotient overflows to inf, the result is 1
                # at mid-day; before the rep starts (nothing on hand) the tenure is 0, not negative
                ramped = ramp_productivity(
                    np.maximum((lo + hi) / 2 - start, 0.0), self.ramp_days, self.initial_productivity
                )
            productivity = np.where(self.seasoned[:, None], 1.0, ramped)
        else:
            productivity = 1.0
        return on_hand.sum(axis=0), (on_hand * productivity).sum(axis=0)

    def headcount(self, days: np.ndarray) -> np.ndarray:
        """Number of reps on the team at each of ``days``."""
        days = np.asarray(days, dtype=float)
        return np.searchsorted(np.sort(self.start), days, side="right") - np.searchsorted(
            np.sort(self.end), days, side="right"
        )


def draw_roster(team: Team, horizon_days: float, rng: np.random.Generator | None, first_day: float = 0.0) -> Roster:
    """Draw the team's reps; ``rng`` is only used (and only needed) when the team has attrition. The reps
    on hand at day 0 joined on ``first_day`` (the warm-up's first day, or 0)."""
    first_days = np.array([0.0] * team.headcount + sorted(float(h.day) for h in team.hires for _ in range(h.count)))
    seated = np.arange(len(first_days)) < team.headcount  # on the team from day 0: seasoned
    rate = team.attrition.annual_rate / 365.0 if team.attrition else 0.0
    if rate == 0:  # each seat is one rep, from its first day (within the horizon) for good
        within = first_days < horizon_days
        start, end, seasoned = first_days[within].copy(), np.full(int(within.sum()), math.inf), seated[within]
        start[seasoned] = first_day
    else:
        start, end, seasoned = [], [], []
        for seat_day, is_seasoned in zip(first_days.tolist(), seated.tolist()):
            day = seat_day
            while day < horizon_days:
                tenure = rng.exponential(1.0 / rate)
                start.append(first_day if day == 0 and is_seasoned else day)
                end.append(day + tenure)
                seasoned.append(is_seasoned and day == seat_day)
                day = day + tenure + team.attrition.replacement_days
    order = np.argsort(np.asarray(start, dtype=float), kind="stable")
    ramp = team.ramp
    return Roster(
        np.asarray(start, dtype=float)[order],
        np.asarray(end, dtype=float)[order],
        np.asarray(seasoned, dtype=bool)[order],
        ramp.days if ramp else 0.0,
        ramp.initial_productivity if ramp else 1.0,
    )


def draw_rosters(
    scenario: Scenario, seed: int, replication: int, calendars: list[WorkCalendar] | None = None
) -> list[Roster]:
    """Every team's roster in replication ``replication`` of a run seeded ``seed`` (team ``i`` from stream
    ``(STAFFING, i)``): the same staff in every engine. ``calendars``: the teams' working calendars
    (:func:`sim.worktime.team_calendars` from the warm-up's first day), worked out when not given."""
    first_day = -warmup_days(scenario)
    if calendars is None:
        calendars = team_calendars(scenario, first_day, scenario.horizon_days)
    return [
        on_working_days(
            draw_roster(
                team,
                scenario.horizon_days,
                # only attrition is random: a team without it needs no generator
                generator(seed, replication, STAFFING, i) if team.attrition else None,
                first_day,
            ),
            calendar,
        )
        for i, (team, calendar) in enumerate(zip(scenario.teams, calendars))
    ]


def on_working_days(roster: Roster, calendar: WorkCalendar) -> Roster:
    """The roster with starts and departures moved to working moments (see the module docs)."""
    if calendar.always:
        return roster
    start, end = calendar.start_at(calendar.to_work(roster.start)), calendar.end_at(calendar.to_work(roster.end))
    works = end > start
    return Roster(start[works], end[works], roster.seasoned[works], roster.ramp_days, roster.initial_productivity)
