"""Read the numbers and dates of a CRM export strictly: every value is read one way or rejected.

Amounts follow the mapping's separators (``decimal`` and ``thousands``): ``1,234.56``
under the default, ``1.234,56`` with ``decimal: ","`` and ``thousands: "."``. A minus
sign (``-`` or the typographic ``−``) or parentheses make a number negative (a ``+`` is
allowed); currency symbols and three-letter codes around it are ignored. Anything else -- ``3 x 100``,
``0x10``, ``1e400``, ``nan``, a thousands separator in the wrong place -- is rejected
with a reason, never guessed.

Dates follow the mapping's ``date_format`` or else strict ISO 8601 (``2017-03-01``,
optionally with a time and an offset); a bare year is not a date, and a year outside
:data:`FIRST_YEAR` to :data:`LAST_YEAR` is rejected rather than overflowing later. A time
with an offset keeps its local day.

Examples
--------
>>> read_amount("$1,234.50"), read_amount("(500)"), read_amount("1.234,5", decimal=",", thousands=".")
(1234.5, -500.0, 1234.5)
>>> read_amount("12,5")
Traceback (most recent call last):
...
ValueError: '12,5' is not a number with decimal '.' and thousands ','
>>> read_date("2017-03-01"), read_date("01/03/2017", "%d/%m/%Y")
(datetime.datetime(2017, 3, 1, 0, 0), datetime.datetime(2017, 3, 1, 0, 0))
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from functools import cache

import pandas as pd

__all__ = [
    "FIRST_YEAR",
    "FORECAST_CATEGORIES",
    "LAST_YEAR",
    "check_date_format",
    "read_amount",
    "read_amounts",
    "read_date",
    "read_dates",
    "read_forecast_categories",
    "read_probabilities",
]

FIRST_YEAR, LAST_YEAR = pd.Timestamp.min.year + 1, pd.Timestamp.max.year - 1
"""The years a date may fall in: those pandas' nanosecond timestamps hold whole."""

_MINUS = ("-", "\u2212")  # the hyphen-minus and the minus sign
_CODE = re.compile(r"^[A-Z]{3}(?=[\s\d(\-\u2212.,$])|(?<=[\s\d)])[A-Z]{3}$")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$")


@cache
def _number_pattern(decimal: str, thousands: str) -> re.Pattern[str]:
    d = re.escape(decimal)
    whole = r"\d+" if not thousands else rf"(?:\d{{1,3}}(?:{re.escape(thousands)}\d{{3}})+|\d+)"
    return re.compile(rf"^(?P<whole>{whole})?(?:{d}(?P<fraction>\d+))?$")


def _strip_currency(text: str) -> str:
    text = text.strip()
    while text and unicodedata.category(text[0]) == "Sc":
        text = text[1:].strip()
    while text and unicodedata.category(text[-1]) == "Sc":
        text = text[:-1].strip()
    return _CODE.sub("", text).strip()


def read_amount(text: str, decimal: str = ".", thousands: str = ",") -> float:
    """The number ``text`` writes, under the given separators; raise ``ValueError`` with a reason.

    >>> read_amount("−500"), read_amount("EUR 1 200", thousands=" ")
    (-500.0, 1200.0)
    """
    body = _strip_currency(text)
    negative = False
    if body.startswith("(") and body.endswith(")"):
        body, negative = _strip_currency(body[1:-1]), True
    if body.startswith(_MINUS):
        body, negative = _strip_currency(body[1:]), not negative
    elif body.startswith("+"):
        body = _strip_currency(body[1:])
    match = _number_pattern(decimal, thousands).match(body)
    if not body or match is None or (match["whole"] is None and match["fraction"] is None):
        raise ValueError(f"'{text}' is not a number with decimal '{decimal}' and thousands '{thousands}'")
    whole = (match["whole"] or "0").replace(thousands, "") if thousands else (match["whole"] or "0")
    number = float(f"{whole}.{match['fraction'] or '0'}")
    if not math.isfinite(number):
        raise ValueError(f"'{text}' is too large")
    return -number if negative else number


def read_amounts(text: pd.Series, decimal: str = ".", thousands: str = ",") -> tuple[pd.Series, pd.Series]:
    """Amounts of a text column (missing stays NaN) and, per row, why it could not be read (or NA).

    >>> values, reasons = read_amounts(pd.Series(["1,000", "3 x 100", None]))
    >>> values.tolist(), reasons.notna().tolist()
    ([1000.0, nan, nan], [False, True, False])
    """
    values: dict[str, float] = {}
    reasons: dict[str, str] = {}
    for item in text.dropna().unique():
        try:
            values[item] = read_amount(str(item), decimal, thousands)
        except ValueError as exc:
            reasons[item] = str(exc)
    return text.map(values).astype(float), text.map(reasons).astype(object)


def check_date_format(fmt: str) -> str | None:
    """Why ``fmt`` cannot read dates (an unknown directive, or no year, month and day), else None.

    >>> check_date_format("%d/%m/%Y") is None, check_date_format("%Q")
    (True, "'%Q' is not a date format (bad directive)")
    """
    sample = dt.datetime(2001, 2, 3)
    try:
        back = dt.datetime.strptime(sample.strftime(fmt), fmt)
    except ValueError:
        return f"'{fmt}' is not a date format (bad directive)"
    if back.date() != sample.date():
        return f"'{fmt}' does not give a year, month and day"
    return None


def read_date(text: str, fmt: str | None = None) -> dt.datetime:
    """The date ``text`` writes in ``fmt`` (else strict ISO 8601); raise ``ValueError`` with a reason.

    >>> read_date("2017")
    Traceback (most recent call last):
    ...
    ValueError: '2017' is not an ISO date (YYYY-MM-DD)
    >>> read_date("2017-02-30")
    Traceback (most recent call last):
    ...
    ValueError: '2017-02-30' is not a date (day is out of range for month)
    """
    text = text.strip()
    if fmt is None:
        if not _ISO.match(text):
            raise ValueError(f"'{text}' is not an ISO date (YYYY-MM-DD)")
        try:
            day = dt.datetime.fromisoformat(text)
        except ValueError as exc:
            raise ValueError(f"'{text}' is not a date ({exc})") from None
    else:
        try:
            day = dt.datetime.strptime(text, fmt)
        except ValueError:
            raise ValueError(f"'{text}' does not match the date format '{fmt}'") from None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise ValueError(f"'{text}' is outside the years this tool handles ({FIRST_YEAR} to {LAST_YEAR})")
    return day


def _offset(day: dt.datetime) -> str:
    offset = day.utcoffset()
    if offset is None:
        return "none"
    minutes = int(offset.total_seconds()) // 60
    return f"{'-' if minutes < 0 else '+'}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def read_dates(text: pd.Series, fmt: str | None = None) -> tuple[pd.Series, pd.Series, tuple[str, ...]]:
    """Dates of a text column (missing stays NaT), per row why one was rejected (or NA), and the UTC offsets seen.

    A time with an offset keeps its local clock time and so its local day: the day the
    deal happened where it was recorded, whatever offsets its neighbours carry (summer time
    changes the offset within one office's export).

    >>> days, reasons, offsets = read_dates(pd.Series(["2017-01-02T23:00+01:00", "2017-07-03T10:00+02:00",
    ...                                                "2017", None]))
    >>> days.dt.day.tolist(), reasons.notna().tolist(), offsets
    ([2.0, 3.0, nan, nan], [False, False, True, False], ('+01:00', '+02:00'))
    """
    parsed: dict[str, dt.datetime] = {}
    reasons: dict[str, str] = {}
    for item in text.dropna().unique():
        try:
            parsed[item] = read_date(str(item), fmt)
        except ValueError as exc:
            reasons[item] = str(exc)
    local = {k: v.replace(tzinfo=None) for k, v in parsed.items()}
    days = pd.to_datetime(text.map(local).astype(object), errors="raise").astype("datetime64[ns]")
    offsets = tuple(sorted({_offset(v) for v in parsed.values()}))
    return days, text.map(reasons).astype(object), offsets


FORECAST_CATEGORIES: dict[str, str] = {
    "commit": "commit",
    "forecast": "commit",
    "best case": "best_case",
    "bestcase": "best_case",
    "most likely": "best_case",
    "mostlikely": "best_case",
    "pipeline": "pipeline",
    "omitted": "omitted",
    "omit": "omitted",
    "not forecasted": "omitted",
    "closed": "closed",
    "closed won": "closed",
}
"""A CRM's forecast category (lower case, ``_`` and ``-`` read as spaces) -> ours: Salesforce's
``Commit``, ``Best Case``, ``Pipeline``, ``Omitted``, ``Closed`` (``ForecastCategoryName``) and the
API values of its ``ForecastCategory`` (``Forecast`` for commit, ``BestCase``; ``MostLikely`` rolls
up into best case, as Salesforce's cumulative roll-ups count it); HubSpot's labels (``Commit``,
``Best case``, ``Pipeline``, ``Not forecasted``, ``Closed won``) and internal values
(``COMMIT``, ``BEST_CASE``, ``PIPELINE``, ``OMIT``, ``CLOSED``)."""


def read_forecast_categories(text: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Forecast categories of a text column as ``commit``, ``best_case``, ``pipeline``, ``omitted`` or
    ``closed`` (missing stays NA) and, per row, why one was not understood (or NA).

    >>> cats, reasons = read_forecast_categories(pd.Series(["Best Case", "BEST_CASE", "Not forecasted", "Maybe", None]))
    >>> cats.tolist(), reasons.notna().tolist()
    (['best_case', 'best_case', 'omitted', <NA>, <NA>], [False, False, False, True, False])
    """
    known = {
        item: FORECAST_CATEGORIES.get(" ".join(str(item).lower().replace("_", " ").replace("-", " ").split()))
        for item in text.dropna().unique()
    }
    reasons = {
        item: f"'{item}' is not a forecast category (one of: {', '.join(dict.fromkeys(FORECAST_CATEGORIES))})"
        for item, cat in known.items()
        if cat is None
    }
    return text.map(known).astype("string"), text.map(reasons).astype(object)


def read_probabilities(text: pd.Series, decimal: str = ".") -> tuple[pd.Series, pd.Series]:
    """Win probabilities of a text column as fractions 0-1 (missing stays NaN) and, per row, why one was rejected.

    A column is in percent when any cell ends with ``%`` or any number in it is above 1
    (Salesforce's ``Probability (%)``: ``10``, ``90``); else it holds fractions (HubSpot's
    ``0.2``). Only plain numbers, with the mapping's decimal mark, are read; a percent above
    100 is rejected.

    >>> read_probabilities(pd.Series(["10", "90%", None]))[0].tolist(), read_probabilities(pd.Series(["0.2", "1"]))[0].tolist()
    ([0.1, 0.9, nan], [0.2, 1.0])
    >>> read_probabilities(pd.Series(["150", "high"]))[1].tolist()
    ["'150' is above 100%", "'high' is not a probability (0-1, or 0-100 %)"]
    """
    number = re.compile(rf"^(\d+(?:{re.escape(decimal)}\d+)?|{re.escape(decimal)}\d+)\s*(%?)$")
    read: dict[str, tuple[float, bool]] = {}
    reasons: dict[str, str] = {}
    for item in text.dropna().unique():
        match = number.match(str(item).strip())
        if match is None:
            reasons[item] = f"'{item}' is not a probability (0-1, or 0-100 %)"
        else:
            read[item] = float(match[1].replace(decimal, ".")), bool(match[2])
    percent = any(marked or value > 1 for value, marked in read.values())
    values: dict[str, float] = {}
    for item, (value, _) in read.items():
        if percent and value > 100:
            reasons[item] = f"'{item}' is above 100%"
        else:
            values[item] = value / 100 if percent else value
    return text.map(values).astype(float), text.map(reasons).astype(object)
