"""How every page, chart and table writes a number: money with K/M, percents, one colour per role.

One module so that a director reads ``19.5M`` and ``12.2%`` the same way on every screen:
chart axes take :func:`money_axis` / :func:`percent_axis` (matplotlib ``FuncFormatter``: no
``1e6`` offsets, no raw ``19000000``), tables take :func:`styled` (pandas ``Styler`` with the
unit in each column's format), and the roles a chart compares keep their colour everywhere
(:data:`COLOURS`, from the Okabe–Ito palette: told apart by colour-blind readers and readable on
light and dark backgrounds). :func:`band_caption` says what P10–P90 means in plain words.

Examples
--------
>>> money(19_500_000), money(950_000), money(-1_234), money(12.5), money(0)
('19.5M', '950K', '-1.23K', '12.5', '0')
>>> percent(0.122, 1), percent(0.65)
('12.2%', '65%')
>>> band_caption("en").startswith("The shaded band")
True
"""

from __future__ import annotations

import math
from typing import Iterable

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter

__all__ = ["COLOURS", "money", "percent", "money_axis", "percent_axis", "unit_axis", "band_caption", "styled"]

COLOURS = {"target": "#E69F00", "simulated": "#0072B2", "current": "#7F7F7F", "edited": "#D55E00", "actual": "#000000"}
"""One colour per role a chart compares: the target, the simulation, the current plan, the edited plan."""

_UNITS = ((1e9, "B"), (1e6, "M"), (1e3, "K"))


def money(value: float) -> str:
    """An amount with three significant digits and K, M or B (``19.5M``); no currency sign, since
    playbooks name none."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    for size, suffix in _UNITS:
        if abs(value) >= size:
            return f"{value / size:.3g}{suffix}"
    return f"{value:.3g}"


def percent(share: float, digits: int = 0) -> str:
    """A share as a percent (``0.122`` → ``12.2%`` with one digit)."""
    if share is None or (isinstance(share, float) and math.isnan(share)):
        return ""
    return f"{share:.{digits}%}"


def money_axis(ax: Axes, axis: str = "y") -> None:
    """Label ``ax``'s x or y axis in money (K/M), without an offset or a scientific multiplier."""
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(FuncFormatter(lambda v, _: money(v)))


def percent_axis(ax: Axes, axis: str = "y", digits: int = 0) -> None:
    """Label ``ax``'s x or y axis in percents (``0.25`` → ``25%``)."""
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(FuncFormatter(lambda v, _: percent(v, digits)))


_SHARES = ("p_", "hit", "share", "rate", "utilisation", "probability", "conversion")


def unit_axis(ax: Axes, figure: str, axis: str = "y") -> None:
    """Label an axis that shows the figure named ``figure``: percents for probabilities, shares and
    rates (``p_hit_target``, ``conversion_rate``), K/M for amounts and counts.

    >>> from matplotlib.figure import Figure
    >>> ax = Figure().subplots()
    >>> unit_axis(ax, "p_hit_target"); ax.yaxis.get_major_formatter()(0.25, 0)
    '25%'
    >>> unit_axis(ax, "revenue", "x"); ax.xaxis.get_major_formatter()(2_500_000, 0)
    '2.5M'
    """
    if any(word in figure for word in _SHARES):
        percent_axis(ax, axis)
    else:
        money_axis(ax, axis)


_BAND = {
    "en": "The shaded band holds the middle 80% of simulated years: one year in ten falls below it (P10), "
    "one in ten above it (P90); the line is the middle year (P50).",
    "zh": "阴影带是模拟年份中间的80%：十年中有一年低于它（P10），一年高于它（P90）；线是中间的一年（P50）。",
}


def band_caption(language: str = "en") -> str:
    """One line saying what a P10–P90 band means, for a reader who is not a statistician."""
    return _BAND[language]


def styled(
    table: pd.DataFrame,
    money_columns: Iterable[str] = (),
    percent_columns: Iterable[str] = (),
    count_columns: Iterable[str] = (),
    decimals_columns: Iterable[str] = (),
):
    """``table`` as a pandas ``Styler``: money in K/M, shares as percents, counts with thousands
    separators, other numbers with one decimal; blanks for missing values, numbers right-aligned.

    >>> html = styled(pd.DataFrame({"revenue": [1.5e6], "share": [0.25]}), ["revenue"], ["share"]).to_html()
    >>> "1.5M" in html and "25.0%" in html
    True
    """
    formats = {
        **{c: money for c in money_columns},
        **{c: lambda v: percent(v, 1) for c in percent_columns},
        **{c: "{:,.0f}" for c in count_columns},
        **{c: "{:,.1f}" for c in decimals_columns},
    }
    styler = table.style.format(formats, na_rep="").format_index(str, axis=1)
    return styler.set_table_styles(
        [
            {"selector": "td", "props": "text-align: right; padding: 2px 8px"},
            {"selector": "th", "props": "text-align: left; padding: 2px 8px"},
        ]
    )
