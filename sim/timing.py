"""When deals close within a payout period: the quarter-end pattern, in CRM data and in simulated runs.

Sales organisations paid on quarterly quotas close more deals in the last month of a quarter
(Oyer 1998; Larkin 2014). This module measures that pattern the same way in a CRM export of
closed deals (``data/maven_crm/closes.csv``) and in a run's won deals after the reps' response
to a plan, so the two can be put side by side.

Examples
--------
>>> import pandas as pd
>>> dates = pd.to_datetime(["2017-04-03", "2017-06-20", "2017-06-28", "2017-08-01"])
>>> quarter_end_share(dates)
0.5
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sim.calendar import DEFAULT_START
from sim.errors import Problem

__all__ = ["CLOSES", "load_closes", "quarter_end_share", "win_rate_by_month_of_quarter", "simulated_wins",
           "crm_quarter_end_share", "plans_quarter_end_share"]

CLOSES = Path(__file__).resolve().parents[1] / "data" / "maven_crm" / "closes.csv"


def load_closes(path: str | Path = CLOSES) -> tuple[pd.DataFrame, list[Problem]]:
    """Closed deals (``won`` True/False, ``close_date``, ``value``) and the rows skipped, by row number.

    Row numbers count the header as row 1, as a spreadsheet shows them.
    """
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    dates = pd.to_datetime(raw["close_date"], format="%Y-%m-%d", errors="coerce")
    stage = raw["deal_stage"].str.strip()
    value = pd.to_numeric(raw["close_value"], errors="coerce")
    skipped = []
    for i in np.flatnonzero(dates.isna().to_numpy()):
        skipped.append(Problem("close_date", f"row {i + 2}: {raw['close_date'].iloc[i]!r} is not a date (YYYY-MM-DD)",
                               file=str(path)))
    for i in np.flatnonzero(~stage.isin(["Won", "Lost"]).to_numpy()):
        skipped.append(Problem("deal_stage", f"row {i + 2}: {stage.iloc[i]!r} is not Won or Lost", file=str(path)))
    keep = dates.notna() & stage.isin(["Won", "Lost"])
    closes = pd.DataFrame({"close_date": dates[keep], "won": stage[keep] == "Won", "value": value[keep]})
    return closes.reset_index(drop=True), skipped


def quarter_end_share(dates: pd.Series | pd.DatetimeIndex, skip_first_quarter: bool = False) -> float:
    """Share of ``dates`` that fall in the last month of a calendar quarter (1/3 with no pattern).

    ``skip_first_quarter`` leaves out the earliest quarter present (left-censored data).
    """
    dates = pd.DatetimeIndex(dates)
    if skip_first_quarter and len(dates):
        dates = dates[dates.to_period("Q") != dates.to_period("Q").min()]
    if len(dates) == 0:
        return float("nan")
    return float((dates.month % 3 == 0).mean())


def win_rate_by_month_of_quarter(closes: pd.DataFrame) -> pd.Series:
    """Share of closed deals won, by month of the quarter (1, 2, 3)."""
    position = (closes["close_date"].dt.month - 1) % 3 + 1
    return closes["won"].groupby(position.rename("month_of_quarter")).mean().rename("win_rate")


def simulated_wins(deals: pd.DataFrame, start: pd.Timestamp, horizon_days: float) -> pd.Series:
    """The calendar dates of the won deals (within the horizon) of a last-stage decision table."""
    won = deals[deals["won"] & (deals["day"] < horizon_days)]
    return pd.Timestamp(start) + pd.to_timedelta(np.floor(won["day"].to_numpy()), unit="D")


def crm_quarter_end_share(path: str | Path = CLOSES) -> float:
    """Share of the CRM data's wins in the last month of a quarter, its left-censored first quarter left out."""
    closes, _ = load_closes(path)
    return quarter_end_share(closes[closes["won"]]["close_date"], skip_first_quarter=True)


def plans_quarter_end_share(results, plans) -> dict[str, float]:
    """Per plan: the share of the run's wins in the last month of a quarter, after the reps' response.

    The first quarter is left out, as in the CRM data (the simulated funnel also starts empty).
    """
    from sim.incentives import responded_deals

    start = pd.Timestamp(results.scenario.start_date or DEFAULT_START)
    return {plan.name: quarter_end_share(simulated_wins(responded_deals(results, plan), start,
                                                        results.scenario.horizon_days), skip_first_quarter=True)
            for plan in plans}
