"""Routing tiers to another team (high-value leads to senior reps) and teams' skill, in both engines."""

from __future__ import annotations

import numpy as np
import pytest
import yaml
from scipy import stats

import sim
from sim.allocation import routing_rules
from sim.errors import ScenarioError
from sim.targets import reverse_funnel


def _routed(route: bool = True, senior_skill: float = 1.5) -> sim.Scenario:
    """One stage; A leads (a quarter) go to three seniors who convert 1.5 times as often."""
    return sim.Scenario.model_validate(
        {
            "name": "routed",
            "horizon_days": 300,
            "channels": [{"name": "all", "leads_per_day": 8, "tiers": {"A": 0.25, "B": 0.75}}],
            "stages": [
                {
                    "name": "close",
                    "team": "reps",
                    "conversion": 0.4,
                    "work_days": {"dist": "exponential", "mean": 0.5},
                    **({"routes": {"A": "seniors"}} if route else {}),
                }
            ],
            "teams": [{"name": "reps", "headcount": 6}, {"name": "seniors", "headcount": 3, "skill": senior_skill}],
            "deal_value": {"A": {"dist": "fixed", "value": 10_000}, "B": {"dist": "fixed", "value": 1_000}},
        }
    )


def test_routes_and_skill_are_validated():
    data = _routed().model_dump(by_alias=True)
    data["stages"][0]["routes"] = {"Z": "seniors", "B": "juniors"}
    with pytest.raises(ScenarioError) as error:
        sim.Scenario.model_validate(data)
    text = str(error.value)
    assert "stages[0].routes.Z: tier 'Z' does not exist" in text
    assert "stages[0].routes.B: team 'juniors' does not exist (did you mean 'seniors'?)" in text
    data = _routed().model_dump(mode="json", by_alias=True, exclude_defaults=True)
    data["teams"][1]["skill"] = 0
    with pytest.raises(ScenarioError, match=r"x.yaml:\d+: teams\[1\].skill: 0 is not positive"):
        sim.loads(yaml.safe_dump(data), file="x.yaml")


def test_conversion_is_the_stage_rate_times_the_working_teams_skill_capped_at_one():
    scenario = _routed()
    assert scenario.stages[0].team_for("A") == "seniors" and scenario.stages[0].team_for("B") == "reps"
    assert scenario.conversion_of(0, "A") == pytest.approx(0.6)
    assert scenario.conversion_of(0, "B") == pytest.approx(0.4)
    assert _routed(senior_skill=3.0).conversion_of(0, "A") == 1.0


@pytest.mark.parametrize("engine", ["des", "fast"])
def test_routed_leads_are_worked_by_the_seniors_and_convert_at_their_skill(engine):
    """False failures: each tier's wins outside the binomial's central 99.99% (1e-4 each); each team's
    utilisation more than 0.03 from its load, where its mean over 2 replications has an sd of 0.0125 (40 seeds),
    so over 8 of 0.0063: 4.8 sd, 3.7 at that sd's upper 95% bound (below 2e-4 each)."""
    results = sim.simulate(_routed(), replications=8, seed=3, engine=engine)
    times = results.stage_times.merge(results.leads[["replication", "lead", "tier"]], on=["replication", "lead"])
    assert (times.team.astype(str) == np.where(times.tier == "A", "seniors", "reps")).all()
    decided = times[times.converted.notna()]
    for tier, p in (("A", 0.6), ("B", 0.4)):
        mine = decided[decided.tier == tier].converted.astype(bool)
        low, high = stats.binom.interval(0.9999, len(mine), p)
        assert low <= mine.sum() <= high
    teams = {t["name"]: t["utilisation"] for t in results.summary()["teams"]}
    assert teams["seniors"] == pytest.approx(8 * 0.25 * 0.5 / 3, abs=0.03)  # 2 A leads a day x half a day / 3
    assert teams["reps"] == pytest.approx(8 * 0.75 * 0.5 / 6, abs=0.03)


def test_reverse_funnel_sends_routed_work_to_the_routed_team():
    funnel = reverse_funnel(_routed(), revenue=3_400_000)
    # Per lead: A 0.25 x 0.6 x 10,000 = 1,500; B 0.75 x 0.4 x 1,000 = 300 -> 1,800; 1,889 leads.
    leads = 3_400_000 / 1_800
    assert funnel.leads == pytest.approx(leads)
    assert funnel.worked == pytest.approx({"reps": 0.75 * leads, "seniors": 0.25 * leads})
    assert funnel.rep_days == pytest.approx({"reps": 0.75 * leads * 0.5, "seniors": 0.25 * leads * 0.5})


def test_routing_high_value_leads_to_seniors_beats_pooling_them():
    """Over 30 seeds the gain was 450,000 (sd 21,000), its interval's half-width at most 70,000: the low end is
    above zero but for noise of 18 sd."""
    scenario = _routed(route=False).model_copy(update={"horizon_days": 200})
    scenario = sim.Scenario.model_validate(
        {**scenario.model_dump(by_alias=True), "teams": [{"name": "reps", "headcount": 9}]}
    )
    table = routing_rules(scenario, "close", ["A"], seniors=3, senior_skill=1.5, replications=12, seed=1)
    assert list(table.index) == ["pooled (any rep, any lead)", "A to 3 seniors"]
    routed = table.loc["A to 3 seniors"]
    # Pooled, every lead converts at the average skill (3 x 1.5 + 6) / 9 = 1.167; routed, the A deals
    # (ten times the value) get 1.5 and B deals 1.0: more value won from the same reps.
    assert routed.gain_low > 0
    with pytest.raises(ValueError, match="seniors must be between 1 and 8"):
        routing_rules(scenario, "close", ["A"], seniors=9, senior_skill=1.5)


def test_allocate_cli_weighs_routing(capsys):
    from sim.cli import main

    args = ["allocate", "playbooks/b2b_saas.yaml", "--budget", "2000000", "--steps", "1", "--replications", "3"]
    assert main([*args, "--route", "negotiation:A:4:1.3"]) == 0
    assert "A to 4 seniors" in capsys.readouterr().out
    assert main([*args, "--route", "negotiation:A:40:1.3"]) == 2
    assert "seniors must be between 1 and 21" in capsys.readouterr().err
