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

from typing import Any

import numpy as np
import pandas as pd

from sim.engine import simulate
from sim.odds import Odds
from sim.results import Results
from sim.scenario import WEEKDAYS, Scenario
from sim.schedule import Schedule, planned_scenario, schedule
from sim.stats import quantiles

__all__ = ["company_targets", "staffing", "staffing_gaps", "odds", "chances", "feasibility"]


def _quarter(period: pd.Period | str) -> str:
    return f"Q{pd.Period(period, 'M').quarter}"


def company_targets(plan: pd.DataFrame) -> pd.Series:
    """The plan's company revenue target by month, as :func:`sim.schedule.schedule` takes it."""
    company = plan[plan.level == "company"].set_index("period").revenue_target
    return pd.Series(company.to_numpy(dtype=float), index=pd.PeriodIndex(company.index, freq="M"))


def staffing(
    scenario: Scenario, plan: pd.DataFrame, max_utilisation: float = 0.85, timed: Schedule | None = None
) -> pd.DataFrame:
    """Reps each team needs and has in each quarter (productive reps: a new hire counts by productivity),
    from the work the plan brings when it happens (:func:`sim.schedule.schedule`), on working days."""
    timed = timed or schedule(scenario, company_targets(plan), max_utilisation)
    rows = [
        {
            "quarter": _quarter(month),
            "team": team,
            "required_reps": timed.required_reps[team][m],
            "available_reps": timed.available_reps[team][m],
        }
        for team in timed.required_reps
        for m, month in enumerate(timed.months)
    ]
    frame = pd.DataFrame(rows).groupby(["quarter", "team"], sort=False).mean()
    return frame.reset_index()[["quarter", "team", "required_reps", "available_reps"]]


def staffing_gaps(table: pd.DataFrame, tolerance: float = 0.05) -> list[str]:
    """Readable gaps: every team and quarter short of reps by more than ``tolerance`` (relative)."""
    short = table[table.required_reps > table.available_reps * (1 + tolerance)]
    return [
        f"{row.team} team needs {row.required_reps:.1f} reps in {row.quarter}, has {row.available_reps:.1f}"
        for row in short.itertuples()
    ]


def _assumptions(scenario: Scenario) -> dict[str, Any]:
    """How the simulated year opens and which days each team works, in words."""
    from sim.model.opening import in_words

    opening = f"the year opens with {in_words(scenario)}"

    def days_worked(calendar) -> str:
        if calendar is None:
            return "every day"
        holidays = calendar.holidays
        off = (
            f", without {holidays.country}'s public holidays"
            if hasattr(holidays, "country")
            else f", without {len(holidays)} holidays"
            if holidays
            else ""
        )
        worked = [WEEKDAYS.index(d) for d in calendar.working_days]
        run = worked == list(range(worked[0], worked[0] + len(worked)))
        return (
            f"{calendar.working_days[0]} to {calendar.working_days[-1]}"
            if run and len(worked) > 2
            else ", ".join(calendar.working_days)
        ) + off

    return {
        "opening": opening,
        "working_days": {team.name: days_worked(scenario.calendar_of(i)) for i, team in enumerate(scenario.teams)},
    }


def odds(
    scenario: Scenario,
    plan: pd.DataFrame,
    replications: int = 200,
    seed: int = 0,
    engine: str = "fast",
    workers: int | None = None,
) -> dict[str, Any]:
    """Simulate the scenario (on ``workers`` processes, see :func:`sim.simulate`); the probability of
    reaching each month's and the year's target."""
    results = simulate(
        scenario, replications=replications, seed=seed, engine=engine, detail=False, progress=False, workers=workers
    )
    return {**chances(results, plan), "replications": replications, "seed": seed, "engine": engine}


def chances(results: Results, plan: pd.DataFrame) -> dict[str, Any]:
    """The probability that a run's revenue reaches each month's and the year's target (with its 95%
    Wilson interval, ``p_hit_low``/``p_hit_high``), and P10/P50/P90 revenue."""
    revenue = results.monthly.pivot(index="replication", columns="month", values="revenue")
    company = plan[plan.level == "company"].set_index("period").revenue_target
    per_month = []
    for period, target in company.items():
        simulated = revenue[period] if period in revenue else pd.Series(0.0, index=revenue.index)
        hit = Odds.of(simulated >= target)
        per_month.append(
            {
                "period": period,
                "target": int(target),
                "p_hit": hit.p,
                "p_hit_low": hit.interval[0],
                "p_hit_high": hit.interval[1],
                **quantiles(simulated),
            }
        )
    annual = results.replications.revenue
    annual_hit = Odds.of(annual >= company.sum())
    summary = results.summary()
    return {
        "p_hit_annual": annual_hit.p,
        "p_hit_annual_interval": list(annual_hit.interval),
        "annual_revenue": quantiles(annual),
        "months": per_month,
        "opening_pipeline": summary["opening"]["mean"],  # leads in the funnel on day 0 (warm start)
        "abandoned": {s["name"]: s["abandoned"] for s in summary["stages"]},  # leads gone cold, per year
    }


def feasibility(
    scenario: Scenario,
    plan: pd.DataFrame,
    replications: int = 200,
    seed: int = 0,
    engine: str = "fast",
    max_utilisation: float = 0.85,
    workers: int | None = None,
    planned: bool = False,
    timed: Schedule | None = None,
) -> dict[str, Any]:
    """Everything ``feasibility.json`` holds: odds by month and year, staffing by team and quarter, gaps,
    for the scenario as it stands (the top-level figures, and ``as_is``); with ``planned``, also for the
    scenario that carries the plan out (``planned``: its leads by month, hires and odds;
    ``planned_scenario``: its YAML text; see :func:`sim.schedule.planned_scenario`), and in words what
    the plan cannot do (``problems``). ``timed`` is the plan's company schedule when the caller has solved
    it (the ``lagged`` of :func:`sim.targets.plan_table`), so the plan is solved once; solved here from the
    plan's revenue targets at ``max_utilisation`` otherwise."""
    if timed is None:
        timed = schedule(scenario, company_targets(plan), max_utilisation)
    elif not np.allclose(timed.leads, plan[plan.level == "company"].leads.to_numpy(dtype=float)):
        raise ValueError("the schedule given is not the plan's: its leads by month differ from the plan's")
    table = staffing(scenario, plan, max_utilisation, timed)
    as_is = odds(scenario, plan, replications, seed, engine, workers)
    teams = {}
    for team, rows in table.groupby("team", sort=False):
        teams[team] = {
            "required_reps": dict(zip(rows.quarter, rows.required_reps.round(2))),
            "available_reps": dict(zip(rows.quarter, rows.available_reps.round(2))),
        }
    return {
        **_summary(as_is),
        "assumptions": _assumptions(scenario),
        "opening_pipeline": as_is["opening_pipeline"],
        "abandoned": as_is["abandoned"],
        "teams": teams,
        "staffing_gaps": staffing_gaps(table),
        "as_is": _summary(as_is),
        "problems": timed.problems,
        **(_planned(scenario, plan, timed, replications, seed, engine, workers) if planned else {}),
        "max_utilisation": max_utilisation,
        "replications": replications,
        "seed": seed,
        "engine": engine,
    }


def _summary(figures: dict[str, Any]) -> dict[str, Any]:
    """The odds of one scenario, as feasibility.json holds them."""
    return {
        "p_hit_annual": figures["p_hit_annual"],
        "p_hit_annual_interval": figures["p_hit_annual_interval"],
        "annual_revenue": figures["annual_revenue"],
        "p_hit": {m["period"]: m["p_hit"] for m in figures["months"]},
        "months": figures["months"],
    }


def _planned(
    scenario: Scenario,
    plan: pd.DataFrame,
    timed: Schedule,
    replications: int,
    seed: int,
    engine: str,
    workers: int | None,
) -> dict[str, Any]:
    """The scenario that carries the plan out, as YAML text, and its odds."""
    from sim.scenario import dump

    carried = planned_scenario(scenario, timed)

    def by_month(values) -> dict[str, float]:
        return {str(m): round(float(x), 1) for m, x in zip(timed.months, values)}

    return {
        "planned": {
            **_summary(odds(carried, plan, replications, seed, engine, workers)),
            "leads": by_month(timed.leads),
            "leads_by_channel": {c: by_month(v) for c, v in timed.leads_by_channel.items()},
            "expected_revenue": by_month(timed.revenue),
            "opening_revenue": by_month(timed.opening_revenue),
            "hires": {team: [{"day": d, "count": n} for d, n in hires] for team, hires in timed.hires.items()},
        },
        "planned_scenario": dump(carried),
    }
