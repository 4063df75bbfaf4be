"""When deals close within a payout period: the quarter-end pattern, in CRM data and in simulated runs.

Sales organisations paid on quarterly quotas close more deals in the last month of a quarter
(Oyer 1998; Larkin 2014). This module measures that pattern the same way in a CRM export of
export's closed deals (by default the Maven data, ``data/maven_crm/sales_pipeline.csv``) and in a run's won deals after the reps' response
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
from sim.crm import ImportReport, read_opportunities
from sim.resources import MAVEN_PIPELINE, resource

__all__ = [
    "PIPELINE",
    "load_closes",
    "quarter_end_share",
    "win_rate_by_month_of_quarter",
    "simulated_wins",
    "crm_quarter_end_share",
    "plans_quarter_end_share",
]

PIPELINE = resource(MAVEN_PIPELINE)


def load_closes(source: str | Path = PIPELINE, mapping: str | Path = "maven") -> tuple[pd.DataFrame, ImportReport]:
    """The closed deals of a CRM export (``close_date``, ``won`` True/False, ``value``) and its import
    report (rows skipped, by row number), read by :func:`sim.crm.read_opportunities`."""
    crm = read_opportunities(source, mapping)
    deals = crm.opportunities
    closed = deals[deals["status"].isin(["won", "lost"]) & deals["closed"].notna()]
    closes = pd.DataFrame({"close_date": closed["closed"], "won": closed["status"] == "won", "value": closed["value"]})
    return closes.reset_index(drop=True), crm.report


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


def crm_quarter_end_share(source: str | Path = PIPELINE, mapping: str | Path = "maven") -> float:
    """Share of the CRM data's wins in the last month of a quarter, its left-censored first quarter left out."""
    closes, _ = load_closes(source, mapping)
    return quarter_end_share(closes[closes["won"]]["close_date"], skip_first_quarter=True)


def plans_quarter_end_share(results, plans) -> dict[str, float]:
    """Per plan: the share of the run's wins in the last month of a quarter, after the reps' response.

    The first quarter is left out, as in the CRM data (the simulated funnel also starts empty).
    """
    from sim.incentives import responded_deals

    start = pd.Timestamp(results.scenario.start_date or DEFAULT_START)
    return {
        plan.name: quarter_end_share(
            simulated_wins(responded_deals(results, plan), start, results.scenario.horizon_days),
            skip_first_quarter=True,
        )
        for plan in plans
    }
