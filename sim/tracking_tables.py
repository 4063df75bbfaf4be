"""The tables of a tracking (:mod:`sim.tracking`), the review sheet and a plan as a director reads them on a
page: columns named in words, money in K/M, shares as percents, odds with their interval.

Only presentation: every figure comes from the tables as they are, so the page, the command's CSV files
and the report agree. Each function returns a pandas ``Styler`` (:func:`sim.formatting.styled`) without the
row index, narrow enough for a page 1280 pixels wide.

Examples
--------
>>> status = pd.DataFrame([{"level": "company", "unit": "all", "horizon": "month", "period": "2017-09",
...     "target": 1_000_000, "target_to_date": 600_000, "actual_to_date": 650_000, "attainment": 1.083,
...     "pace": "ahead", "p10": 9.1e5, "p50": 1.02e6, "p90": 1.1e6, "p_make": 0.65, "p_make_low": 0.62,
...     "p_make_high": 0.68}])
>>> html = status_table(status).to_html()
>>> all(text in html for text in ("won to date", "1M", "108.3%", "65% (62–68%)"))
True
"""

from __future__ import annotations

import pandas as pd

from sim.formatting import styled
from sim.odds import chance_text

__all__ = ["plan_table_view", "status_table", "gap_table", "rep_table", "review_table"]

_GAP_PARTS = {"volume": "volume (leads)", "deal_size": "deal size", "timing": "timing"}


def _chance(row: pd.Series) -> str:
    """``65% (62–68%)``: the share of simulated futures making the period, with its 95% interval."""
    return chance_text(row["p_make"], row["p_make_low"], row["p_make_high"])


def plan_table_view(plan: pd.DataFrame) -> pd.io.formats.style.Styler:
    """A plan's rows (``plan.csv``, :func:`sim.targets.plan_table`): the month, its revenue target and the
    deals, leads and activities it takes."""
    names = {
        "period": "month",
        "revenue_target": "revenue target",
        "deals": "deals",
        "leads": "leads",
        "activities": "activities",
    }
    shown = plan[list(names)].rename(columns=names).assign(month=lambda t: t["month"].astype(str))
    return _left(
        styled(shown, money_columns=["revenue target"], count_columns=["deals", "leads", "activities"]), ["month"]
    )


def status_table(status: pd.DataFrame) -> pd.io.formats.style.Styler:
    """:attr:`sim.tracking.Tracking.status`: target and actual to date, the pace, the projection of each
    period (P10, P50, P90) and the chance of making it."""
    names = {
        "level": "level",
        "unit": "unit",
        "horizon": "horizon",
        "period": "period",
        "target": "target",
        "target_to_date": "target to date",
        "actual_to_date": "won to date",
        "attainment": "attainment",
        "pace": "pace",
        "p10": "P10",
        "p50": "P50",
        "p90": "P90",
    }
    shown = status[list(names)].rename(columns=names).assign(**{"chance of making it": status.apply(_chance, axis=1)})
    return _left(
        styled(
            shown,
            money_columns=["target", "target to date", "won to date", "P10", "P50", "P90"],
            percent_columns=["attainment"],
        ),
        ["level", "unit", "horizon", "period", "pace"],
    )


def _gap_names(table: pd.DataFrame) -> dict[str, str]:
    """The gap's columns in words: its parts, the conversion of each stage by name."""
    parts = {c: f"conversion at {c.split(':', 1)[1]}" for c in table.columns if c.startswith("conversion:")}
    return {
        "unit": "unit",
        "target": "target",
        "actual": "actual",
        "gap": "gap",
        "volume": _GAP_PARTS["volume"],
        **parts,
        "deal_size": _GAP_PARTS["deal_size"],
        "timing": _GAP_PARTS["timing"],
    }


def gap_table(gaps: pd.DataFrame) -> pd.io.formats.style.Styler:
    """:attr:`sim.tracking.Tracking.gaps`: each unit's gap to date and its parts (they add up to the gap).

    >>> gaps = pd.DataFrame([{"level": "company", "unit": "all", "target": 3_000_000, "actual": 2_982_255,
    ...     "gap": -17_745, "volume": 1_800_186, "conversion:Engaging": -117_289, "deal_size": -70_618,
    ...     "timing": -1_630_024, "plan_leads": 1570.0}])
    >>> html = gap_table(gaps).to_html()
    >>> all(text in html for text in ("conversion at Engaging", "-17.7K", "-1.63M")) and "plan_leads" not in html
    True
    """
    names = _gap_names(gaps)
    shown = gaps[list(names)].rename(columns=names)
    return _left(styled(shown, money_columns=[n for n in names.values() if n != "unit"]), ["unit"])


def rep_table(reps: pd.DataFrame) -> pd.io.formats.style.Styler:
    """:attr:`sim.tracking.Tracking.reps`: each rep's gap and its main parts, and the diagnostics' verdict
    on the rep's win rate."""
    names = {"unit": "rep", "target": "target", "actual": "actual", "gap": "gap", **_GAP_PARTS}
    shown = (
        reps[list(names)]
        .rename(columns=names)
        .assign(**{"win rate credibly low": reps["flagged"].map({True: "yes", False: "no"}), "why": reps["reason"]})
    )
    return _left(
        styled(shown, money_columns=[n for n in names.values() if n != "rep"]), ["rep", "win rate credibly low", "why"]
    )


def review_table(sheet: pd.DataFrame) -> pd.io.formats.style.Styler:
    """The review sheet (:func:`sim.review.review`): each shortfall, most money first, with its action."""
    names = {"rank": "#", "level": "level", "unit": "unit", "cause": "cause", "amount": "amount", "action": "action"}
    return _left(
        styled(sheet[list(names)].rename(columns=names), money_columns=["amount"]), ["level", "unit", "cause", "action"]
    )


def _left(table: pd.io.formats.style.Styler, columns: list[str]) -> pd.io.formats.style.Styler:
    """``table`` with the words of ``columns`` aligned left, as text reads (numbers stay right), and no
    row index."""
    return table.set_properties(subset=columns, **{"text-align": "left"}).hide(axis="index")
