"""Costs and profit: each part from its own figures, the parts adding up, what is not given said so."""

from __future__ import annotations

import json

import numpy as np
import pytest

import sim
from sim.cli import main
from sim.costs import COLUMNS, given, not_given
from sim.overrides import apply_overrides
from tests.conftest import ROOT, W1

B2B = ROOT / "playbooks" / "b2b_saas.yaml"

TINY = """
name: Costed
horizon_days: 365
channels:
  - {name: web, leads_per_day: 8, cost_per_lead: 40, tiers: {A: 0.3, B: 0.7}}
stages:
  - {name: qualify, team: sdr, work_days: {dist: exponential, mean: 0.1}, conversion: 0.5}
  - {name: close, team: ae, work_days: {dist: exponential, mean: 0.3}, conversion: 0.4, routes: {A: seniors}}
teams:
  - {name: sdr, headcount: 2, cost_per_rep_year: 73000, commission_rate: 0.01}
  - {name: ae, headcount: 3, hires: [{day: 100, count: 2}], cost_per_rep_year: 146000, cost_per_hire: 9000,
     commission_rate: 0.05}
  - {name: seniors, headcount: 1, cost_per_rep_year: 200000, commission_rate: 0.1}
deal_value: {A: {dist: fixed, value: 5000}, B: {dist: fixed, value: 1000}}
"""


@pytest.fixture(scope="module")
def tiny() -> sim.Scenario:
    return sim.loads(TINY)


@pytest.mark.parametrize("engine", ["des", "fast"])
def test_fixed_staff_and_hires_cost_exactly_their_days(tiny, engine):
    """Without attrition the roster is known: 2 SDRs and 3 + 1 AEs all year, 2 AEs from day 100."""
    reps = sim.simulate(tiny, replications=2, seed=3, engine=engine, detail=False, progress=False).replications
    staff = 2 * 73000 + 3 * 146000 + 2 * 146000 * (365 - 100) / 365 + 200000
    assert reps["staff_cost"].to_numpy() == pytest.approx([staff, staff], rel=1e-12)
    assert reps["hiring_cost"].tolist() == [18000.0, 18000.0]
    assert reps["marketing_cost"].tolist() == (reps["leads"] * 40.0).tolist()


def test_commission_follows_the_deals_each_team_worked(tiny):
    """Tier A is closed by the seniors, B by the AEs; the SDRs touched both: commission splits by tier, exactly."""
    results = sim.simulate(tiny, replications=3, seed=5, engine="fast", progress=False)
    won = results.leads[results.leads.outcome == "won"]
    by_tier = won.groupby(["replication", "tier"], observed=False)["value"].sum().unstack().fillna(0.0)
    expected = 0.01 * (by_tier.A + by_tier.B) + 0.05 * by_tier.B + 0.1 * by_tier.A
    assert results.replications["commission_cost"].to_numpy() == pytest.approx(expected.to_numpy(), rel=1e-12)
    assert results.replications["revenue"].to_numpy() == pytest.approx((by_tier.A + by_tier.B).to_numpy(), rel=1e-12)


def test_staff_and_hiring_follow_every_rep_with_attrition():
    """With leavers and replacements, the staff cost is each rep's days on the team (from the reps table) and
    hiring counts every replacement and hire starting in the year."""
    scenario = sim.load(B2B)
    results = sim.simulate(scenario, replications=3, seed=11, engine="fast", progress=False)
    reps = results.reps
    horizon = scenario.horizon_days
    days = (np.minimum(reps.end_day, horizon) - np.maximum(reps.start_day, 0.0)).clip(lower=0.0)
    rate = reps.team.map({t.name: t.cost_per_rep_year / 365 for t in scenario.teams})
    per_hire = reps.team.map({t.name: t.cost_per_hire for t in scenario.teams})
    joined = ~reps.seasoned & (reps.start_day >= 0) & (reps.start_day < horizon)
    staff = (days * rate).groupby(reps.replication).sum()
    hiring = (joined * per_hire).groupby(reps.replication).sum()
    assert results.replications["staff_cost"].to_numpy() == pytest.approx(staff.to_numpy(), rel=1e-12)
    assert results.replications["hiring_cost"].to_numpy() == pytest.approx(hiring.to_numpy(), rel=1e-12)
    assert (results.replications["hiring_cost"] > 2 * 30000).all()  # the two planned AE hires at least


@pytest.mark.parametrize("engine", ["fast", "flow"])
def test_summary_costs_add_up_and_profit_is_revenue_minus_them(engine):
    from sim.engine.flow import simplified

    scenario = sim.load(B2B) if engine != "flow" else simplified(sim.load(B2B))  # flow runs without calendars
    results = sim.simulate(scenario, replications=20, seed=2, engine=engine, detail=False, progress=False)
    summary, reps = results.summary(), results.replications
    costs = summary["costs"]
    assert costs["not_given"] == {}
    total = sum(reps[column] for column in COLUMNS.values())
    assert costs["total"]["mean"] == pytest.approx(sum(costs[part]["mean"] for part in COLUMNS), rel=1e-12)
    assert summary["profit"]["mean"] == pytest.approx((reps.revenue - total).mean(), rel=1e-12)
    assert summary["profit"]["p10"] == pytest.approx(np.quantile(reps.revenue - total, 0.1), rel=1e-12)
    assert costs["commission_basis"] == "flat commission_rate: account_execs 0.08"  # b2b_saas attaches no plan
    if engine == "flow":  # the account executives' flat 8% on every tier they work
        assert reps["commission_cost"].to_numpy() == pytest.approx(0.08 * reps.revenue.to_numpy(), rel=1e-12)


def test_a_scenario_without_costs_says_so(w1):
    summary = sim.simulate(w1, replications=1, seed=0, engine="fast", detail=False, progress=False).summary()
    assert given(w1) == ("marketing",)
    assert summary["costs"]["staff"] is None and summary["costs"]["commission"] is None
    assert "cost_per_rep_year" in summary["costs"]["not_given"]["staff"]
    assert "no team has a commission_rate or an incentive plan" == summary["costs"]["not_given"]["commission"]
    assert summary["costs"]["commission_basis"] is None
    assert "hiring" not in summary["costs"]["not_given"]  # no team of W1 hires or loses anyone


def test_not_given_names_the_teams_missing_a_figure():
    scenario = apply_overrides(sim.load(B2B), {"teams.sdr.cost_per_hire": None, "channels.outbound.cost_per_lead": 0})
    missing = not_given(scenario)
    assert missing == {
        "marketing": "channels without cost_per_lead (counted as free): outbound",
        "hiring": "teams without cost_per_hire: sdr",
    }


def test_run_prints_costs_and_profit_and_writes_them(tmp_path, capsys):
    assert (
        main(
            [
                "run",
                str(W1),
                "--replications",
                "1",
                "--engine",
                "fast",
                "--quiet",
                "--summary-only",
                "--out",
                str(tmp_path),
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert "staff cost" in printed and "not given" in printed and "profit" in printed
    assert "profit leaves out what the scenario does not give: " in printed
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["costs"]["staff"] is None and summary["profit"]["mean"] == summary["revenue"]["mean"]


# ----------------------------------------------------------------------------- incentive plans attached


def test_the_attached_plan_prices_the_commission_in_detail_and_summary_runs_alike():
    """b2b_saas with the flat 8% plan attached to the account executives: the commission is the plan's pay beyond
    base on the run's deals (a deal whose rep has left by its close pays nobody, so at most 8% of revenue), the
    same whether the run keeps its per-lead tables or not."""
    from sim.incentives import VARIABLE, load_plan, rep_periods

    flat = load_plan(B2B.parent / "incentives" / "flat.yaml").model_dump(mode="json", exclude_defaults=True)
    scenario = sim.load(B2B).replace({"incentives": {"account_execs": flat}})
    plan = scenario.incentives["account_execs"]
    assert plan.name == "flat" and plan.team == "account_execs"
    detail = sim.simulate(scenario, replications=3, seed=7, engine="fast", progress=False)
    table = rep_periods(detail, plan)
    paid = table.groupby("replication")[list(VARIABLE)].sum().sum(axis=1)
    reps = detail.replications
    assert reps["commission_cost"].to_numpy() == pytest.approx(paid.to_numpy(), rel=1e-12)
    assert (reps["commission_cost"] <= 0.08 * reps["revenue"] + 1e-6).all()
    assert (reps["commission_cost"] > 0.07 * reps["revenue"]).all()
    summary_only = sim.simulate(scenario, replications=3, seed=7, engine="fast", detail=False, progress=False)
    assert summary_only.replications["commission_cost"].tolist() == reps["commission_cost"].tolist()
    # the base salary is in the staff cost already: a plan with a higher base costs the same commission
    richer = scenario.replace({"incentives.account_execs.base_salary": 99_000})
    again = sim.simulate(richer, replications=3, seed=7, engine="fast", detail=False, progress=False)
    assert again.replications["commission_cost"].tolist() == reps["commission_cost"].tolist()


def test_a_plan_pays_its_team_and_the_other_teams_keep_their_rate(tiny):
    """The seniors (tier A) get a plan of 20% on deals of 4,000 or more; the SDRs and AEs keep their flat rates."""
    plan = {"name": "by size", "quota": 10000, "deal_size_rates": [{"from_value": 4000, "rate": 0.2}]}
    scenario = tiny.replace({"incentives": {"seniors": plan}})
    results = sim.simulate(scenario, replications=2, seed=5, engine="fast", progress=False)
    won = results.leads[results.leads.outcome == "won"]
    by_tier = won.groupby(["replication", "tier"], observed=False)["value"].sum().unstack().fillna(0.0)
    expected = 0.01 * (by_tier.A + by_tier.B) + 0.05 * by_tier.B + 0.2 * by_tier.A  # A deals are worth 5,000
    assert results.replications["commission_cost"].to_numpy() == pytest.approx(expected.to_numpy(), rel=1e-12)
    assert results.summary()["costs"]["commission_basis"] == (
        "plans applied to the run's deals, reps not responding: seniors (by size); "
        "flat commission_rate: sdr 0.01, ae 0.05"
    )


def test_plans_attach_by_path_beside_the_scenario_or_written_out(tmp_path):
    (tmp_path / "plans").mkdir()
    (tmp_path / "plans" / "ae.yaml").write_text(
        "name: ae plan\nquota: 5000\ncommission: {tiers: [{from_attainment: 0, rate: 0.07}]}\n"
    )
    (tmp_path / "s.yaml").write_text(TINY + "incentives: {ae: plans/ae.yaml}\n")
    scenario = sim.load(tmp_path / "s.yaml")
    assert scenario.incentives["ae"].name == "ae plan" and scenario.incentives["ae"].team == "ae"
    sim.dump(scenario, tmp_path / "copy.yaml")  # written out in full: the copy needs no plan file
    assert sim.load(tmp_path / "copy.yaml") == scenario


@pytest.mark.parametrize(
    "incentives, lines",
    [
        ("incentives: {ae: plans/nope.yaml}", ["s.yaml:14: incentives.ae: {dir}/plans/nope.yaml: file not found"]),
        (
            "incentives:\n  ae:\n    name: x\n    commission: {tiers: [{from_attainment: 0, rate: -0.1}]}\n"
            "    kickers: {new_product: {Z: 0.1}}",
            ["s.yaml:17: incentives.ae.commission.tiers[0].rate: -0.1 is not zero or positive"],
        ),
        (
            "incentives:\n  ae: {name: x, team: sdr}",
            ["s.yaml:15: incentives.ae.team: the plan pays team 'sdr', not 'ae'"],
        ),
        (
            "incentives:\n  aes: {name: x}\n  ae: {name: y, kickers: {new_product: {Z: 0.1}, repeat_order: {webb: 0.1}}}",
            [
                "s.yaml:15: incentives.aes.team: team 'aes' does not exist (did you mean 'ae'?)",
                "s.yaml:16: incentives.ae.kickers.new_product.Z: tier 'Z' does not exist (known: A, B)",
                "s.yaml:16: incentives.ae.kickers.repeat_order.webb: channel 'webb' does not exist (did you mean 'web'?)",
                *(
                    f"s.yaml:{line}: incentives.{team}.quota: from_targets needs targets.annual_revenue in the scenario; give "
                    "an amount per rep instead"
                    for line, team in ((15, "aes"), (16, "ae"))
                ),
            ],
        ),
    ],
)
def test_bad_attached_plans_print_file_line_and_field(tmp_path, capsys, incentives, lines):
    (tmp_path / "plans").mkdir()
    (tmp_path / "s.yaml").write_text(TINY.lstrip("\n") + incentives + "\n")
    assert main(["validate", str(tmp_path / "s.yaml")]) == 2
    printed = capsys.readouterr().err.replace(str(tmp_path) + "/s.yaml", "s.yaml").replace(str(tmp_path), "{dir}")
    assert sorted(printed.splitlines()) == sorted(line for line in lines)


def test_a_plan_file_with_problems_names_its_own_file_and_line(tmp_path, capsys):
    (tmp_path / "bad.yaml").write_text("name: x\ncommission:\n  tiers: [{from_attainment: 0.5, rate: 0.1}]\n")
    (tmp_path / "s.yaml").write_text(TINY.lstrip("\n") + "incentives: {ae: bad.yaml}\n")
    assert main(["validate", str(tmp_path / "s.yaml")]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        f"{tmp_path}/s.yaml:14: incentives.ae: {tmp_path}/bad.yaml:3: commission.tiers[0].from_attainment: "
        "0.5: the first tier must start at 0 (use `threshold` to pay nothing below an attainment)"
    )


def test_run_prints_how_the_commission_was_reckoned(capsys):
    building = ROOT / "playbooks" / "building_materials.yaml"  # attaches the distributor plan
    assert main(["run", str(building), "--replications", "2", "--engine", "fast", "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert (
        "commission: plans applied to the run's deals, reps not responding: account managers (distributor)" in printed
    )


def test_a_bad_plan_is_told_with_the_scenarios_other_cross_field_problems(tmp_path, capsys):
    (tmp_path / "s.yaml").write_text(
        TINY.lstrip("\n").replace("routes: {A: seniors}", "routes: {A: senior}") + "incentives: {ae: nope.yaml}\n"
    )
    assert main(["validate", str(tmp_path / "s.yaml")]) == 2
    err = capsys.readouterr().err.replace(str(tmp_path) + "/", "")
    assert sorted(err.splitlines()) == [
        "s.yaml:14: incentives.ae: nope.yaml: file not found",
        "s.yaml:7: stages[1].routes.A: team 'senior' does not exist (did you mean 'seniors'?)",
    ]
