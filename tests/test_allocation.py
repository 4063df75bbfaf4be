"""Budget and headcount allocation: the greedy search finds the better channel; money and reps add up."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import stats

import sim
from sim.allocation import Allocation, apply, by_value, current_allocation, focus_rules, optimise
from sim.cli import main
from sim.service import CONFIDENCE, MaxWait, ServiceLevels, evaluate
from tests.conftest import ROOT


def _two_channels() -> sim.Scenario:
    # Same cost per lead; "warm" leads convert three times as often: every budget step belongs there.
    return sim.Scenario.model_validate(
        {
            "name": "two channels",
            "horizon_days": 60,
            "channels": [
                {"name": "cold", "leads_per_day": 5, "cost_per_lead": 10, "tiers": {"cold": 1.0}},
                {"name": "warm", "leads_per_day": 5, "cost_per_lead": 10, "tiers": {"warm": 1.0}},
            ],
            "stages": [
                {
                    "name": "sell",
                    "team": "reps",
                    "conversion": {"cold": 0.1, "warm": 0.3},
                    "work_days": {"dist": "exponential", "mean": 0.1},
                },
                {
                    "name": "close",
                    "team": "closers",
                    "conversion": 0.9,
                    "work_days": {"dist": "exponential", "mean": 0.2},
                },
            ],
            "teams": [{"name": "reps", "headcount": 3}, {"name": "closers", "headcount": 2}],
            "deal_value": {"dist": "fixed", "value": 1000},
            "targets": {"annual_revenue": 50000},
        }
    )


def test_greedy_spends_on_the_better_channel_and_money_adds_up():
    """Over 30 seeds the gain was 53,000 (sd 2,400) and its interval's half-width at most 9,600: the low end
    is above zero but for noise of 18 sd. The greedy path chose the warm channel at every step for all 30."""
    result = optimise(_two_channels(), budget=6000, headcount=6, steps=4, replications=8, seed=1, objective="revenue")
    chosen = result["chosen"]
    assert chosen["budget"]["warm"] == pytest.approx(6000) and chosen["budget"]["cold"] == 0
    assert sum(chosen["headcount"].values()) == 6 and min(chosen["headcount"].values()) >= 1
    assert result["gain"]["mean"] > 0 and result["gain"]["ci95"][0] > 0
    assert [p["to"] for p in result["path"]] == ["warm"] * 4
    curve = result["curves"]["channels"]["warm"]
    assert [p["budget"] for p in curve] == [3000, 4500, 6000, 7500, 9000]  # steps around where the budget goes
    revenue = [p["revenue"] for p in curve]
    assert revenue[0] < revenue[2] < revenue[4]  # more budget, more revenue
    assert [p["budget"] for p in result["curves"]["channels"]["cold"]] == [0, 1500, 3000, 4500, 6000]


def test_current_allocation_round_trips():
    scenario = sim.load(ROOT / "playbooks" / "b2b_saas.yaml")
    again = apply(scenario, current_allocation(scenario))
    for a, b in zip(again.channels, scenario.channels):
        assert a.leads_per_day == pytest.approx(b.leads_per_day)
    assert apply(scenario, Allocation({"inbound": 0.0})).channels[0].leads_per_day == 0


def test_allocation_is_scored_on_fresh_replications_of_the_same_seed():
    """The search simulates replications 0-5; the gain is scored on 6-11, which the search never saw."""
    scenario = _two_channels()
    result = optimise(scenario, budget=6000, steps=2, replications=6, seed=3)
    direct = sim.simulate(scenario, replications=12, seed=3, engine="fast", detail=False).replications
    assert result["gain"]["replications"] == [6, 11]
    assert result["current"]["revenue"]["mean"] == pytest.approx(float(np.mean(direct.revenue[6:])))
    profit = direct.revenue - direct.marketing_cost  # no staff, hiring or commission figures in this scenario
    assert result["current"]["profit"]["mean"] == pytest.approx(float(np.mean(profit[6:])))


def test_allocate_cli_writes_json_and_refuses_a_free_funnel(tmp_path, capsys):
    out = tmp_path / "alloc"
    path = tmp_path / "two.yaml"
    sim.dump(_two_channels(), path)
    assert (
        main(["allocate", str(path), "--budget", "6000", "--steps", "2", "--replications", "4", "--out", str(out)]) == 0
    )
    result = json.loads((out / "allocation.json").read_text())
    assert {"current", "chosen", "gain", "curves"} <= set(result)
    assert main(["allocate", str(ROOT / "benchmarks" / "w1.yaml"), "--budget", "1000"]) == 2
    assert "no channel has a cost per lead and a volume money can buy" in capsys.readouterr().err


def _stretched_team() -> sim.Scenario:
    """One overloaded team (110% busy) and two tiers: 'big' leads are a quarter and worth ten times more."""
    return sim.Scenario.model_validate(
        {
            "name": "stretched",
            "horizon_days": 120,
            "channels": [{"name": "all", "leads_per_day": 11, "tiers": {"small": 0.75, "big": 0.25}}],
            "stages": [
                {
                    "name": "sell",
                    "team": "reps",
                    "conversion": {"small": 0.5, "big": 0.4},
                    "work_days": {"dist": "exponential", "mean": 1.0},
                }
            ],
            "teams": [{"name": "reps", "headcount": 10}],
            "deal_value": {"small": {"dist": "fixed", "value": 1000}, "big": {"dist": "fixed", "value": 10000}},
        }
    )


def test_by_value_ranks_tiers_by_what_a_lead_brings_not_by_deal_size_alone():
    scenario = _stretched_team()
    assert by_value(scenario) == ("big", "small")  # 0.4 x 10,000 against 0.5 x 1,000
    data = scenario.model_dump(by_alias=True)
    data["stages"][0]["conversion"] = {"small": 0.5, "big": 0.04}  # now a big lead brings 400 < 500
    assert by_value(sim.Scenario.model_validate(data)) == ("small", "big")


def test_focus_rule_pays_when_the_team_is_stretched():
    """Over 30 seeds of 10 replications the gain's t statistic was 6.7 (sd 1.8, lowest 4.4) and a replication
    gained in 298 of 300. Over 40 replications t doubles: its 95% interval's low end is above zero but for
    noise of 6 sd; 9 or more losing replications of 40, even at the upper 95% bound of the losing rate
    (2.4%), has probability below 1e-5."""
    rules = focus_rules(_stretched_team(), replications=40, seed=4)
    assert list(rules.index) == ["first come, first served", "big first"]
    focus = rules.loc["big first"]
    assert focus.priority == ["big"]
    # Big leads jump the queue: more of them are served (and won) within the horizon.
    assert focus.gain_low > 0 and focus.p_better >= 0.8
    assert rules.loc["first come, first served", "gain"] == 0


def test_focus_rule_needs_tiers(capsys):
    assert (
        main(
            [
                "allocate",
                str(ROOT / "playbooks" / "b2b_saas.yaml"),
                "--budget",
                "2000000",
                "--steps",
                "1",
                "--replications",
                "3",
                "--focus",
            ]
        )
        == 0
    )
    assert "A first" in capsys.readouterr().out
    with pytest.raises(ValueError, match="at least two customer tiers"):
        focus_rules(sim.load(ROOT / "benchmarks" / "w1.yaml"), replications=2)


# --------------------------------------------------------------------------- objectives, bounds and service levels


def test_fixed_channels_keep_their_volume_and_bounds_hold():
    scenario = _two_channels()
    pinned = optimise(scenario, budget=6000, steps=4, replications=4, seed=2, fixed=["warm"])
    assert list(pinned["chosen"]["budget"]) == ["cold"] and pinned["fixed"] == ["warm"]
    bounded = optimise(
        scenario, budget=6000, steps=4, replications=4, seed=2, bounds={"cold": (3000, 4000)}, objective="revenue"
    )
    assert 3000 <= bounded["chosen"]["budget"]["cold"] <= 4000
    assert sum(bounded["chosen"]["budget"].values()) <= 6000 + 1e-6
    b2b = sim.load(ROOT / "playbooks" / "b2b_saas.yaml")
    assert sorted(current_allocation(b2b).budget) == ["inbound", "outbound"]  # referrals: fixed_volume
    with pytest.raises(ValueError, match="its volume is fixed"):
        optimise(b2b, budget=1000, bounds={"referral": (0, 10)})
    with pytest.raises(ValueError, match="channel 'inbund' does not exist"):
        optimise(b2b, budget=1000, fixed=["inbund"])


def test_an_allocation_that_breaks_a_service_level_never_wins():
    """Every warm lead bought loads the closers: with a ceiling on utilisation the allocator stops short of
    the budget, and the ceiling is named as what binds."""
    scenario = _two_channels()
    free = optimise(scenario, budget=6000, steps=4, replications=6, seed=1)
    busiest = max(free["chosen"]["service"]["utilisation"].values())
    ceiling = ServiceLevels(max_utilisation=round(busiest * 0.6, 2))
    capped = optimise(scenario, budget=6000, steps=4, replications=6, seed=1, levels=ceiling)
    assert capped["chosen_on_search"]["service"]["broken"] == []
    assert max(capped["chosen_on_search"]["service"]["utilisation_high"].values()) <= ceiling.max_utilisation
    assert sum(capped["chosen"]["budget"].values()) < sum(free["chosen"]["budget"].values())
    assert capped["binding"] and capped["binding"][0]["limit"].startswith("max-utilisation")
    better = [
        p
        for curve in capped["curves"]["channels"].values()
        for p in curve
        if p["score"] > capped["chosen_on_search"]["score"]
    ]
    assert better and not any(p["keeps_service_levels"] for p in better)


def test_b2b_saas_recommendation_keeps_first_contact_within_three_days(tmp_path, capsys):
    """The issue's check on the playbook as it now stands (its 46 reps, a budget above its current spend): the
    written scenario, simulated on 40 fresh replications of another seed, keeps first contact within 3 days for
    90% of leads and every team at most 85% busy. Each figure is a ratio over replications: the test allows 3.6
    of its standard errors past the limit, so if the scenario truly keeps a limit the test fails for it with
    probability below 1 in 6000 (normal approximation of the ratio estimator; with the wait and three teams,
    below 1 in 1500 in all; the search's own check was at 95% confidence on other replications, so the true
    figures sit inside the limits, not on them). The marketing spent is the budget the allocation names plus the
    referrals' (expected leads times cost: a Poisson count of some twenty thousand leads a year, its mean over 40
    replications within a few tenths of a percent, so 2% is far outside chance)."""
    scenario = sim.load(ROOT / "playbooks" / "b2b_saas.yaml")
    headcount = sum(t.headcount for t in scenario.teams)
    out = tmp_path / "alloc"
    assert (
        main(
            [
                "allocate",
                str(ROOT / "playbooks" / "b2b_saas.yaml"),
                "--budget",
                "1000000",
                "--headcount",
                str(headcount),
                "--max-wait",
                "qualify:3:0.9",
                "--max-utilisation",
                "0.85",
                "--steps",
                "2",
                "--replications",
                "12",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    result = json.loads((out / "allocation.json").read_text())
    assert result["objective"] == "profit" and result["chosen"]["feasible"]
    assert result["chosen_on_search"]["service"]["broken"] == []
    assert "chosen" in printed and "binding" in printed
    assert "gain in profit" in printed or "the current allocation is the best found" in printed
    recommended = sim.load(out / "scenario.yaml")
    assert {t.name: t.headcount for t in recommended.teams} == result["chosen"]["headcount"]
    assert sum(t.headcount for t in recommended.teams) == headcount
    check = evaluate(recommended, range(40), seed=987, levels=ServiceLevels((MaxWait("qualify", 3.0, 0.9),), 0.85))
    wait = check.waits[0]
    se = (wait["share"] - wait["share_low"]) / stats.t.ppf(CONFIDENCE, 39)
    assert wait["share"] >= 0.9 - 3.6 * se
    for team, busy in check.utilisation.items():
        se = (check.utilisation_high[team] - busy) / stats.t.ppf(CONFIDENCE, 39)
        assert busy <= 0.85 + 3.6 * se, team
    # the recommended scenario spends what the allocation says: the year's leads times their cost
    spent = check.replications["marketing_cost"].mean()
    referral = next(c for c in recommended.channels if c.fixed_volume)
    expected = sum(result["chosen"]["budget"].values()) + referral.leads_per_day * referral.cost_per_lead * 365
    assert spent == pytest.approx(expected, rel=0.02)
