"""Days of the horizon mapped to calendar months.

Day 0 is ``scenario.start_date``, or 1 January of a non-leap year when none is given.

Examples
--------
>>> import datetime as dt
>>> month_starts(dt.date(2027, 1, 1), 70)
array([ 0, 31, 59])
>>> month_of_day(dt.date(2027, 1, 1), 70)[[0, 30, 31, 69]]
array([0, 0, 1, 2])
>>> labels, index = months_of_horizon(dt.date(2027, 12, 20), 15)
>>> labels, index[[0, 11, 12]].tolist()
(['2027-12', '2028-01'], [0, 0, 1])
"""

from __future__ import annotations

import datetime as dt

import numpy as np

__all__ = ["DEFAULT_START", "month_starts", "month_of_day", "months_of_horizon"]

DEFAULT_START = dt.date(2025, 1, 1)  # a non-leap year; only months and weekdays matter


def month_starts(start: dt.date | None, horizon_days: int) -> np.ndarray:
    """Day numbers (from 0) on which a calendar month begins, the first being day 0."""
    days = np.arange(horizon_days)
    dates = np.datetime64(start or DEFAULT_START, "D") + days
    months = dates.astype("datetime64[M]")
    return days[np.r_[True, months[1:] != months[:-1]]]


def month_of_day(start: dt.date | None, horizon_days: int, first_day: int = 0) -> np.ndarray:
    """Calendar month (0 = January) of every day from ``first_day`` (negative: before day 0) to the horizon's end."""
    dates = np.datetime64(start or DEFAULT_START, "D") + np.arange(first_day, horizon_days)
    return dates.astype("datetime64[M]").astype(int) % 12


def months_of_horizon(start: dt.date | None, horizon_days: int) -> tuple[list[str], np.ndarray]:
    """The calendar months the horizon touches (``"2027-01"``...) and each day's position among them."""
    months = (np.datetime64(start or DEFAULT_START, "D") + np.arange(horizon_days)).astype("datetime64[M]")
    index = (months - months[0]).astype(int)
    return [str(m) for m in np.unique(months)], index
