"""The lagged plan: the scenario that carries a plan out reaches it in simulation (issue: a plan the
simulator agrees with)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import sim
from sim.schedule import planned_scenario, schedule
from sim.scenario import loads
from sim.targets import reverse_funnel, split_months

SEASON = [0.9, 0.85, 1.0, 1.1, 1.15, 1.0, 0.9, 0.85, 1.0, 1.1, 1.15, 1.0]


def _stationary(seasonality: list[float] | None = None) -> sim.Scenario:
    """A steady organisation with a cycle of about ten weeks, reps on a Monday-to-Friday calendar and
    first contacts that go cold after about a week."""
    season = f", seasonality: {seasonality}" if seasonality else ""
    return loads(f"""
name: Steady
horizon_days: 365
start_date: 2027-01-01
calendar: {{working_days: [mon, tue, wed, thu, fri]}}
channels: [{{name: web, leads_per_day: 20, cost_per_lead: 50{season}}}]
stages:
  - {{name: qualify, team: sdr, work_days: {{dist: gamma, mean: 0.1, sd: 0.05}},
      wait_days: {{dist: gamma, mean: 20, sd: 8}}, conversion: 0.4,
      patience_days: {{dist: exponential, mean: 6}}}}
  - {{name: propose, team: ae, work_days: {{dist: gamma, mean: 1.0, sd: 0.5}},
      wait_days: {{dist: gamma, mean: 25, sd: 10}}, conversion: 0.5}}
  - {{name: close, team: ae, work_days: {{dist: gamma, mean: 0.5, sd: 0.2}},
      wait_days: {{dist: gamma, mean: 20, sd: 8}}, conversion: 0.5}}
teams:
  - {{name: sdr, headcount: 4}}
  - {{name: ae, headcount: 16, ramp: {{days: 60}}}}
deal_value: {{dist: fixed, value: 10000}}
""")


@pytest.mark.parametrize("method", ["even", "seasonal"])
def test_the_planned_scenario_reaches_the_plan_in_simulation(method):
    """The year's median within 5% of the target and every month's within 15% of its own.

    The target is what the organisation brings now (so the opening pipeline fits the plan). With
    fixed deal values a month's revenue is about 65 deals, a coefficient of variation near 0.13;
    the median of 80 replications then has a standard error near 1.25 * 0.13 / sqrt(80) = 1.8%,
    so a month that the plan times right fails the 15% bound only beyond 8 standard errors
    (even allowing a 5% timing error), and the year (CV about 0.04) the 5% bound beyond 8 as well.
    """
    scenario = _stationary(SEASON if method == "seasonal" else None)
    annual = round(365 * 20 * 0.4 * 0.5 * 0.5 * 10000 * 0.95)  # about 5% of first contacts go cold
    target = split_months(annual, scenario, method)
    plan = schedule(scenario, target)
    planned = planned_scenario(scenario, plan)
    results = sim.simulate(planned, replications=80, seed=11, engine="fast", detail=False, progress=False)
    monthly = results.monthly.pivot(index="replication", columns="month", values="revenue").median()
    ratio = monthly.to_numpy() / target.to_numpy()
    assert abs(results.replications.revenue.median() / annual - 1) < 0.05
    assert np.all(np.abs(ratio - 1) < 0.15), dict(zip(monthly.index, ratio.round(3)))
    assert not [p for p in plan.problems if "expected revenue" in p]


def test_leads_are_bought_one_cycle_ahead_of_the_revenue():
    """A target that doubles from July asks for more leads well before July, none of it in January."""
    scenario = _stationary()
    months = split_months(1, scenario).index
    target = pd.Series([500_000] * 6 + [1_000_000] * 6, index=months)
    plan = schedule(scenario, target)
    pace = plan.leads / np.diff([0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365])
    assert pace[3:5].mean() > 1.5 * pace[0]  # April-May leads pay in June-July
    assert pace[5] > 1.7 * pace[0]


def test_a_month_before_the_cycle_can_turn_is_named():
    """January's target tripled: its deals needed leads before the year started; plan says so."""
    scenario = _stationary()
    months = split_months(1, scenario).index
    target = pd.Series([1_800_000] + [600_000] * 11, index=months)
    plan = schedule(scenario, target)
    assert any(p.startswith("2027-01: expected revenue") and "before the year started" in p for p in plan.problems)


def test_the_planned_scenario_opens_with_the_pipeline_as_it_stands():
    """Buying more leads this year does not change the pipeline the year opens with."""
    scenario = _stationary()
    target = split_months(2 * 7_000_000, scenario, "even")
    planned = planned_scenario(scenario, schedule(scenario, target))
    assert planned.channels[0].leads_per_day > 1.5 * scenario.channels[0].leads_per_day
    as_is = sim.simulate(
        scenario, replications=20, seed=2, engine="fast", detail=False, progress=False
    ).replications.opening
    then = sim.simulate(
        planned, replications=20, seed=2, engine="fast", detail=False, progress=False
    ).replications.opening
    assert then.tolist() == as_is.tolist()


def test_a_team_short_of_reps_is_hired_for_in_time():
    """Twice the work: the account executives are hired for, early enough to ramp up where possible."""
    scenario = _stationary()
    plan = schedule(scenario, split_months(2 * 7_000_000, scenario, "even"))
    hires = plan.hires["ae"]
    assert sum(n for _, n in hires) >= 10
    assert all(day >= 0 for day, _ in hires)
    assert any("ramp-up in time" in p for p in plan.problems)  # January's extra reps cannot be ramped by then
    assert np.all(
        plan.required_reps["ae"] * 0.85
        <= plan.available_reps["ae"] + 0.05 * plan.required_reps["ae"] + sum(n for _, n in hires)
    )


def test_without_lag_or_opening_the_schedule_is_the_reverse_funnel():
    """A cycle of a split second and an empty opening: leads a month = target / revenue per lead (up to
    the faint smoothing of the pace between months of different lengths)."""
    scenario = loads("""
name: Instant
horizon_days: 365
opening: {warmup_days: 0}
channels: [{name: web, leads_per_day: 10}]
stages: [{name: close, team: ae, work_days: {dist: fixed, value: 0.001}, conversion: 0.25}]
teams: [{name: ae, headcount: 5}]
deal_value: {dist: fixed, value: 1000}
""")
    target = split_months(1_200_000, scenario, "even")
    plan = schedule(scenario, target)
    expected = target.to_numpy() * reverse_funnel(scenario, 1.0).leads
    np.testing.assert_allclose(plan.leads, expected, rtol=0.02)


def test_plan_writes_the_scenario_that_carries_it_out(tmp_path, capsys):
    """``plan --out`` writes scenario.yaml beside plan.csv; feasibility.json holds both scenarios."""
    import json

    from sim.cli import main

    source = tmp_path / "steady.yaml"
    source.write_text(sim.scenario.dump(_stationary()))
    out = tmp_path / "plan"
    assert (
        main(
            ["plan", str(source), "--target", "6935000", "--method", "even", "--replications", "20", "--out", str(out)]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert "as planned" in printed and "scenario.yaml" in printed
    report = json.loads((out / "feasibility.json").read_text())
    assert {"as_is", "planned", "problems"} <= set(report)
    planned = sim.load(out / "scenario.yaml")
    assert set(planned.opening.lead_flow) == {"web"}
    leads = pd.read_csv(out / "plan.csv").query("level == 'company'").leads.to_numpy()
    np.testing.assert_allclose(leads, list(report["planned"]["leads"].values()), rtol=1e-3)


@pytest.fixture(scope="module")
def maven_june():
    """A scenario calibrated on Maven to 2017-06-30: it opens with the export's open deals."""
    from sim.calibrate import calibrate
    from sim.crm import read_opportunities
    from tests.conftest import MAVEN

    scenario = calibrate(read_opportunities(MAVEN, "maven").as_known_on("2017-06-30")).scenario()
    assert scenario.opening.pipeline
    return scenario


def test_the_revenue_seasonality_of_a_scenario_counts_its_listed_open_deals(maven_june):
    """The seasonal split follows the revenue each month brings; in the first month of a calibrated scenario
    most of it comes from the listed open deals, exactly what the plan counts as opening revenue."""
    from sim.schedule import revenue_seasonality

    first = pd.Timestamp(maven_june.start_date).month - 1
    without = maven_june.replace({"opening.pipeline": [], "opening.warmup_days": 0})  # an empty funnel
    added = revenue_seasonality(maven_june) - revenue_seasonality(without)
    opening = schedule(maven_june, split_months(1_000_000, maven_june, "even")).opening_revenue
    assert added[first] == pytest.approx(opening[0], rel=1e-3)
    assert added[first] > revenue_seasonality(without)[first]


def test_a_listed_opening_pipeline_brings_the_revenue_the_engines_give_it_month_by_month(maven_june):
    """A scenario calibrated on Maven to 2017-06-30 opens with the export's open deals (``opening.pipeline``).
    With (almost) no new leads, the plan's opening revenue by month is held against ``fast``'s mean over
    100 replications, whose standard errors are about 0.8% of the first three months and 1.7% of October:
    within 5% in each of the first three months, 10% in the fourth, 2% over all (seed fixed, so the check is
    deterministic; the bounds leave room for the sampled cycle's own error)."""
    quiet = maven_june.replace({f"channels.{c.name}.leads_per_day": 1e-6 for c in maven_june.channels})
    planned = schedule(quiet, split_months(1_000_000, quiet, "even")).opening_revenue
    results = sim.simulate(quiet, replications=100, seed=1, engine="fast", detail=False, progress=False, workers=1)
    simulated = results.monthly.groupby("month").revenue.mean().to_numpy()[: len(planned)]
    np.testing.assert_allclose(planned[:3], simulated[:3], rtol=0.05)
    np.testing.assert_allclose(planned[3], simulated[3], rtol=0.10)
    assert planned.sum() == pytest.approx(simulated.sum(), rel=0.02)
