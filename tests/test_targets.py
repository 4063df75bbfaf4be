"""Target breakdown: exact splits (property-based), the reverse funnel by hand, the plan table adding up."""

from __future__ import annotations

import datetime as dt
import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

import sim
from sim.cli import main
from sim.targets import allocate, month_weights, plan_table, reverse_funnel, split, split_months, working_days
from tests.conftest import PLAYBOOKS, ROOT, W1

B2B = ROOT / "playbooks" / "b2b_saas.yaml"


@given(total=st.integers(0, 10**12), weights=st.lists(st.floats(0, 1e6), min_size=1, max_size=40))
def test_allocate_adds_up_exactly_and_stays_within_one_unit_of_the_quota(total, weights):
    if sum(weights) <= 0:
        with pytest.raises(ValueError):
            allocate(total, weights)
        return
    shares = allocate(total, weights)
    assert shares.sum() == total and (shares >= 0).all()
    quotas = total * np.asarray(weights) / sum(weights)
    assert (np.abs(shares - quotas) < 1 + 1e-6).all()


def test_allocate_by_hand():
    assert allocate(100, [1, 1, 1]).tolist() == [34, 33, 33]  # the leftover unit to the first largest remainder
    assert allocate(10, [0.6, 0.3, 0.1]).tolist() == [6, 3, 1]
    assert split(1_000_000, {"high value": 60, "potential": 30, "new": 10}) == {
        "high value": 600_000,
        "potential": 300_000,
        "new": 100_000,
    }  # practice: 60/30/10


@settings(max_examples=50, deadline=None)
@given(
    total=st.integers(0, 10**10),
    method=st.sampled_from(["even", "seasonal", "reserve", "front_loaded"]),
    month=st.integers(1, 12),
    share=st.floats(0, 0.5),
)
def test_months_add_up_to_the_annual_target(total, method, month, share):
    scenario = sim.load(B2B)
    options = {"reserve_month": month, "reserve_share": share} if method == "reserve" else {}
    months = split_months(total, scenario, method, **options)
    assert months.sum() == total and len(months) == 12
    if method == "reserve" and share == 0:
        assert months[pd.Period(f"2027-{month:02d}", "M")] == 0


def test_month_methods_by_hand():
    assert month_weights("even").tolist() == [1 / 12] * 12
    reserve = month_weights("reserve", reserve_month=12, reserve_share=0.05)
    assert reserve[11] == pytest.approx(0.05) and reserve[:11] == pytest.approx([0.95 / 11] * 11)
    front = month_weights("front_loaded", front_loading=0.3)
    assert front[0] == pytest.approx(1.3 / 12) and front[11] == pytest.approx(0.7 / 12)
    assert month_weights("seasonal", seasonality=[2] + [1] * 11)[0] == pytest.approx(2 / 13)
    with pytest.raises(ValueError, match="12 monthly weights"):
        month_weights("seasonal")


def test_working_days():
    weekdays = sim.scenario.Calendar()
    assert working_days(pd.Period("2027-02", "M"), weekdays) == 20
    assert (
        working_days(pd.Period("2027-01", "M"), weekdays.model_copy(update={"holidays": (dt.date(2027, 1, 1),)})) == 20
    )
    assert working_days(pd.Period("2027-02", "M")) == 28  # no calendar: reps work every day, as in the engines
    china = sim.scenario.Calendar(holidays=sim.scenario.Holidays(country="CN"))
    assert working_days(pd.Period("2025-10", "M"), china) < working_days(pd.Period("2025-10", "M"), weekdays)


def test_reverse_funnel_by_hand():
    w1 = sim.load(W1)  # conversions 0.3, 0.5, 0.5, 0.8, 0.95; work 0.08, 0.5, 1.0, 1.5, 1.0 rep-days
    funnel = reverse_funnel(w1, revenue=1000 * w1.deal_value.mean, challenge=1.1)
    assert funnel.deals == pytest.approx(1100)
    leads = 1100 / (0.3 * 0.5 * 0.5 * 0.8 * 0.95)
    assert funnel.leads == pytest.approx(leads)
    assert funnel.entering["propose"] == pytest.approx(leads * 0.3 * 0.5)
    assert funnel.rep_days["proposers"] == pytest.approx(leads * 0.15 * 1.0)
    assert funnel.budget == 0


def test_reverse_funnel_follows_tiers():
    scenario = sim.load(B2B)
    funnel = reverse_funnel(scenario, revenue=24_000_000)
    assert sum(funnel.by_tier.values()) == pytest.approx(1)
    assert funnel.by_tier["A"] > funnel.by_tier["C"]  # warm leads bring most of the money (80/20)
    expected = sum(funnel.leads_by_channel[c.name] * c.cost_per_lead for c in scenario.channels)
    assert funnel.budget == pytest.approx(expected)


@pytest.mark.parametrize("path", PLAYBOOKS, ids=lambda p: p.stem)
def test_plan_table_units_add_up_to_the_company_every_month(path):
    scenario = sim.load(path)
    plan = plan_table(scenario, 12_345_678, "reserve", challenge=1.1)
    company = plan[plan.level == "company"].set_index("period")
    assert company.revenue_target.sum() == 12_345_678
    for level, rows in plan[plan.level != "company"].groupby("level"):
        sums = rows.groupby("period").sum(numeric_only=True)
        assert (sums.revenue_target == company.revenue_target).all(), level
        # The other measures follow each unit's whole-unit revenue: equal up to that rounding.
        for measure in ("deals", "leads", "activities", "rep_days", "budget"):
            np.testing.assert_allclose(sums[measure], company[measure], rtol=1e-5, atol=1e-6, err_msg=level)


def test_feasibility_figures_agree_with_direct_simulation(tmp_path):
    out = tmp_path / "plan"
    assert main(["plan", str(B2B), "--replications", "40", "--seed", "3", "--out", str(out)]) == 0
    report = json.loads((out / "feasibility.json").read_text())
    plan = pd.read_csv(out / "plan.csv")
    assert {
        "level",
        "unit",
        "period",
        "revenue_target",
        "deals",
        "proposals",
        "qualified",
        "leads",
        "activities",
        "budget",
    } <= set(plan.columns)
    scenario = sim.load(B2B)
    results = sim.simulate(scenario, replications=40, seed=3, engine="fast", detail=False)
    assert report["p_hit_annual"] == pytest.approx((results.replications.revenue >= 24_000_000).mean())
    direct = sim.simulate(scenario, replications=40, seed=3, engine="fast").leads.dropna(subset=["won_day"])
    march = direct[(direct.won_day >= 59) & (direct.won_day < 90)].groupby("replication").value.sum()
    target = plan[(plan.level == "company") & (plan.period == "2027-03")].revenue_target.item()
    assert report["p_hit"]["2027-03"] == pytest.approx((march.reindex(range(40), fill_value=0) >= target).mean())
    assert set(report["teams"]) == {"sdr", "account_execs", "solutions"}
    assert set(report["teams"]["solutions"]["required_reps"]) == {"Q1", "Q2", "Q3", "Q4"}


def test_plan_solves_its_schedule_once_and_the_planned_scenario_buys_the_plans_leads(tmp_path, schedule_solves):
    """``plan`` solves the lagged plan once: the plan table and the feasibility check share it, so the scenario
    that carries the plan out buys the leads plan.csv lists, a challenge included."""
    out = tmp_path / "plan"
    assert main(["plan", str(B2B), "--challenge", "1.1", "--replications", "2", "--out", str(out)]) == 0
    assert len(schedule_solves) == 1
    company = pd.read_csv(out / "plan.csv").query("level == 'company'")
    planned = json.loads((out / "feasibility.json").read_text())["planned"]["leads"]
    np.testing.assert_allclose(list(planned.values()), company.leads.round(1), atol=0.051)


def test_feasibility_on_the_plans_own_schedule_is_feasibility_solved_afresh():
    from sim.feasibility import feasibility
    from sim.schedule import schedule

    scenario = sim.load(B2B)
    months = split_months(24_000_000, scenario, "reserve")
    lagged = schedule(scenario, months)
    plan = plan_table(scenario, monthly=months, lagged=lagged)
    shared = feasibility(scenario, plan, replications=2, planned=True, timed=lagged)
    assert shared == feasibility(scenario, plan, replications=2, planned=True)
    with pytest.raises(ValueError, match="the schedule given is not the plan's"):
        feasibility(scenario, plan, replications=2, timed=schedule(scenario, months * 1.1))


def test_staffing_gap_is_named_when_a_team_is_short():
    from sim.feasibility import staffing, staffing_gaps

    scenario = sim.load(B2B)
    short = scenario.model_copy(
        update={
            "teams": tuple(
                t.model_copy(update={"headcount": 6}) if t.name == "solutions" else t for t in scenario.teams
            )
        }
    )
    gaps = staffing_gaps(staffing(short, plan_table(short, method="even")))
    assert gaps and all(g.startswith("solutions team needs ") for g in gaps)
    assert math.isclose(float(gaps[0].split("has ")[1]), 6.0)


def test_reps_weighed_by_history_get_their_share_of_last_years_won_revenue_read_straight_from_the_file():
    """``--rep-basis history``: a rep's weight is the revenue won in the year to the as-of day, by the raw file."""
    from sim.crm import read_opportunities
    from sim.targets import rep_weights
    from tests.conftest import MAVEN

    weights = rep_weights(read_opportunities(MAVEN, "maven").as_known_on("2017-06-30"), "history")
    raw = pd.read_csv(MAVEN / "sales_pipeline.csv", parse_dates=["close_date"])
    won = raw[(raw.deal_stage == "Won") & raw.close_date.between("2016-07-01", "2017-06-30")]
    expected = won.groupby("sales_agent").close_value.sum()
    assert set(weights.index) == set(expected.index)
    np.testing.assert_allclose(weights[expected.index].to_numpy(), (expected / expected.sum()).to_numpy(), rtol=1e-12)


def test_reps_with_nothing_on_the_basis_are_planned_as_one_seat_each_not_left_out():
    """On Maven at 2017-12-31 three of the 30 reps hold no open deal: each gets 1/30 of the plan, the other 27
    share the rest in proportion to their weighted pipelines."""
    from sim.crm import read_opportunities
    from sim.forecast import weighted_pipeline
    from sim.targets import rep_weights
    from tests.conftest import MAVEN

    crm = read_opportunities(MAVEN, "maven").as_known_on("2017-12-31")
    weights = rep_weights(crm, "pipeline")
    assert len(weights) == crm.opportunities.rep.nunique() == 30
    seats = weights.attrs["by_seat"]
    assert len(seats) == 3 and np.allclose(weights[seats], 1 / 30)
    pipeline = weighted_pipeline(crm).merge(crm.opportunities[["opportunity_id", "rep"]]).groupby("rep").weighted.sum()
    rest = weights.drop(seats)
    np.testing.assert_allclose(
        rest.to_numpy(), (pipeline[rest.index] / pipeline.sum() * 27 / 30).to_numpy(), rtol=1e-12
    )


@pytest.mark.parametrize("basis", ["history", "pipeline"])
def test_plan_by_named_reps_adds_up_to_the_company_in_every_month(tmp_path, capsys, basis):
    from tests.conftest import MAVEN

    out = tmp_path / "plan"
    assert (
        main(
            [
                "plan",
                str(B2B),
                "--target",
                "24000000",
                "--rep-basis",
                basis,
                "--export",
                str(MAVEN),
                "--as-of",
                "2017-06-30",
                "--replications",
                "2",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    plan = pd.read_csv(out / "plan.csv")
    reps = plan[plan.level == "rep"]
    company = plan[plan.level == "company"].set_index("period").revenue_target
    assert reps.unit.nunique() > 20 and not reps.unit.str.contains("account_execs").any()  # named reps, not seats
    assert (reps.groupby("period").revenue_target.sum() == company).all()


def test_a_rep_basis_from_an_export_without_the_export_is_refused(capsys):
    assert main(["plan", str(B2B), "--rep-basis", "pipeline"]) == 2
    assert capsys.readouterr().err == "--rep-basis pipeline: give the CRM export with --export\n"
