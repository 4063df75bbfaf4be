"""Working time: the days reps work, and the clock their work runs on.

A team with a :class:`~sim.scenario.Calendar` works only on its working days, each counted
whole (the model's unit of time is the day). Its *working time* at calendar time ``t`` is the
number of working days elapsed since the first day of the grid: it stands still over days
off. A queue served only on working days is the same queue in working time, so the engines
serve it there and map the times back:

- a rep *starts* at the latest calendar time of a given working time (a lead arriving on a
  Saturday is started on Monday morning, not on Friday night);
- work *ends* at the earliest (a job finished at the end of Friday ends on Friday night).

Outside the grid every day is a working day, so the map is strictly increasing everywhere but over
days off, and its inverses are exact; a team without a calendar keeps the calendar clock (``always``).

Examples
--------
>>> import datetime as dt
>>> from sim.scenario import Calendar
>>> week = WorkCalendar.of(Calendar(), dt.date(2027, 1, 4), first_day=0, days=14)  # a Monday
>>> week.to_work(np.array([4.5, 5.5, 7.0]))  # Friday noon, Saturday noon, Monday 00:00
array([4.5, 5. , 5. ])
>>> week.start_at(np.array([5.0])), week.end_at(np.array([5.0]))  # Monday morning, Friday night
(array([7.]), array([5.]))
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import numba
import numpy as np

from sim.calendar import DEFAULT_START
from sim.scenario import WEEKDAYS, Calendar, Holidays, Scenario

__all__ = ["WorkCalendar", "Calendars", "working_days", "team_calendars", "to_work", "start_at", "end_at"]


@lru_cache(maxsize=64)
def _country_days(country: str, subdivision: str | None, years: tuple[int, ...]) -> tuple[frozenset, frozenset]:
    """A country's public holidays and the weekend days it makes working days, over ``years``."""
    import holidays

    calendar = holidays.country_holidays(country, subdiv=subdivision, years=years)
    return frozenset(calendar), frozenset(getattr(calendar, "weekend_workdays", ()))


@lru_cache(maxsize=256)
def working_days(calendar: Calendar, start: dt.date | None, first_day: int, days: int) -> np.ndarray:
    """Whether each of ``days`` days from day ``first_day`` (day 0 = ``start``) is a working day.

    Worked out once for the same arguments (every replication of a run asks again) and read-only,
    since the same array is handed to every caller.

    >>> flags = working_days(Calendar(holidays=[dt.date(2027, 1, 1)]), dt.date(2027, 1, 1), 0, 7)
    >>> flags.astype(int).tolist()  # Friday 1 January is a holiday, then a weekend
    [0, 0, 0, 1, 1, 1, 1]
    """
    dates = np.datetime64(start or DEFAULT_START, "D") + np.arange(first_day, first_day + days)
    weekday = (dates.astype("datetime64[D]").astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday
    works = np.isin(weekday, [WEEKDAYS.index(d) for d in calendar.working_days])
    if isinstance(calendar.holidays, Holidays):
        years = tuple(range(int(str(dates[0])[:4]), int(str(dates[-1])[:4]) + 1)) if days else ()
        off, extra = _country_days(calendar.holidays.country, calendar.holidays.subdivision, years)
        works &= ~np.isin(dates, np.array(sorted(off), dtype="datetime64[D]"))
        works |= np.isin(dates, np.array(sorted(extra), dtype="datetime64[D]"))
    elif calendar.holidays:
        works &= ~np.isin(dates, np.array(calendar.holidays, dtype="datetime64[D]"))
    works.flags.writeable = False
    return works


class WorkCalendar:
    """One team's working days over a grid of days, as the arrays the compiled engines read.

    ``working[d]`` (1.0 or 0.0) says whether grid day ``d`` (day ``first_day + d`` of the horizon)
    is worked, ``before[d]`` how many working days precede it, ``days`` the worked days' numbers.
    ``always``: every day is worked (no calendar), working time is calendar time.
    """

    __slots__ = ("first_day", "working", "before", "days", "always")

    def __init__(self, first_day: int, working: np.ndarray | None):
        self.first_day = int(first_day)
        self.always = working is None
        flags = np.ones(0) if working is None else np.asarray(working, dtype=np.float64)
        self.working = flags
        self.before = np.r_[0.0, np.cumsum(flags)]
        self.days = (self.first_day + np.flatnonzero(flags)).astype(np.float64)

    @classmethod
    def of(cls, calendar: Calendar | None, start: dt.date | None, first_day: int, days: int) -> "WorkCalendar":
        """The calendar's grid of ``days`` days from ``first_day``; ``None``: every day is worked."""
        return cls(first_day, None if calendar is None else working_days(calendar, start, first_day, days))

    def to_work(self, times: np.ndarray) -> np.ndarray:
        """Working time at each of ``times``."""
        return self._map(times, 0)

    def start_at(self, work: np.ndarray) -> np.ndarray:
        """The calendar time at which work starts at working time ``work`` (the latest such time)."""
        return self._map(work, 1)

    def end_at(self, work: np.ndarray) -> np.ndarray:
        """The calendar time at which work ending at working time ``work`` ends (the earliest such time)."""
        return self._map(work, 2)

    def _map(self, values: np.ndarray, kind: int) -> np.ndarray:
        values = np.asarray(values, dtype=float)
        if self.always:
            return values.copy()
        return _map(values.ravel(), kind, *Calendars([self]).arrays).reshape(values.shape)


class Calendars:
    """Several teams' calendars over one grid, stacked for the compiled engines: row ``t`` is team ``t``'s.

    ``arrays`` is ``(first_day, working, before, days, always)``, what :func:`to_work`,
    :func:`start_at` and :func:`end_at` take with a row number.
    """

    __slots__ = ("arrays",)

    def __init__(self, calendars: list[WorkCalendar]):
        first_day = calendars[0].first_day if calendars else 0
        n = max((len(c.working) for c in calendars), default=0)
        working = np.zeros((len(calendars), n))
        before = np.zeros((len(calendars), n + 1))
        days = np.full((len(calendars), n + 1), np.inf)
        for row, c in enumerate(calendars):
            if not c.always:
                working[row], before[row], days[row, : len(c.days)] = c.working, c.before, c.days
        always = np.array([c.always for c in calendars], dtype=np.bool_)
        self.arrays = (float(first_day), working, before, days, always)


def team_calendars(scenario: Scenario, first_day: int, last_day: int) -> list[WorkCalendar]:
    """Every team's :class:`WorkCalendar` over days ``first_day`` to ``last_day - 1``."""
    return [
        WorkCalendar.of(scenario.calendar_of(i), scenario.start_date, first_day, last_day - first_day)
        for i in range(len(scenario.teams))
    ]


@numba.njit(cache=True, inline="always")
def to_work(t, row, first_day, working, before, days, always):
    """Working days elapsed from the grid's first day to calendar time ``t``, on row ``row``'s calendar."""
    if always[row]:
        return t
    x = t - first_day
    n = working.shape[1]
    if not x < np.inf:  # inf (never) or NaN
        return t
    if x < 0.0:
        return x
    if x >= n:
        return before[row, n] + (x - n)
    d = int(x)
    return before[row, d] + (x - d) * working[row, d]


@numba.njit(cache=True, inline="always")
def start_at(w, row, first_day, working, before, days, always):
    """The latest calendar time whose working time is ``w``: when work at ``w`` starts."""
    if always[row] or not w < np.inf:
        return w
    if w < 0.0:
        return first_day + w
    n = working.shape[1]
    i = int(w)
    if i >= before[row, n]:
        return first_day + n + (w - before[row, n])
    return days[row, i] + (w - i)


@numba.njit(cache=True, inline="always")
def end_at(w, row, first_day, working, before, days, always):
    """The earliest calendar time whose working time is ``w``: when work ending at ``w`` ends."""
    if always[row] or not w < np.inf:
        return w
    whole = int(w)
    if w == 0.0:  # nothing worked yet: the grid's first moment
        return first_day
    if w > 0.0 and w == whole:  # the end of a working day: that day's last moment, not the next one's first
        i = whole - 1
        n = working.shape[1]
        if i < before[row, n]:
            return days[row, i] + 1.0
        return first_day + n + (w - before[row, n])
    if w < 0.0:
        return first_day + w
    n = working.shape[1]
    if whole >= before[row, n]:
        return first_day + n + (w - before[row, n])
    return days[row, whole] + (w - whole)


@numba.njit(cache=True)
def _map(values, kind, first_day, working, before, days, always):
    out = np.empty(len(values))
    for i in range(len(values)):
        v = values[i]
        if kind == 0:
            out[i] = to_work(v, 0, first_day, working, before, days, always)
        elif kind == 1:
            out[i] = start_at(v, 0, first_day, working, before, days, always)
        else:
            out[i] = end_at(v, 0, first_day, working, before, days, always)
    return out
