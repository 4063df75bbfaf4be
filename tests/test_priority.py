"""The focus rule: a team that serves some tiers first (``teams[].priority``), in both engines."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

import sim
from sim.engine import des, fast
from sim.errors import ScenarioError
from sim.queueing import mean_wait, priority_waits
from sim.worktime import to_work
from tests.scenarios import funnels, mmc

ENGINES = {"des": des, "fast": fast}


def _two_tiers(priority: list[str], a_share: float = 0.3, rate: float = 9.0, reps: int = 10) -> sim.Scenario:
    """An M/M/c queue at 90% utilisation whose leads are A (``a_share``) or B."""
    data = mmc(rate, reps, horizon_days=4000).model_dump(by_alias=True)
    data["channels"][0]["tiers"] = {"A": a_share, "B": 1 - a_share}
    data["teams"][0]["priority"] = priority
    return sim.Scenario.model_validate(data)


def _violations(timeline, scenario: sim.Scenario) -> list[str]:
    """Pairs of leads a team served against its priority: a lead started while another lead of a
    better level (or of the same level, arrived earlier) was still waiting (not started, not gone cold) -- on the team's working
    clock, where leads arriving over days off all arrive at the next working moment."""
    fates = timeline.fates
    team_of = fates.team_all  # the stage's team, or the one the lead's tier is routed to
    problems = []
    for team in range(len(scenario.teams)):

        def clock(times, team=team):
            return np.array([to_work(t, team, *fates.calendar_arrays) for t in times])

        mine = np.flatnonzero((team_of == team) & ~np.isnan(timeline.arrive_all))
        arrive = clock(timeline.arrive_all[mine])
        start, end = timeline.start_all[mine], timeline.end_all[mine]
        began = clock(np.where(np.isnan(start), np.inf, start))
        left = clock(np.where(np.isnan(start), np.where(np.isnan(end), np.inf, end), start))  # started or gone cold
        level = fates.levels_all[mine]
        for served in np.flatnonzero(np.isfinite(began)):
            s = began[served]
            # Leads of a better level waiting when this one started: arrived before, started after.
            better = (level < level[served]) & (arrive < s) & (left > s)
            # Leads of the same level that arrived earlier (strictly) and started later.
            earlier = (level == level[served]) & (arrive < arrive[served]) & (left > s)
            if better.any() or earlier.any():
                problems.append(f"team {team}: lead-stage {mine[served]} started at {s}")
    return problems


@pytest.mark.parametrize("engine", ENGINES)
@settings(max_examples=40, deadline=None)
@given(scenario=funnels(continuous=True), seed=st.integers(0, 2**16))
def test_no_lead_is_served_ahead_of_a_better_or_earlier_one(engine, scenario, seed):
    timeline = ENGINES[engine].run_replication(scenario, seed, 0)
    assert _violations(timeline, scenario) == []


@pytest.mark.parametrize("engine", ENGINES)
def test_shipped_focus_rule_holds_in_the_building_materials_playbook(engine):
    scenario = sim.load("playbooks/building_materials.yaml")
    assert scenario.team("account managers").priority == ("key",)
    timeline = ENGINES[engine].run_replication(scenario.model_copy(update={"horizon_days": 120}), 3, 0)
    assert _violations(timeline, scenario) == []


def _steady_waits(scenario: sim.Scenario) -> pd.DataFrame:
    results = sim.simulate(scenario, replications=8, seed=5, engine="fast")
    times = results.stage_times
    waits = times.assign(wait=times.start - times.arrive).merge(results.leads[["replication", "lead", "tier"]])
    return waits[waits.arrive > 200]  # leave the empty start behind


def test_waits_by_class_match_cobhams_formula():
    """M/M/10 at 90%: A leads first. A's mean wait against Cobham's exact result; B's against first come,
    first served on the same leads times Cobham's ratio of the two; the rate-weighted mean wait equals first
    come, first served on the same leads (the work is the same: how much waiting there is does not depend on
    the order). B's and the whole queue's waits swing together with the queue's busy spells (over 20 seeds their
    sd was 6% against the formulas, 0.24% and 0.18% against first come, first served on the same leads).
    Over 20 seeds: A's relative gap sd 1.6%, so 8% is 5.1 sd (3.7 at that sd's upper 95% bound); 2% is 8 sd
    for B's ratio and 11 for the whole queue's. False failures below 3e-4."""
    first = _steady_waits(_two_tiers([]))
    steady = _steady_waits(_two_tiers(["A"]))
    by_tier = steady.groupby("tier").wait.mean()
    expected = priority_waits([9.0 * 0.3, 9.0 * 0.7], 1.0, 10)
    assert by_tier["A"] == pytest.approx(expected[0], rel=0.08)
    assert by_tier["B"] / first.wait.mean() == pytest.approx(expected[1] / mean_wait(9.0, 1.0, 10), rel=0.02)
    assert steady.wait.mean() == pytest.approx(first.wait.mean(), rel=0.02)


def test_priority_changes_who_waits_not_how_much_work_is_done():
    """Common random numbers: the same leads and work; only the order of service moves. The mean wait does not
    move either (work-conserving, the same work for both tiers): over 30 seeds the relative gap's sd was 0.011,
    so 15% is 13 sd (false failures below 1e-12)."""
    first = sim.simulate(
        _two_tiers([]).model_copy(update={"horizon_days": 400}), replications=3, seed=2, engine="fast", detail=False
    )
    focus = sim.simulate(
        _two_tiers(["A"]).model_copy(update={"horizon_days": 400}), replications=3, seed=2, engine="fast", detail=False
    )
    assert (first.replications.leads == focus.replications.leads).all()
    a, b = first.stage_stats, focus.stage_stats
    assert focus.summary()["stages"][0]["mean_wait_days"] == pytest.approx(
        first.summary()["stages"][0]["mean_wait_days"], rel=0.15
    )
    assert (a.entered == b.entered).all()


def test_priority_must_name_known_tiers_once():
    data = _two_tiers(["A"]).model_dump(by_alias=True)
    data["teams"][0]["priority"] = ["A", "Z", "A"]
    with pytest.raises(ScenarioError) as error:
        sim.Scenario.model_validate(data)
    text = str(error.value)
    assert "teams[0].priority[1]: tier 'Z' does not exist" in text
    assert "teams[0].priority[2]: 'A' is listed twice" in text
