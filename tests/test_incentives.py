"""Incentive plans: hand-worked payouts, invariants (hypothesis), plan files, the reps' response."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sim
import sim.scenario
import sim.targets
from sim.errors import ScenarioError
from sim.incentives import (
    COMPONENTS,
    Commission,
    IncentivePlan,
    commission,
    gini,
    load_plan,
    loads_plan,
    payouts,
    plan_summary,
    rep_periods,
    won_deals,
)
from sim.incentives import responded_deals
from sim.model.behaviour import Behaviour, effort
from sim.timing import load_closes, quarter_end_share, simulated_wins, win_rate_by_month_of_quarter

from tests.conftest import ROOT

TINY = Path(__file__).with_name("incentives") / "tiny.yaml"
PLANS = ROOT / "playbooks" / "incentives"


@pytest.fixture(scope="module")
def tiny() -> sim.Results:
    return sim.simulate(sim.load(TINY), replications=3, seed=11, progress=False)


def plan(**fields) -> IncentivePlan:
    return IncentivePlan(**{"name": "test", "period": "month", "quota": 20000, **fields})


def tiers(*pairs) -> dict:
    return {"tiers": [{"from_attainment": a, "rate": r} for a, r in pairs]}


# ----------------------------------------------------------------------------- the commission curve


def test_commission_hand_worked():
    marginal = Commission(**tiers((0, 0.08), (1.2, 0.12)))
    # 8% of 120,000 + 12% of 30,000; retroactive: 12% of 150,000; below 120%: 8% of all
    assert commission([150_000, 100_000], [100_000, 100_000], marginal).tolist() == pytest.approx([13_200, 8_000])
    retro = marginal.model_copy(update={"retroactive": True})
    assert commission([150_000, 100_000], [100_000, 100_000], retro).tolist() == pytest.approx([18_000, 8_000])
    threshold = marginal.model_copy(update={"threshold": 0.5})
    assert commission([49_999, 50_000], [100_000, 100_000], threshold).tolist() == pytest.approx([0, 4_000])
    capped = marginal.model_copy(update={"cap": 10_000})
    assert commission([150_000, 100_000], [100_000, 100_000], capped).tolist() == pytest.approx([10_000, 8_000])
    decelerator = Commission(**tiers((0, 0.1), (1.0, 0.05)))
    assert float(commission(150_000, 100_000, decelerator)) == pytest.approx(10_000 + 2_500)
    # a rep with no quota (not employed) who still books revenue: the top tier's rate
    assert float(commission(1_000, 0, marginal)) == pytest.approx(120)
    assert commission([1, 2], [1, 1], None).tolist() == [0, 0]


def _loop_commission(revenue: float, quota: float, terms: Commission) -> float:
    """An independent, one-rep-at-a-time implementation of the commission rules."""
    starts = [t.from_attainment for t in terms.tiers] + [float("inf")]
    attainment = revenue / quota
    if terms.retroactive:
        rate = [t.rate for i, t in enumerate(terms.tiers) if starts[i] <= attainment][-1]
        paid = rate * revenue
    else:
        paid = sum(
            t.rate * max(0.0, min(revenue, starts[i + 1] * quota) - starts[i] * quota)
            for i, t in enumerate(terms.tiers)
        )
    if attainment < terms.threshold:
        paid = 0.0
    return min(paid, terms.cap) if terms.cap is not None else paid


@st.composite
def commissions(draw, retroactive=None, increasing=False):
    n = draw(st.integers(1, 4))
    gaps = draw(st.lists(st.floats(0.05, 1.0), min_size=n - 1, max_size=n - 1))
    starts = np.concatenate([[0.0], np.cumsum(gaps)]).round(4)
    rates = draw(st.lists(st.floats(0, 0.3), min_size=n, max_size=n))
    if increasing:
        rates = sorted(rates)
    return Commission(
        tiers=[{"from_attainment": float(a), "rate": r} for a, r in zip(starts, rates)],
        retroactive=draw(st.booleans()) if retroactive is None else retroactive,
        threshold=draw(st.sampled_from([0.0, 0.5, 0.8])),
        cap=draw(st.one_of(st.none(), st.floats(100, 50_000))),
    )


revenues = st.floats(0, 500_000)
quotas = st.floats(1_000, 300_000)


@settings(max_examples=200, deadline=None)
@given(commissions(), revenues, quotas)
def test_commission_matches_a_one_rep_loop_and_respects_the_cap(terms, revenue, quota):
    paid = float(commission(revenue, quota, terms))
    assert paid == pytest.approx(_loop_commission(revenue, quota, terms), rel=1e-9, abs=1e-6)
    assert paid >= 0
    if terms.cap is not None:
        assert paid <= terms.cap + 1e-9


@settings(max_examples=200, deadline=None)
@given(commissions(retroactive=False), st.lists(revenues, min_size=2, max_size=20), quotas)
def test_marginal_tiers_pay_more_for_more_revenue(terms, revenue, quota):
    """Marginal tiers with rates >= 0 are monotone in revenue (a threshold only adds a step up)."""
    revenue = np.sort(revenue)
    paid = commission(revenue, np.full(len(revenue), quota), terms)
    assert (np.diff(paid) >= -1e-9).all()


@settings(max_examples=200, deadline=None)
@given(commissions(increasing=True), revenues, quotas)
def test_with_accelerators_retroactive_pays_at_least_marginal(terms, revenue, quota):
    marginal = terms.model_copy(update={"retroactive": False})
    retro = terms.model_copy(update={"retroactive": True})
    assert float(commission(revenue, quota, retro)) >= float(commission(revenue, quota, marginal)) - 1e-9


def test_retroactive_decelerator_is_not_monotone():
    """Why monotonicity is tested only where the plan is: a retroactive cut pays less for more."""
    terms = Commission(**tiers((0, 0.1), (1.0, 0.05)), retroactive=True)
    assert commission(99_000, 100_000, terms) > commission(101_000, 100_000, terms)


# ----------------------------------------------------------------------------- payouts on a run


def test_payouts_are_the_hand_computed_ones(tiny):
    p = plan(commission=tiers((0, 0.05), (1.0, 0.1)), base_salary=3000)
    table = rep_periods(tiny, p)
    deals = won_deals(tiny, p)
    won = deals[deals.won]
    month = pd.Timestamp("2027-01-01") + pd.to_timedelta(won.day, unit="D")
    revenue = won.groupby([won.replication, won.rep, month.dt.month - 1]).value.sum()
    for row in table.itertuples():
        r = revenue.get((row.replication, row.rep, row.period), 0.0)
        assert row.revenue == r
        assert row.base == pytest.approx(3000)  # no attrition: every rep there all month
        expected = 0.05 * min(r, 20000) + 0.1 * max(0.0, r - 20000)
        assert row.commission == pytest.approx(expected)
        assert row.total == pytest.approx(3000 + expected)
    assert set(table.period_label) == {f"2027-0{m}" for m in range(1, 7)}
    assert len(table) == 3 * 2 * 6  # replications x closers x months


def test_components_sum_to_the_total_and_the_tidy_table_matches(tiny):
    p = plan(
        commission=tiers((0, 0.05), (1.0, 0.1)) | {"cap": 2500, "threshold": 0.3},
        base_salary=1000,
        kickers={"new_product": {"A": 0.02}},
        process_bonus={"min_activities": 2, "amount": 50},
        team_bonus={"amount": 400},
        large_deal_bonus={"min_value": 2000, "amount": 100},
        clawback={"days": 30},
    )
    table = rep_periods(tiny, p)
    assert table[list(COMPONENTS)].sum(axis=1).to_numpy() == pytest.approx(table.total.to_numpy())
    assert (table.commission <= 2500 + 1e-9).all()
    assert (table.clawback <= 0).all() and (table.clawback < 0).any()
    long = payouts(tiny, p)
    assert list(long.columns) == ["plan", "replication", "rep", "period", "component", "amount"]
    assert len(long) == len(table) * len(COMPONENTS)
    assert long.amount.sum() == pytest.approx(table.total.sum())


def test_deal_size_rates_pay_each_deal_its_band(tiny):
    """Tiny's deals are worth 1,000 (B) or 2,000 (A): bands from 0 and from 1,500 pay them 3% and 5%."""
    bands = [{"from_value": 0, "rate": 0.03}, {"from_value": 1500, "rate": 0.05}]
    table = rep_periods(tiny, plan(deal_size_rates=bands)).set_index(["replication", "rep", "period"])
    deals = won_deals(tiny, plan())
    won = deals[deals.won].assign(
        period=(pd.Timestamp("2027-01-01") + pd.to_timedelta(deals[deals.won].day, unit="D")).dt.month - 1
    )
    counts = won.groupby(["replication", "rep", "period", "tier"]).size().unstack(fill_value=0)
    expected = 0.05 * 2000 * counts.get("A", 0) + 0.03 * 1000 * counts.get("B", 0)
    assert table.deal_size.to_numpy() == pytest.approx(expected.reindex(table.index, fill_value=0).to_numpy())
    assert (table.commission == 0).all()  # no tiers by attainment: the bands are the whole commission
    from sim.incentives import DealBand, deal_size_pay

    # a deal below the first band earns nothing; the band's rate is on the whole deal, not above the edge
    only_large = (DealBand(from_value=100_000, rate=0.03), DealBand(from_value=200_000, rate=0.05))
    assert deal_size_pay([99_999, 100_000, 199_999, 200_000, np.nan], only_large).tolist() == pytest.approx(
        [0, 3_000, 0.03 * 199_999, 10_000, 0]
    )


def test_repeat_order_kicker_pays_the_deals_of_its_channel():
    """Two channels, one of them existing customers' reorders: only its deals earn the repeat-order rate."""
    scenario = sim.load(TINY).replace(
        {
            "channels": [
                {"name": "web", "leads_per_day": 2, "tiers": {"A": 0.4, "B": 0.6}},
                {"name": "reorders", "leads_per_day": 1, "tiers": {"A": 0.4, "B": 0.6}},
            ]
        }
    )
    run = sim.simulate(scenario, replications=2, seed=4, progress=False)
    p = plan(kickers={"repeat_order": {"reorders": 0.01}, "new_product": {"A": 0.02}})
    table = rep_periods(run, p)
    deals = won_deals(run, p)
    won = deals[deals.won & (deals.day < scenario.horizon_days)]
    assert won.channel.nunique() == 2
    assert table.repeat_order.sum() == pytest.approx(0.01 * won[won.channel == "reorders"].value.sum())
    assert table.new_product.sum() == pytest.approx(0.02 * won[won.tier == "A"].value.sum())


def test_clawback_takes_back_the_per_deal_pay_too(tiny):
    """With only per-deal parts, what a clawback takes is exactly the pay of the deals left unpaid."""
    p = plan(
        deal_size_rates=[{"from_value": 0, "rate": 0.03}], kickers={"new_product": {"A": 0.02}}, clawback={"days": 30}
    )
    table = rep_periods(tiny, p)
    deals = won_deals(tiny, p)
    won = deals[deals.won & (deals.day < 181)]
    unpaid = won[(won.day + 30 < 181) & ~(won.paid_day - won.day <= 30)]
    own = 0.03 * unpaid.value + 0.02 * unpaid.value.where(unpaid.tier == "A", 0.0)
    assert len(unpaid) > 0
    assert table.clawback.sum() == pytest.approx(-own.sum())


@st.composite
def plans(draw):
    optional = lambda strategy: draw(st.one_of(st.none(), strategy))  # noqa: E731
    return plan(
        period=draw(st.sampled_from(["month", "quarter", "year"])),
        quota=draw(st.sampled_from(["from_targets", 15_000.0, 60_000.0])),
        base_salary=draw(st.sampled_from([0.0, 2_500.0])),
        commission=draw(commissions()),
        kickers=draw(
            st.sampled_from(
                [{}, {"new_product": {"A": 0.03}}, {"new_product": {"B": 0.01}, "repeat_order": {"web": 0.01}}]
            )
        ),
        deal_size_rates=draw(
            st.sampled_from([[], [{"from_value": 0, "rate": 0.01}, {"from_value": 1500, "rate": 0.03}]])
        ),
        process_bonus=optional(st.builds(dict, min_activities=st.integers(1, 4), amount=st.floats(0, 300))),
        team_bonus=optional(st.builds(dict, amount=st.floats(0, 1000), attainment=st.floats(0.5, 1.5))),
        large_deal_bonus=optional(
            st.builds(dict, min_value=st.sampled_from([1500.0, 2000.0]), amount=st.floats(0, 500))
        ),
        clawback=optional(st.builds(dict, days=st.floats(5, 60))),
        behaviour={"elasticity": draw(st.sampled_from([0.0, 0.5, 2.0]))},
    )


@settings(max_examples=40, deadline=None)
@given(plans())
def test_any_plan_components_sum_to_the_total_and_caps_hold(tiny, p):
    table = rep_periods(tiny, p)
    assert table[list(COMPONENTS)].sum(axis=1).to_numpy() == pytest.approx(table.total.to_numpy())
    if p.commission.cap is not None:
        assert (table.commission <= p.commission.cap + 1e-6).all()
    assert (table[[c for c in COMPONENTS if c != "clawback"]] >= 0).all().all() and (table.clawback <= 0).all()
    earned = table[["commission", "deal_size", "new_product", "repeat_order"]].sum(axis=1)
    assert (
        -table.clawback.groupby([table.replication, table.rep]).transform("sum")
        <= earned.groupby([table.replication, table.rep]).transform("sum") + 1e-6
    ).all()
    pay = payouts(tiny, p)
    assert pay.amount.sum() == pytest.approx(table.total.sum())


def test_bonuses_and_kickers_hand_computed(tiny):
    p = plan(
        kickers={"new_product": {"A": 0.02}},
        large_deal_bonus={"min_value": 2000, "amount": 100},
        team_bonus={"amount": 400, "attainment": 0.8},
        process_bonus={"min_activities": 3, "amount": 50},
    )
    table = rep_periods(tiny, p).set_index(["replication", "rep", "period"])
    deals = won_deals(tiny, p)
    won = deals[deals.won].assign(
        period=(pd.Timestamp("2027-01-01") + pd.to_timedelta(deals[deals.won].day, unit="D")).dt.month - 1
    )
    a_deals = won[won.tier == "A"].groupby(["replication", "rep", "period"]).size()
    for key, row in table.iterrows():
        n_a = a_deals.get(key, 0)
        assert row.new_product == pytest.approx(0.02 * 2000 * n_a)  # A deals are worth 2,000
        assert row.large_deal_bonus == pytest.approx(100 * n_a)
    team = table.groupby(["replication", "period"])[["revenue", "quota"]].sum()
    made = team.revenue >= 0.8 * team.quota
    for key, row in table.iterrows():
        assert row.team_bonus == (400 if made[(key[0], key[2])] else 0)
    times = tiny.stage_times[(tiny.stage_times.stage == "close") & (tiny.stage_times.rep >= 0)]
    busy = times.assign(day=np.floor(times.start)).groupby(["replication", "rep", "day"]).size()
    busy = busy[busy >= 3].reset_index()
    busy["period"] = (pd.Timestamp("2027-01-01") + pd.to_timedelta(busy.day, unit="D")).dt.month - 1
    days = busy.groupby(["replication", "rep", "period"]).size()
    assert table.process_bonus.to_numpy() == pytest.approx([50 * days.get(key, 0) for key in table.index])


def test_clawback_takes_back_the_effective_rate_on_late_deals(tiny):
    p = plan(commission=tiers((0, 0.1)), clawback={"days": 25})
    table = rep_periods(tiny, p).set_index(["replication", "rep", "period"])
    deals = won_deals(tiny, p)
    won = deals[deals.won]
    late = won[(won.day + 25 < 181) & ~(won.paid_day - won.day <= 25)]
    due = (pd.Timestamp("2027-01-01") + pd.to_timedelta(late.day + 25, unit="D")).dt.month - 1
    expected = (-0.1 * late.value).groupby([late.replication, late.rep, due]).sum()  # a flat rate is the effective one
    assert table.clawback.to_numpy() == pytest.approx([expected.get(k, 0.0) for k in table.index])
    assert expected.sum() < 0


def test_quota_from_targets_splits_the_target_over_periods_and_seats(tiny):
    p = plan(quota="from_targets", period="quarter")
    table = rep_periods(tiny, p)
    per_period = table.groupby(["replication", "period"]).quota.sum()
    months = sim.targets.split_months(400_000, tiny.scenario)  # 400,000 a year, even, in whole units
    assert months.iloc[:3].sum() == 100_002 and months.iloc[3:6].sum() == 100_000
    assert per_period.to_numpy() == pytest.approx(np.tile([100_002, 100_000], 3))  # both seats together


def test_quota_from_targets_repeats_the_annual_target_every_year():
    scenario = sim.load(TINY).model_copy(update={"horizon_days": 800})
    results = sim.simulate(scenario, replications=1, seed=2, engine="fast", progress=False)
    table = rep_periods(results, plan(quota="from_targets", period="year"))
    quotas = table.groupby("period_label").quota.sum()
    assert quotas["2027"] == pytest.approx(400_000) and quotas["2028"] == pytest.approx(400_000)
    assert quotas["2029"] == pytest.approx(400_000 * 69 / 365)  # the horizon ends on day 800, 10 March 2029


def test_quota_from_targets_when_the_plan_year_starts_mid_quarter():
    scenario = sim.load(TINY).model_copy(update={"start_date": sim.scenario.dt.date(2027, 2, 15)})
    results = sim.simulate(scenario, replications=1, seed=2, engine="fast", progress=False)
    table = rep_periods(results, plan(quota="from_targets", period="quarter"))
    quotas = table.groupby("period_label").quota.sum()
    # the plan year runs February to January: 2027Q1 is January (the plan's 12th month), February and March
    months = sim.targets.split_months(400_000, scenario)
    full = months.iloc[-1] + months.iloc[0] + months.iloc[1]
    assert full == 100_001
    assert quotas["2027Q1"] == pytest.approx(full * 45 / 90)  # only 15 February to 31 March is in the horizon


def test_quota_prorated_for_a_rep_who_joins_mid_period():
    scenario = sim.load(TINY)
    team = scenario.team("closers").model_copy(update={"hires": (sim.scenario.Hire(day=15, count=1),)})
    scenario = scenario.model_copy(update={"teams": (scenario.teams[0], team)})
    results = sim.simulate(scenario, replications=1, seed=3, progress=False)
    table = rep_periods(results, plan(base_salary=3100))
    january = table[table.period == 0].sort_values("rep")
    assert january.days.tolist() == [31, 31, 16]
    assert january.quota.tolist() == pytest.approx([20000, 20000, 20000 * 16 / 31])
    assert january.base.tolist() == pytest.approx([3100, 3100, 1600])


def test_quarterly_quotas_follow_the_plans_reserve_split():
    """The plan holds March (in this half-year horizon) in reserve: Q1's quotas carry January and February only,
    exactly the months `salesplay plan --method reserve --reserve-month 3` gives."""
    results = sim.simulate(sim.load(TINY), replications=1, seed=2, engine="fast", progress=False)
    p = plan(quota="from_targets", period="quarter", quota_split="reserve", reserve_month=3, reserve_share=0.05)
    quotas = rep_periods(results, p).groupby("period_label").quota.sum()
    months = sim.targets.split_months(400_000, results.scenario, "reserve", reserve_month=3, reserve_share=0.05)
    assert months.iloc[2] == 20_000  # the reserve month carries its 5%
    assert quotas["2027Q1"] == pytest.approx(months.iloc[:3].sum())
    assert quotas["2027Q2"] == pytest.approx(months.iloc[3:6].sum())
    with pytest.raises(ScenarioError, match="reserve_month: 13 is not a month"):
        loads_plan("name: x\nquota: 1\nreserve_month: 13\n")


def test_new_hires_carry_ramped_quotas():
    """A hire on day 15 carries a quarter of quota in their first month of tenure, half in the second, then all;
    the seasoned reps' quotas are untouched."""
    scenario = sim.load(TINY)
    team = scenario.team("closers").model_copy(update={"hires": (sim.scenario.Hire(day=15, count=1),)})
    scenario = scenario.model_copy(update={"teams": (scenario.teams[0], team)})
    results = sim.simulate(scenario, replications=1, seed=3, progress=False)
    table = rep_periods(results, plan(new_hire_quota=[0.25, 0.5])).sort_values(["period", "rep"])
    month = 365.25 / 12
    january, february, march = (table[table.period == m] for m in range(3))
    assert january.quota.tolist() == pytest.approx([20000, 20000, 20000 * 16 * 0.25 / 31])
    # February (days 31-59): the first month of tenure runs to day 15 + a month, the second past February's end
    first = 15 + month - 31
    assert february.quota.iloc[2] == pytest.approx(20000 * (0.25 * first + 0.5 * (28 - first)) / 28)
    # March (days 59-90): the second month of tenure ends on day 15 + 2 months, full quota after it
    second = 15 + 2 * month - 59
    assert march.quota.tolist() == pytest.approx([20000, 20000, 20000 * (0.5 * second + (31 - second)) / 31])
    assert table[table.period >= 3].quota.tolist() == pytest.approx([20000] * 3 * (len(table) // 3 - 3))


def test_des_and_fast_runs_give_the_same_payouts():
    scenario = sim.load(TINY)
    p = plan(commission=tiers((0, 0.05), (1.0, 0.1)), behaviour={"elasticity": 1.0})
    a = rep_periods(sim.simulate(scenario, replications=2, seed=5, engine="des", progress=False), p)
    b = rep_periods(sim.simulate(scenario, replications=2, seed=5, engine="fast", progress=False), p)
    pd.testing.assert_frame_equal(a, b)


def test_gini_hand_worked():
    assert gini([5, 5, 5]) == 0
    assert gini([0, 0, 0, 4]) == pytest.approx(0.75)
    assert gini([1, 2, 3, 4]) == pytest.approx(0.25)  # sum |xi - xj| / (2 n^2 mean) = 20 / 80
    assert gini([]) == 0


def test_summary_has_every_figure_with_intervals_and_pairs_against_the_reference(tiny):
    flat = plan(name="flat", commission=tiers((0, 0.1)))
    rich = plan(name="rich", commission=tiers((0, 0.15)))
    summary = plan_summary(tiny, rich, reference=flat)
    for name in ("revenue", "comp_cost", "cost_of_sales", "share_at_quota", "gini", "p_hit_target"):
        assert set(summary[name]) == {"mean", "p10", "p50", "p90"}
        assert summary[name]["p10"] <= summary[name]["mean"] + 1e-9 or name == "p_hit_target"
    assert summary["extra_revenue"]["mean"] == 0  # elasticity 0: only the cost changes
    # nobody leaves the tiny scenario's closers, so every won deal pays commission
    assert summary["extra_cost"]["mean"] == pytest.approx(0.05 * tiny.replications.revenue.mean())
    assert summary["cost_per_extra_revenue"] is None
    assert summary["cost_of_sales"]["mean"] == pytest.approx(0.15)
    assert summary["revenue"]["mean"] == pytest.approx(tiny.replications.revenue.mean())


# ----------------------------------------------------------------------------- plan files


def test_shipped_plans_load_and_run_on_the_playbook_of_their_team():
    from tests.conftest import PLAYBOOKS

    files = sorted(PLANS.glob("*.yaml"))
    assert {f.stem for f in files} >= {"flat", "tiered", "accelerator_capped", "deal_size", "distributor"}
    playbooks = [sim.load(path) for path in PLAYBOOKS]
    for file in files:
        p = load_plan(file)
        team = p.team or "account_execs"  # a plan without a team is written for b2b_saas's closers
        playbook = next(s for s in playbooks if team in [t.name for t in s.teams])
        run = sim.simulate(
            playbook.replace({"horizon_days": 120, "incentives": {}}), seed=1, engine="fast", progress=False
        )
        assert (rep_periods(run, p).total > 0).all(), file.name


@pytest.mark.parametrize(
    "text, message",
    [
        (
            "name: x\ncommission:\n  tiers:\n    - {from_attainment: 0, rate: 0.1}\n    - {from_attainment: 0, rate: 0.2}\n",
            "<p>:5: commission.tiers[1].from_attainment: 0 is not above the previous tier's 0 (tiers must be in "
            "increasing order, without overlap)",
        ),
        (
            "name: x\ncommission:\n  tiers: [{from_attainment: 0.2, rate: 0.1}]\n",
            "<p>:3: commission.tiers[0].from_attainment: 0.2: the first tier must start at 0",
        ),
        ("name: x\nperiod: week\n", "<p>:2: period: Input should be 'month', 'quarter' or 'year'"),
        ("name: x\ncomission: {}\n", "<p>:2: comission: unknown field (did you mean 'commission'?)"),
        ("name: x\nquota: -5\n", "<p>:2: quota"),
        (
            "name: x\nquota_split: evenly\n",
            "<p>:2: quota_split: split method 'evenly' does not exist (did you mean 'even'?)",
        ),
        ("name: x\ncommission: {tiers: [{from_attainment: 0, rate: 0.1}], cap: -1}\n", "<p>:2: commission.cap"),
        ("name: x\nbehaviour: {elasticity: 1, window_days: 40}\n", "<p>:2: behaviour.window_days"),
        (
            "name: x\ndeal_size_rates:\n  - {from_value: 0, rate: 0.03}\n  - {from_value: 0, rate: 0.05}\n",
            "<p>:4: deal_size_rates[1].from_value: 0 is not above the previous band's 0 (bands must be in increasing "
            "order, without overlap)",
        ),
        ("name: x\ndeal_size_rates: [{from_value: 0, rate: -0.03}]\n", "<p>:2: deal_size_rates[0].rate"),
        ("name: x\nkickers:\n  new_product: {A: -0.1}\n", "<p>:3: kickers.new_product.A"),
        (
            "name: x\nkickers:\n  repeat_orders: {web: 0.1}\n",
            "<p>:3: kickers.repeat_orders: unknown field (did you mean 'repeat_order'?)",
        ),
    ],
)
def test_bad_plans_are_rejected_with_file_line_and_field(text, message):
    with pytest.raises(ScenarioError) as info:
        loads_plan(text, file="<p>")
    assert message in str(info.value)


def test_plan_checked_against_the_scenario(tiny):
    with pytest.raises(ScenarioError, match="team 'closer' does not exist \\(did you mean 'closers'\\?\\)"):
        rep_periods(tiny, plan(team="closer"))
    with pytest.raises(ScenarioError, match="kickers.new_product.Z: tier 'Z' does not exist"):
        rep_periods(tiny, plan(kickers={"new_product": {"Z": 0.1}}))
    with pytest.raises(
        ScenarioError, match="kickers.repeat_order.wbe: channel 'wbe' does not exist \\(did you mean 'web'\\?\\)"
    ):
        rep_periods(tiny, plan(kickers={"repeat_order": {"wbe": 0.1}}))
    no_targets = sim.simulate(sim.load(TINY).model_copy(update={"targets": None}), seed=1, progress=False)
    with pytest.raises(ScenarioError, match="from_targets needs targets.annual_revenue"):
        rep_periods(no_targets, plan(quota="from_targets"))


def test_a_missing_plan_file_is_one_line(tmp_path):
    with pytest.raises(ScenarioError, match="nope.yaml: file not found"):
        load_plan(tmp_path / "nope.yaml")


# ----------------------------------------------------------------------------- behaviour


def test_effort_follows_marginal_pay_within_bounds():
    b = Behaviour(elasticity=1.0, reference_rate=0.08, max_effort_change=0.3)
    assert effort({"A": 0.08, "B": 0.1, "C": 0.5, "D": 0.0}, b) == pytest.approx(
        {"A": 1.0, "B": 1.25, "C": 1.3, "D": 0.7}
    )
    assert effort({"A": 0.5}, Behaviour()) == {"A": 1.0}


def test_zero_elasticity_changes_nothing_but_cost(tiny):
    flat = plan(commission=tiers((0, 0.08)))
    steep = plan(
        commission=tiers((0, 0.02), (1.0, 0.2)) | {"threshold": 0.5, "retroactive": True},
        kickers={"new_product": {"A": 0.05}},
        period="quarter",
    )
    a, b = rep_periods(tiny, flat), rep_periods(tiny, steep)
    assert a.revenue.sum() == b.revenue.sum()
    assert a.total.sum() != pytest.approx(b.total.sum())
    sa, sb = plan_summary(tiny, flat), plan_summary(tiny, steep)
    assert sa["revenue"] == sb["revenue"]
    assert sa["revenue"]["mean"] == pytest.approx(tiny.replications.revenue.mean())


def _last_month_share(results: sim.Results, p: IncentivePlan) -> float:
    wins = simulated_wins(responded_deals(results, p), pd.Timestamp("2027-01-01"), results.scenario.horizon_days)
    return quarter_end_share(wins, skip_first_quarter=True)  # the funnel starts empty in January


@pytest.fixture(scope="module")
def year():
    scenario = sim.load(ROOT / "playbooks" / "b2b_saas.yaml")
    return sim.simulate(scenario, replications=12, seed=2, engine="fast", progress=False)


def test_quarterly_nonlinear_plan_bunches_wins_at_quarter_end_and_a_flat_plan_does_not(year):
    """Over 30 seeds of 3 replications of a year (some 1,600 wins after the first quarter) the share of wins in
    a quarter's last month was 1/3 + 0.002 (sd 0.0069) and the nonlinear plan moved it by 0.026 (sd 0.0063),
    always up; the flat plan by exactly nothing. Over 12 replications the sds halve: 0.03 is 8 sd, and the
    move is 6.7 sd above 0.005 (5 and 6 at those sds' upper 95% bounds). False failures below 1e-6."""
    respond = {"elasticity": 1.0}
    nonlinear = IncentivePlan(
        name="q", period="quarter", behaviour=respond, commission=tiers((0, 0.04), (1.0, 0.14)) | {"threshold": 0.5}
    )
    flat = IncentivePlan(name="f", period="quarter", behaviour=respond, commission=tiers((0, 0.08)))
    still = nonlinear.model_copy(update={"behaviour": Behaviour()})
    before = _last_month_share(year, still)
    assert _last_month_share(year, flat) == pytest.approx(before, abs=0.005)  # effort only, no timing
    assert before == pytest.approx(1 / 3, abs=0.03)
    # Paired on the same wins: only deals the reps move change the share. About 1.5 points here (the
    # flat plan moves none, within 0.5); the CRM data's excess is larger (see sim.timing).
    assert _last_month_share(year, nonlinear) > before + 0.005


def test_a_cap_costs_revenue_and_makes_capped_reps_hold_deals_back(year):
    """Over 20 seeds of 3 replications a cap cost 12.5% of revenue or more; reps held back 1 to 15 deals
    (about 8), half of them then lost, 71% or more by reps at the cap: one seed held back a single deal and
    lost none. Over 12 replications about 32 deals are held back: none lost, or half or fewer by capped reps,
    have probabilities below 1e-8."""
    capped = IncentivePlan(
        name="c", period="quarter", behaviour={"elasticity": 1.0}, commission=tiers((0, 0.08)) | {"cap": 40_000}
    )
    uncapped = capped.model_copy(update={"commission": Commission(**tiers((0, 0.08)))})
    assert plan_summary(year, capped)["revenue"]["mean"] < plan_summary(year, uncapped)["revenue"]["mean"]
    before, after = won_deals(year, capped), responded_deals(year, capped)
    pushed = (after.day > before.day + 1e-9) & before.won
    assert pushed.sum() > 0 and (~after.won[pushed]).sum() > 0  # held back; some then lost
    table = rep_periods(year, capped).set_index(["replication", "rep", "period"])
    moved = before[pushed]
    first = np.array([0, 90, 181, 273])
    period = np.searchsorted(first, moved.day.to_numpy(), side="right") - 1
    capped_then = [table.commission.get((r, rep, p), 0) for r, rep, p in zip(moved.replication, moved.rep, period)]
    assert np.mean(np.isclose(capped_then, 40_000)) > 0.5  # mostly by reps who had reached the cap


def test_response_is_deterministic_and_on_common_random_numbers(tiny):
    p = plan(commission=tiers((0, 0.04), (1.0, 0.14)) | {"threshold": 0.5}, behaviour={"elasticity": 0.8})
    pd.testing.assert_frame_equal(rep_periods(tiny, p), rep_periods(tiny, p))
    # more pay on A than the reference: A wins rise, B (paid less) wins fall, against the same draws
    kick = plan(commission=tiers((0, 0.06)), kickers={"new_product": {"A": 0.06}}, behaviour={"elasticity": 1.0})
    before, after = won_deals(tiny, kick), responded_deals(tiny, kick)
    for tier, sign in (("A", 1), ("B", -1)):
        change = after[after.tier == tier].won.sum() - before[before.tier == tier].won.sum()
        assert np.sign(change) == sign
    kept = before.won & after.won
    assert (after.value[kept] == before.value[kept]).all()


def test_the_crm_data_shows_the_quarter_end_pattern():
    closes, report = load_closes()
    assert report.rows_used == report.rows_read == 8800 and len(closes) == 6711  # won or lost, with a close date
    wins = closes[closes.won].close_date
    assert quarter_end_share(wins) == pytest.approx(0.4899, abs=1e-4)
    assert quarter_end_share(wins, skip_first_quarter=True) == pytest.approx(0.4168, abs=1e-4)  # March is a backlog
    rates = win_rate_by_month_of_quarter(closes)
    assert rates[3] > rates[2] + 0.2 and rates[3] > rates[1] + 0.2  # 81% against 49% and 55%


def test_skipped_crm_rows_are_reported_by_row_number(tmp_path):
    file = tmp_path / "pipeline.csv"
    file.write_text(
        "opportunity_id,sales_agent,product,account,deal_stage,engage_date,close_date,close_value\n"
        "a,x,GTX Basic,,Won,2017-02-01,2017-03-01,10\n"
        "b,x,GTX Basic,,Won,2017-02-01,03/01/2017,10\n",
        encoding="utf-8",
    )
    closes, report = load_closes(file)
    assert len(closes) == 1
    assert report.skipped.row.tolist() == [3]


def test_charts_draw_every_plan(tiny):
    from sim.incentives import compare_plans
    from sim.plots.incentives import cost_vs_revenue, pay_distribution, payout_curve, quarter_end_chart

    plans = [
        load_plan(PLANS / f"{name}.yaml").model_copy(update={"team": None})
        for name in ("flat", "tiered", "accelerator_capped")
    ]
    curve = payout_curve(plans)
    lines = curve.axes[0].get_lines()
    assert [line.get_label() for line in lines[:3]] == ["flat", "tiered", "accelerator_capped"]
    flat_y = lines[0].get_ydata()
    assert flat_y[-1] == pytest.approx(0.08 * 2.0)  # 8% of twice the quota
    table, summary = compare_plans(tiny, plans)
    assert len(pay_distribution(table).axes[0].patches) + len(pay_distribution(table).axes[0].lines) > 0
    assert len(cost_vs_revenue(summary["plans"]).axes[0].get_legend().get_texts()) == 3
    assert len(quarter_end_chart({"CRM data": 0.42, "flat": 0.33}).axes[0].patches) == 2


def test_plan_reference_is_up_to_date():
    from sim.reference import plan_reference_markdown

    assert (PLANS / "README.md").read_text(encoding="utf-8") == plan_reference_markdown(), (
        "playbooks/incentives/README.md is out of date: run `python -m sim.reference --plans "
        "playbooks/incentives/README.md`"
    )


def test_a_yearly_plan_pays_once_on_the_horizon(tiny):
    p = plan(period="year", quota=100_000, commission=tiers((0, 0.05), (1.0, 0.1)))
    table = rep_periods(tiny, p)
    assert table.period_label.unique().tolist() == ["2027"]
    assert table.days.tolist() == [181] * len(table)
    assert table.quota.to_numpy() == pytest.approx(100_000 * 181 / 365)  # a partial year, prorated
    assert table.commission.to_numpy() == pytest.approx(
        [0.05 * min(r, q) + 0.1 * max(0, r - q) for r, q in zip(table.revenue, table.quota)]
    )


def test_a_plan_for_another_team_credits_the_rep_who_worked_the_lead_there(tiny):
    table = rep_periods(tiny, plan(team="sdr", commission=tiers((0, 0.01))))
    assert set(table.rep) == {0}  # the one SDR
    assert table.groupby("replication").revenue.sum().to_numpy() == pytest.approx(tiny.replications.revenue)
    qualify = tiny.stage_times[tiny.stage_times.stage == "qualify"]
    credited = won_deals(tiny, plan(team="sdr")).merge(
        qualify[["replication", "lead", "rep"]], on=["replication", "lead"], suffixes=("", "_qualify")
    )
    assert (credited.rep == credited.rep_qualify).all()


def test_every_shipped_plan_says_whether_its_tiers_are_marginal_or_retroactive_and_why():
    """The practice asks every plan to name it: the key is written out, never left to the default, with a reason."""
    from sim.yaml_io import parse_yaml

    for file in sorted(PLANS.glob("*.yaml")):
        text = file.read_text(encoding="utf-8")
        data, lines = parse_yaml(text, str(file))
        assert "retroactive" in (data.get("commission") or {}), f"{file.name}: commission.retroactive not written out"
        line = text.splitlines()[lines[("commission", "retroactive")] - 1]
        reason = line.split("#", 1)[1] if "#" in line else ""
        assert ("marginal" in reason or "retroactive" in reason) and len(reason.split()) >= 5, file.name
