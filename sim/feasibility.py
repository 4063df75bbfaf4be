"""Is the plan feasible? Staffing against the work the plan needs, and the odds of hitting it.

Two checks a director runs before committing:

- **Staffing**: the rep time the plan's funnel needs in each quarter (from
  :func:`sim.targets.plan_table`), against each team's productive capacity in that quarter
  (hires, ramp-up and attrition included, averaged over simulated rosters), with a
  utilisation ceiling (85% by default: beyond it queues grow quickly). A shortfall becomes a
  readable gap: ``"proposal team needs 13.4 reps in Q3, has 10.0"``.
- **Odds**: the scenario simulated as it stands; for each month and for the year, the
  probability that revenue reaches the plan's target, with P10/P50/P90 revenue.

Examples
--------
>>> import sim
>>> from sim.targets import plan_table
>>> scenario = sim.load("playbooks/b2b_saas.yaml")
>>> gaps = staffing(scenario, plan_table(scenario, method="reserve"))
>>> sorted(gaps.columns)
['available_reps', 'quarter', 'required_reps', 'team']
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from sim.calendar import DEFAULT_START
from sim.engine import simulate
from sim.model.staffing import draw_roster
from sim.scenario import WEEKDAYS, Scenario, Team
from sim.streams import STAFFING, generator
from sim.targets import reverse_funnel, working_days

__all__ = ["staffing", "staffing_gaps", "odds", "feasibility"]


def _quarter(period: pd.Period | str) -> str:
    return f"Q{pd.Period(period, 'M').quarter}"


def _available(scenario: Scenario, rosters: int = 200) -> pd.DataFrame:
    """Mean productive reps per team and month, averaged over ``rosters`` simulated rosters."""
    return pd.DataFrame({team.name: _team_available(team, i, scenario.horizon_days, scenario.start_date, rosters)
                         for i, team in enumerate(scenario.teams)})


@lru_cache(maxsize=256)  # a plan is redrawn on every widget change; a team's roster rarely changes
def _team_available(team: Team, index: int, horizon_days: int, start_date, rosters: int) -> pd.Series:
    start = pd.Timestamp(start_date or DEFAULT_START)
    days = np.arange(horizon_days, dtype=float)
    months = (start + pd.to_timedelta(days, unit="D")).to_period("M")
    draws = rosters if team.attrition else 1
    total = np.zeros(len(days))
    for r in range(draws):
        roster = draw_roster(team, horizon_days, generator(0, r, STAFFING, index))
        for rep in range(len(roster)):
            on = (days >= roster.start[rep]) & (days < roster.end[rep])
            total += on * roster.productivity(rep, days)
    return pd.Series(total / draws).groupby(months).mean()


def staffing(scenario: Scenario, plan: pd.DataFrame, max_utilisation: float = 0.85) -> pd.DataFrame:
    """Reps each team needs and has in each quarter (productive reps: a new hire counts by productivity)."""
    company = plan[plan.level == "company"].set_index("period")
    available = _available(scenario)
    shares = _team_share_of_rep_days(scenario)
    calendars = {team.name: scenario.calendar_of(i) for i, team in enumerate(scenario.teams)}
    rows = []
    for period, row in company.iterrows():
        month = pd.Period(period, "M")
        for team, share in shares.items():
            days = working_days(month, calendars[team])  # reps work, and are counted, on working days only
            rows.append({"quarter": _quarter(month), "team": team,
                         "rep_days": row.rep_days * share, "days": days,
                         "available": available[team].get(month, 0.0) * days})
    frame = pd.DataFrame(rows).groupby(["quarter", "team"], sort=False).sum()
    frame["required_reps"] = frame.rep_days / frame.days / max_utilisation
    frame["available_reps"] = frame.available / frame.days
    return frame.reset_index()[["quarter", "team", "required_reps", "available_reps"]]


def _team_share_of_rep_days(scenario: Scenario) -> dict[str, float]:
    """Each team's share of the funnel's rep time (from the expected stage entries)."""
    funnel = reverse_funnel(scenario, revenue=1.0)
    total = sum(funnel.rep_days.values())
    return {team: days / total if total else 0.0 for team, days in funnel.rep_days.items()}


def staffing_gaps(table: pd.DataFrame, tolerance: float = 0.05) -> list[str]:
    """Readable gaps: every team and quarter short of reps by more than ``tolerance`` (relative)."""
    short = table[table.required_reps > table.available_reps * (1 + tolerance)]
    return [f"{row.team} team needs {row.required_reps:.1f} reps in {row.quarter}, has {row.available_reps:.1f}"
            for row in short.itertuples()]


def _assumptions(scenario: Scenario) -> dict[str, Any]:
    """How the simulated year opens and which days each team works, in words."""
    from sim.model.opening import warmup_days

    days = warmup_days(scenario)
    opening = (f"the year opens with the pipeline of a {days}-day warm-up" if days
               else "the year opens with an empty funnel (a start-up)")

    def days_worked(calendar) -> str:
        if calendar is None:
            return "every day"
        holidays = calendar.holidays
        off = (f", without {holidays.country}'s public holidays" if hasattr(holidays, "country")
               else f", without {len(holidays)} holidays" if holidays else "")
        worked = [WEEKDAYS.index(d) for d in calendar.working_days]
        run = worked == list(range(worked[0], worked[0] + len(worked)))
        return (f"{calendar.working_days[0]} to {calendar.working_days[-1]}" if run and len(worked) > 2
                else ", ".join(calendar.working_days)) + off
    return {"opening": opening,
            "working_days": {team.name: days_worked(scenario.calendar_of(i)) for i, team in enumerate(scenario.teams)}}


def odds(scenario: Scenario, plan: pd.DataFrame, replications: int = 200, seed: int = 0,
         engine: str = "fast", workers: int | None = None) -> dict[str, Any]:
    """Simulate the scenario (on ``workers`` processes, see :func:`sim.simulate`); the probability of
    reaching each month's and the year's target."""
    results = simulate(scenario, replications=replications, seed=seed, engine=engine, detail=False, progress=False,
                       workers=workers)
    revenue = results.monthly.pivot(index="replication", columns="month", values="revenue")
    company = plan[plan.level == "company"].set_index("period").revenue_target
    per_month = []
    for period, target in company.items():
        simulated = revenue[period] if period in revenue else pd.Series(0.0, index=revenue.index)
        per_month.append({"period": period, "target": int(target), "p_hit": float((simulated >= target).mean()),
                          **{k: float(simulated.quantile(q)) for k, q in (("p10", .1), ("p50", .5), ("p90", .9))}})
    annual = results.replications.revenue
    summary = results.summary()
    return {
        "p_hit_annual": float((annual >= company.sum()).mean()),
        "annual_revenue": {k: float(annual.quantile(q)) for k, q in (("p10", .1), ("p50", .5), ("p90", .9))},
        "months": per_month,
        "opening_pipeline": summary["opening"]["mean"],  # leads in the funnel on day 0 (warm start)
        "abandoned": {s["name"]: s["abandoned"] for s in summary["stages"]},  # leads gone cold, per year
        "replications": replications, "seed": seed, "engine": engine,
    }


def feasibility(scenario: Scenario, plan: pd.DataFrame, replications: int = 200, seed: int = 0,
                engine: str = "fast", max_utilisation: float = 0.85, workers: int | None = None) -> dict[str, Any]:
    """Everything ``feasibility.json`` holds: odds by month and year, staffing by team and quarter, gaps."""
    table = staffing(scenario, plan, max_utilisation)
    chances = odds(scenario, plan, replications, seed, engine, workers)
    teams = {}
    for team, rows in table.groupby("team", sort=False):
        teams[team] = {"required_reps": dict(zip(rows.quarter, rows.required_reps.round(2))),
                       "available_reps": dict(zip(rows.quarter, rows.available_reps.round(2)))}
    return {
        "p_hit_annual": chances["p_hit_annual"],
        "annual_revenue": chances["annual_revenue"],
        "p_hit": {m["period"]: m["p_hit"] for m in chances["months"]},
        "months": chances["months"],
        "assumptions": _assumptions(scenario),
        "opening_pipeline": chances["opening_pipeline"],
        "abandoned": chances["abandoned"],
        "teams": teams,
        "staffing_gaps": staffing_gaps(table),
        "max_utilisation": max_utilisation,
        "replications": replications, "seed": seed, "engine": engine,
    }
