"""A new plan for the rest of the year, keeping what is won: the Act step closing the PDCA loop.

``salesplay track`` (:mod:`sim.tracking`) says where the plan stands on the as-of date;
:func:`replan` plans what is left. The revenue won from the plan's first day to the as-of date is
kept; the rest of the annual target, ``annual - achieved``, is split over the months left in the
plan's own proportions (:func:`remaining_targets`: each month's target, the as-of month's only for
its working days still to come), exactly to the currency unit by :func:`sim.targets.allocate`.
That remainder is then planned like any year (:func:`sim.targets.plan_table`, lagged by the cycle
through :func:`sim.schedule.schedule`) on the scenario moved to start the day after the as-of date
(:func:`rest_of_year`): the leads to buy, the work, the hires.

Named simplifications: the rest of the year opens with the scenario's own steady pipeline (its
warm-up), not the export's open deals; hires dated before the new start join the headcount as
seasoned reps. A replan made on a month's last day starts with the next month; one made mid-month
plans the rest of that month as its first row (``replan.json`` keeps the first day, from which
``salesplay track`` paces that month).

Examples
--------
>>> import pandas as pd
>>> plan = pd.DataFrame({"level": "company", "unit": "all", "period": pd.period_range("2017-07", periods=12, freq="M"),
...                      "revenue_target": 1000, "deals": 1.0, "leads": 2.0})
>>> rest = remaining_targets(plan, achieved=2500, as_of="2017-09-30")
>>> len(rest), int(rest.sum()), int(rest.iloc[0])  # October to June share what the first quarter did not bring
(9, 9500, 1056)
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.errors import Problem, ScenarioError
from sim.scenario import Calendar, Scenario
from sim.schedule import Schedule, schedule
from sim.targets import allocate, plan_table
from sim.tracking import elapsed_share

__all__ = ["Replan", "TrackingRecord", "read_tracking", "remaining_targets", "replan", "rest_of_year"]

TRACKING_FILE = "tracking.json"


@dataclass(frozen=True)
class TrackingRecord:
    """What a replan needs from ``salesplay track --out DIR``: the plan's folder, the as-of date,
    the revenue won from the plan's first day to it, and the country whose working days paced it."""

    plan_dir: Path
    as_of: pd.Timestamp
    achieved: int
    country: str | None


def read_tracking(folder: str | Path) -> TrackingRecord:
    """Read ``folder/tracking.json`` as ``salesplay track`` writes it; each problem named by file and field."""
    path = Path(folder) / TRACKING_FILE
    if not path.is_file():
        raise ScenarioError(
            [Problem("", "file not found (write it with: salesplay track PLAN_DIR EXPORT --out DIR)", file=str(path))]
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ScenarioError([Problem("", f"cannot be read as JSON ({exc})", file=str(path))]) from None
    problems = []
    year = (
        [
            r
            for r in data.get("status", [])
            if isinstance(r, dict) and r.get("level") == "company" and r.get("horizon") == "year"
        ]
        if isinstance(data, dict)
        else []
    )
    if not isinstance(data, dict) or not isinstance(data.get("plan_dir"), str):
        problems.append(Problem("plan_dir", "missing: the folder of the plan tracked", file=str(path)))
    try:
        as_of = pd.Timestamp(data["as_of"]) if isinstance(data, dict) else None
    except (KeyError, ValueError, TypeError):
        as_of = None
        problems.append(Problem("as_of", "missing or not a date", file=str(path)))
    if isinstance(data, dict) and data.get("measure", "revenue") != "revenue":
        problems.append(
            Problem(
                "measure",
                f"{data.get('measure')!r}: a replan keeps revenue won; track with --measure revenue",
                file=str(path),
            )
        )
    achieved = year[0].get("actual_to_date") if year else None
    if not isinstance(achieved, (int, float)) or not math.isfinite(achieved) or achieved < 0:
        problems.append(
            Problem("status", "no company row for the year with an actual_to_date of zero or more", file=str(path))
        )
    if problems:
        raise ScenarioError(problems)
    return TrackingRecord(Path(data["plan_dir"]), as_of.normalize(), int(round(achieved)), data.get("country"))


def remaining_targets(plan: pd.DataFrame, achieved: int, as_of: Any, calendar: Calendar | None = None) -> pd.Series:
    """The rest of the plan's annual target, ``annual - achieved`` (none when more is won), over the
    months after ``as_of`` in the plan's own proportions; the as-of month (unless it is over) weighs
    only its working days still to come, and months left all at nought share the rest by their
    working days to come (evenly when none is left).

    The result's months start with the as-of month (or the next one when ``as_of`` is its last day);
    ``achieved + result.sum() == annual`` exactly whenever ``achieved <= annual``.
    """
    calendar = calendar or Calendar()
    as_of = pd.Timestamp(as_of).normalize()
    company = plan[plan["level"] == "company"].groupby("period")["revenue_target"].sum()
    company.index = pd.PeriodIndex(company.index, freq="M")
    annual = int(company.sum())
    left = [m for m in company.index if m.end_time.normalize() > as_of]
    if not left:
        raise ValueError(
            f"the plan ends on {company.index[-1].end_time.date()}, by the as-of date {as_of.date()}: "
            "nothing left to plan"
        )
    weights = np.array([company[m] * (1 - elapsed_share(m, as_of, calendar)) for m in left], dtype=float)
    if weights.sum() <= 0:
        weights = np.array([1 - elapsed_share(m, as_of, calendar) for m in left])
    if weights.sum() <= 0:  # only a month's last days off work are left
        weights = np.ones(len(left))
    remainder = max(annual - int(achieved), 0)
    return pd.Series(allocate(remainder, weights), index=pd.PeriodIndex(left, freq="M"), name="revenue_target")


def rest_of_year(scenario: Scenario, as_of: Any, end: Any) -> Scenario:
    """``scenario`` moved to start the day after ``as_of`` and end on ``end``: hires dated before the
    new start join the headcount, later ones keep their calendar day."""
    start = pd.Timestamp(as_of).normalize() + pd.Timedelta(days=1)
    old_start = pd.Timestamp(scenario.start_date) if scenario.start_date else start
    shift = (start - old_start).days
    horizon = (pd.Timestamp(end).normalize() - start).days + 1
    if horizon <= 0:
        raise ValueError(f"nothing is left of the plan after {pd.Timestamp(as_of).date()}")
    overrides: dict[str, Any] = {"start_date": start.date().isoformat(), "horizon_days": horizon}
    for team in scenario.teams:
        joined = sum(h.count for h in team.hires if h.day < shift)
        overrides[f"teams.{team.name}.headcount"] = team.headcount + joined
        overrides[f"teams.{team.name}.hires"] = [
            {"day": h.day - shift, "count": h.count} for h in team.hires if h.day >= shift
        ]
    return scenario.replace(overrides)


@dataclass(frozen=True)
class Replan:
    """A plan for the rest of the year: ``plan`` (the table of :func:`sim.targets.plan_table`),
    ``scenario`` (the rest of the year, see :func:`rest_of_year`), what it keeps, and ``schedule``, the
    company's schedule the plan was made from (:func:`sim.schedule.schedule`, for the feasibility check)."""

    plan: pd.DataFrame
    scenario: Scenario
    as_of: pd.Timestamp
    annual: int
    achieved: int
    remaining: int
    schedule: Schedule

    def summary(self) -> dict[str, Any]:
        """The figures of ``replan.json``."""
        company = self.plan[self.plan["level"] == "company"]
        return {
            "as_of": str(self.as_of.date()),
            "annual_target": self.annual,
            "achieved": self.achieved,
            "remaining": self.remaining,
            "start": self.scenario.start_date.isoformat(),
            "months": dict(zip(company["period"].astype(str), company["revenue_target"].astype(int))),
        }


def replan(
    scenario: Scenario,
    plan: pd.DataFrame,
    achieved: int,
    as_of: Any,
    calendar: Calendar | None = None,
    challenge: float = 1.0,
) -> Replan:
    """The plan for the rest of ``plan``'s year on ``scenario``, keeping ``achieved`` (see the module's notes)."""
    rest = remaining_targets(plan, achieved, as_of, calendar)
    end = rest.index[-1].end_time.normalize()
    moved = rest_of_year(scenario, as_of, end)
    timed = schedule(moved, rest * challenge)
    table = plan_table(moved, challenge=challenge, monthly=rest, lagged=timed)
    annual = int(plan.loc[plan["level"] == "company", "revenue_target"].sum())
    return Replan(table, moved, pd.Timestamp(as_of).normalize(), annual, int(achieved), int(rest.sum()), timed)
