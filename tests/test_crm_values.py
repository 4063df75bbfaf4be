"""The strict reader of a CRM export's amounts and dates: read one way or rejected with a reason."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.crm_values import FIRST_YEAR, LAST_YEAR, check_date_format, read_amount, read_amounts, read_date, read_dates

SEPARATORS = [(".", ","), (",", "."), (".", ""), (",", " "), (",", "\u00a0"), (".", "'"), (",", "\u202f")]


@pytest.mark.parametrize(
    "text, decimal, thousands, expected",
    [
        ("1,234.56", ".", ",", 1234.56),
        ("1.234,56", ",", ".", 1234.56),
        ("12,5", ",", ".", 12.5),
        ("(500)", ".", ",", -500.0),
        ("\u2212500", ".", ",", -500.0),
        ("-500", ".", ",", -500.0),
        ("+500", ".", ",", 500.0),
        ("$1,200", ".", ",", 1200.0),
        ("1 200,50 \u20ac", ",", " ", 1200.5),
        ("EUR 1.200", ",", ".", 1200.0),
        ("1200 USD", ".", ",", 1200.0),
        ("(\u00a3 75)", ".", ",", -75.0),
        (".5", ".", ",", 0.5),
        ("0", ".", ",", 0.0),
    ],
)
def test_amounts_are_read_under_the_mappings_separators(text, decimal, thousands, expected):
    assert read_amount(text, decimal, thousands) == expected


@pytest.mark.parametrize(
    "text, decimal, thousands",
    [
        ("1.234,56", ".", ","),  # a European amount under the default: was read as 1.23456
        ("12,5", ".", ","),  # was 125
        ("3 x 100", ".", ","),  # was 3100
        ("0x10", ".", ","),  # was 10
        ("1e400", ".", ","),  # was inf
        ("1e3", ".", ","),  # exponents are not amounts a CRM writes
        ("9" * 400, ".", ""),  # finite digits, infinite float
        ("nan", ".", ","),
        ("NaN", ".", ","),
        ("inf", ".", ","),
        ("n/a", ".", ","),
        ("", ".", ","),
        ("-", ".", ","),
        ("()", ".", ","),
        ("$", ".", ","),
        ("1,23", ".", ","),  # a thousands group of two digits
        ("1.2.3", ",", "."),
        ("1,2,3", ".", ","),
        ("--5", ".", ","),
        ("5-", ".", ","),
        ("1 2", ".", ","),
    ],
)
def test_anything_else_is_rejected_with_the_text_in_the_reason(text, decimal, thousands):
    with pytest.raises(ValueError, match="number|too large") as err:
        read_amount(text, decimal, thousands)
    assert repr(text)[1:-1][:20] in str(err.value) or text == ""


@given(
    st.integers(0, 10**15),
    st.integers(0, 99),
    st.booleans(),
    st.sampled_from(SEPARATORS),
    st.sampled_from(["", "$", "\u20ac ", "USD "]),
)
def test_a_formatted_amount_reads_back_as_itself(whole, cents, negative, separators, currency):
    decimal, thousands = separators
    grouped = f"{whole:,}".replace(",", thousands)
    text = f"{currency}{'-' if negative else ''}{grouped}{decimal}{cents:02d}"
    expected = float(f"{whole}.{cents:02d}") * (-1 if negative else 1)
    assert read_amount(text, decimal, thousands) == expected


@given(st.text(alphabet="0123456789.,-+() $x e\u2212\u00a0", max_size=20), st.sampled_from(SEPARATORS))
def test_any_text_is_read_to_a_finite_number_or_refused_with_a_value_error(text, separators):
    try:
        value = read_amount(text, *separators)
    except ValueError as exc:
        assert str(exc)
    else:
        assert math.isfinite(value)


def test_a_column_of_amounts_keeps_missing_cells_missing_and_says_why_others_failed():
    values, reasons = read_amounts(pd.Series(["1,000", "3 x 100", None, "(5)"], dtype=object))
    assert values[0] == 1000.0 and pd.isna(values[1]) and pd.isna(values[2]) and values[3] == -5.0
    assert reasons.notna().tolist() == [False, True, False, False] and "'3 x 100'" in reasons[1]


@given(st.datetimes(min_value=dt.datetime(FIRST_YEAR, 1, 1), max_value=dt.datetime(LAST_YEAR, 12, 31, 23, 59)))
def test_iso_dates_and_times_in_range_read_back_exactly(moment):
    assert read_date(moment.date().isoformat()) == dt.datetime.combine(moment.date(), dt.time())
    assert read_date(moment.isoformat(sep="T")) == moment
    assert read_date(moment.strftime("%d/%m/%Y"), "%d/%m/%Y").date() == moment.date()


@given(st.one_of(st.integers(1, FIRST_YEAR - 1), st.integers(LAST_YEAR + 1, 9999)))
def test_years_pandas_cannot_hold_are_rejected_not_crashed_on(year):
    with pytest.raises(ValueError, match="outside the years this tool handles"):
        read_date(f"{year:04d}-06-30")


@pytest.mark.parametrize(
    "text, fmt, reason",
    [
        ("2017", None, "not an ISO date"),  # was read as 2017-01-01
        ("2017-03", None, "not an ISO date"),
        ("20170301", None, "not an ISO date"),
        ("2017-02-30", None, "day is out of range"),
        ("0000-01-01", None, "year 0 is out of range"),
        ("03/01/2017", None, "not an ISO date"),
        ("2017-03-01", "%d/%m/%Y", "does not match the date format"),
        ("31/02/2017", "%d/%m/%Y", "does not match the date format"),
        ("01/01/1500", "%d/%m/%Y", "outside the years"),
    ],
)
def test_dates_that_are_not_one_day_are_rejected_with_the_reason(text, fmt, reason):
    with pytest.raises(ValueError, match=reason):
        read_date(text, fmt)


@pytest.mark.parametrize(
    "fmt, reason",
    [
        ("%Q", "bad directive"),
        ("%d/%m/%", "bad directive"),
        ("%s", "bad directive"),
        ("a\0b", "bad directive"),
        ("%Y", "year, month and day"),
        ("%m/%Y", "year, month and day"),
        ("dates", "year, month and day"),
    ],
)
def test_a_date_format_that_cannot_read_a_day_is_explained(fmt, reason):
    assert reason in check_date_format(fmt)


@pytest.mark.parametrize("fmt", ["%d/%m/%Y", "%m/%d/%Y", "%Y-%m-%d %H:%M", "%d.%m.%y", "%Y-%j", "%d %b %Y"])
def test_usual_date_formats_are_accepted(fmt):
    assert check_date_format(fmt) is None


def test_times_keep_their_local_day_whatever_offset_and_the_offsets_are_reported():
    days, reasons, offsets = read_dates(
        pd.Series(
            [
                "2017-01-02T23:30:00+01:00",  # winter time
                "2017-07-03T23:30:00+02:00",  # summer time in the same office
                "2017-07-04T01:00:00-05:00",
                "2017-07-05",
                None,
            ],
            dtype=object,
        )
    )
    assert days.dt.strftime("%Y-%m-%d").tolist()[:4] == ["2017-01-02", "2017-07-03", "2017-07-04", "2017-07-05"]
    assert days.isna().tolist() == [False, False, False, False, True] and reasons.isna().all()
    assert offsets == ("+01:00", "+02:00", "-05:00", "none")
    assert days.dtype == "datetime64[ns]"
