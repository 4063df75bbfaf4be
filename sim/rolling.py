"""Rolling-origin backtests: cut-offs in a range, several forecast methods side by side.

A rolling-origin backtest forecasts the same horizon from every cut-off of a range with only
what was known at each (:meth:`sim.crm.CrmImport.as_known_on`) and scores the forecasts
against what happened.

Examples
--------
>>> [d.date().isoformat() for d in cutoff_range("2017-05-31:2017-07-31:monthly")]
['2017-05-31', '2017-06-30', '2017-07-31']
>>> [d.date().isoformat() for d in cutoff_range("2018-01-31:2018-02-14:weekly")]
['2018-01-31', '2018-02-07', '2018-02-14']
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

__all__ = ["cutoff_range", "STEPS"]

STEPS = ("monthly", "weekly")


def cutoff_range(spec: str) -> list[pd.Timestamp]:
    """The cut-offs of ``START:END:STEP`` (ISO dates, STEP ``monthly`` or ``weekly``), START and END included.

    ``monthly`` from a month's last day gives every month end; from another day, the same day
    of each month (the month's last day when it has fewer days). Raise ``ValueError`` with one
    message naming what is wrong.

    >>> [d.day for d in cutoff_range("2017-01-30:2017-03-31:monthly")]
    [30, 28, 30]
    """
    parts = spec.split(":")
    if len(parts) != 3:
        raise ValueError(f"{spec!r} is not START:END:STEP, e.g. 2017-05-31:2017-09-30:monthly")
    dates = []
    for part in parts[:2]:
        try:
            dates.append(pd.Timestamp(dt.date.fromisoformat(part)))
        except ValueError:
            raise ValueError(f"{spec!r}: {part!r} is not a date (YYYY-MM-DD)") from None
    start, end = dates
    step = parts[2].strip().lower()
    if step not in STEPS:
        raise ValueError(f"{spec!r}: {parts[2]!r} is not a step ({', '.join(STEPS)})")
    if end < start:
        raise ValueError(f"{spec!r}: the range ends ({end.date()}) before it starts ({start.date()})")
    if step == "weekly":
        return list(pd.date_range(start, end, freq="7D"))
    if start.is_month_end:
        return list(pd.date_range(start, end, freq="ME"))
    months = (end.year - start.year) * 12 + end.month - start.month
    shifted = [start + pd.DateOffset(months=k) for k in range(months + 1)]
    return [d for d in shifted if d <= end]
