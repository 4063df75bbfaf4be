"""Customer tiers and receivables aging: the practice's boundaries, partitions and sums."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sim
from sim.calendar import DEFAULT_START
from sim.errors import ScenarioError
from sim.tiers import (
    BUCKETS,
    PRACTICE,
    invoices_from_results,
    load_tier_rules,
    receivables_aging,
    rfm_tiers,
    run_receivables,
    tier_summary,
)
from tests.conftest import ROOT

AS_OF = pd.Timestamp("2024-06-30")


def customer(name: str, recency: int, values: list[float]) -> list[dict]:
    """Won deals of one customer, the last ``recency`` days before AS_OF."""
    last = AS_OF - pd.Timedelta(days=recency)
    return [
        {"account": name, "status": "won", "closed": last - pd.Timedelta(days=i), "value": v}
        for i, v in enumerate(values)
    ]


def test_practice_boundaries():
    deals = pd.DataFrame(
        customer("high", 30, [20_000, 20_000, 10_000])  # R 30, F 3, M 50,000: every bound met exactly
        + customer("late", 31, [20_000, 20_000, 10_000])  # one day too late for high value
        + customer("potential", 90, [10_000])
        + customer("two", 60, [30_000, 20_000])  # F 2, M 50,000
        + customer("dormant", 180, [10_000])
        + customer("recent_small", 5, [500])
    )
    tiers = rfm_tiers(deals, as_of=AS_OF).tier.astype(str).to_dict()
    assert tiers == {
        "high": "high_value",
        "late": "other",
        "potential": "potential",
        "two": "potential",
        "dormant": "dormant",
        "recent_small": "other",
    }
    table = rfm_tiers(deals, as_of=AS_OF)
    assert table.loc["high", "cadence_days"] == 7 and table.loc["dormant", "cadence"] == "quarterly wake-up"
    assert table.loc["high", "next_follow_up"] == AS_OF + pd.Timedelta(days=7 - 30)
    assert table.loc["high", "overdue"] and not table.loc["recent_small", "overdue"]  # 5 days into a 30-day cadence


def test_frequency_and_monetary_look_back_a_window():
    deals = pd.DataFrame(customer("a", 10, [60_000] * 3) + customer("a", 400, [1e6]))
    assert tuple(rfm_tiers(deals, AS_OF).loc["a", ["frequency", "monetary"]]) == (3, 180_000)
    everything = PRACTICE.model_copy(update={"window_days": None})
    assert tuple(rfm_tiers(deals, AS_OF, everything).loc["a", ["frequency", "monetary"]]) == (4, 1_180_000)


def test_lost_and_open_deals_and_later_wins_do_not_count():
    deals = pd.DataFrame(
        customer("a", 10, [60_000] * 3)
        + [
            {"account": "a", "status": "lost", "closed": AS_OF, "value": 1e6},
            {"account": "a", "status": "won", "closed": AS_OF + pd.Timedelta(days=1), "value": 1e6},
        ]
    )
    row = rfm_tiers(deals, as_of=AS_OF).loc["a"]
    assert (row.frequency, row.monetary, row.recency_days) == (3, 180_000, 10)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 6), st.integers(0, 400), st.floats(0, 80_000)), min_size=1, max_size=40))
def test_tiers_partition_the_customers(rows):
    deals = pd.DataFrame(
        [{"account": f"c{c}", "status": "won", "closed": AS_OF - pd.Timedelta(days=r), "value": v} for c, r, v in rows]
    )
    table = rfm_tiers(deals, as_of=AS_OF)
    assert sorted(table.index) == sorted(set(deals.account))
    assert table.tier.notna().all()
    assert table.tier.value_counts().sum() == deals.account.nunique()
    in_year = [(r, v) for _, r, v in rows if r < 365]  # frequency and monetary look back a year
    assert table.frequency.sum() == len(in_year)
    assert table.monetary.sum() == pytest.approx(sum(v for _, v in in_year))
    summary = tier_summary(table)
    assert summary.customers.sum() == len(table) and list(summary.index) == [t.name for t in PRACTICE.tiers] + ["other"]
    high = table[table.tier == "high_value"]
    assert ((high.recency_days <= 30) & (high.frequency >= 3) & (high.monetary >= 50_000)).all()


def test_tier_rules_from_yaml(tmp_path):
    path = tmp_path / "tiers.yaml"
    path.write_text(
        "tiers:\n  - {name: vip, min_monetary: 100, cadence_days: 3}\nother: {name: rest, cadence_days: 60}\n"
    )
    rules = load_tier_rules(path)
    deals = pd.DataFrame(customer("a", 1, [150]) + customer("b", 1, [50]))
    assert rfm_tiers(deals, AS_OF, rules).tier.astype(str).tolist() == ["vip", "rest"]
    path.write_text("tiers:\n  - {name: vip, cadence_days: 0}\nother: {name: vip, cadence_days: 60, colour: red}\n")
    with pytest.raises(ScenarioError) as err:
        load_tier_rules(path)
    lines = str(err.value).splitlines()
    assert f"{path}:2: tiers[0].cadence_days: 0 is not a positive whole number" in lines
    assert f"{path}:3: other.colour: unknown field" in lines


def test_aging_buckets_by_hand():
    ages = [0, 30, 31, 60, 61, 90, 91, 400]
    invoices = pd.DataFrame(
        {
            "invoice_id": range(len(ages)),
            "amount": [1.0, 2, 4, 8, 16, 32, 64, 128],
            "issued": [AS_OF - pd.Timedelta(days=a) for a in ages],
            "paid": pd.NaT,
        }
    )
    aging = receivables_aging(invoices, AS_OF)
    assert aging.buckets.to_dict() == {"0-30": 3.0, "31-60": 12.0, "61-90": 48.0, "90+": 192.0}
    assert aging.alerts.invoice_id.tolist() == [7, 6, 5, 4, 3, 2]  # unpaid beyond 30 days, oldest first
    summary = aging.summary()
    assert summary["outstanding"] == 255 and summary["alerts"] == 6 and summary["alert_amount"] == 252
    assert summary["buckets"]["0-30"] == {"amount": 3.0, "invoices": 2}


def test_paid_and_future_invoices_are_not_outstanding():
    invoices = pd.DataFrame(
        {
            "amount": [1.0, 2.0, 4.0, 8.0],
            "issued": pd.to_datetime(["2024-05-01", "2024-05-01", "2024-05-01", "2024-07-05"]),
            "paid": pd.to_datetime(["2024-06-30", "2024-07-01", None, None]),
        }
    )
    assert receivables_aging(invoices, AS_OF).open_invoices.amount.tolist() == [2.0, 4.0]
    with pytest.raises(ValueError, match="issued"):
        receivables_aging(invoices.drop(columns="issued"), AS_OF)


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(0, 1e6), st.integers(-50, 500), st.one_of(st.none(), st.integers(0, 500))),
        min_size=0,
        max_size=40,
    )
)
def test_aging_buckets_sum_to_the_total(rows):
    invoices = pd.DataFrame(
        {
            "amount": [a for a, _, _ in rows],
            "issued": [AS_OF - pd.Timedelta(days=age) for _, age, _ in rows],
            "paid": [
                pd.NaT if p is None else AS_OF - pd.Timedelta(days=age) + pd.Timedelta(days=p) for _, age, p in rows
            ],
        }
    ).astype({"amount": float, "issued": "datetime64[ns]", "paid": "datetime64[ns]"})
    aging = receivables_aging(invoices, AS_OF)
    unpaid = [(a, age) for a, age, p in rows if age >= 0 and (p is None or p > age)]
    assert aging.buckets.sum() == pytest.approx(sum(a for a, _ in unpaid))
    assert list(aging.buckets.index) == list(BUCKETS)
    assert len(aging.alerts) == sum(age > 30 for _, age in unpaid)


def test_receivables_of_a_run_are_revenue_not_yet_collected():
    scenario = sim.load(ROOT / "playbooks" / "b2b_saas.yaml").model_copy(update={"horizon_days": 150})
    results = sim.simulate(scenario, replications=2, seed=5, engine="fast", progress=False)
    invoices = invoices_from_results(results)
    end = pd.Timestamp(scenario.start_date or DEFAULT_START) + pd.Timedelta(days=scenario.horizon_days - 1)
    for r, row in results.replications.set_index("replication").iterrows():
        mine = invoices[invoices.replication == r]
        assert mine.amount.sum() == pytest.approx(row.revenue)
        aging = receivables_aging(mine, end)
        # the year's won deals not yet paid (cash collected in the year also pays the opening receivables)
        won = results.leads[(results.leads.replication == r) & (results.leads.outcome == "won")]
        unpaid = won[won.paid_day.isna()].value.sum()
        assert unpaid > 0  # payment takes time in this playbook
        assert aging.buckets.sum() == pytest.approx(unpaid)
        assert run_receivables(results, replication=r).buckets.sum() == pytest.approx(unpaid)


def test_practice_tiers_are_in_order():
    assert [t.name for t in PRACTICE.tiers] == ["high_value", "potential", "dormant"]
