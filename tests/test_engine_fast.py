"""The fast engine against the reference: lead for lead on the same fates, and in aggregate."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import sim
from sim.engine import des, fast
from sim.model.fates import draw_fates
from tests.conftest import PLAYBOOKS, W1
from tests.scenarios import funnels

FIELDS = ("arrive_all", "start_all", "end_work_all", "end_all", "rep_all")


def _assert_same_timeline(scenario: sim.Scenario, seed: int, replication: int = 0) -> None:
    fates = draw_fates(scenario, seed, replication)
    a = fast.simulate_fates(fates, scenario.horizon_days)
    b = des.simulate_fates(fates, scenario.horizon_days)
    for field in FIELDS:  # SimPy's clock adds delays, so times may differ in the last bit
        np.testing.assert_allclose(getattr(a, field), getattr(b, field), rtol=1e-12, atol=1e-9, err_msg=field)


@pytest.mark.parametrize("path", [W1, *PLAYBOOKS], ids=lambda p: p.stem)
def test_same_timelines_as_des_on_shipped_scenarios(path):
    scenario = sim.load(path)
    if path == W1:
        scenario = scenario.model_copy(update={"horizon_days": 60})
    _assert_same_timeline(scenario, seed=17)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=funnels(continuous=True, realistic=True), seed=st.integers(0, 2**32 - 1))
def test_same_timelines_as_des_on_generated_scenarios(scenario, seed):
    # Equal wherever no two events share an instant (continuous times; ties: see below), with warm-ups,
    # calendars, leads going cold and conversion decaying with the wait.
    _assert_same_timeline(scenario, seed)


@pytest.mark.parametrize("path", [W1, *PLAYBOOKS], ids=lambda p: p.stem)
def test_statistical_agreement_over_200_replications(path):
    # a month's warm-up: the warm-up's own path, at a cost des can afford 200 times
    scenario = sim.load(path).model_copy(
        update={"horizon_days": 30 if path == W1 else 90, "opening": sim.scenario.Opening(warmup_days=30)}
    )
    a = sim.simulate(scenario, replications=200, seed=5, engine="fast", detail=False, progress=False)
    b = sim.simulate(scenario, replications=200, seed=5, engine="des", detail=False, progress=False)
    pd.testing.assert_frame_equal(a.replications, b.replications, rtol=1e-9)
    pd.testing.assert_frame_equal(a.stage_stats, b.stage_stats, rtol=1e-9)
    sa, sb = a.summary(), b.summary()
    for figure in ("leads", "won", "revenue"):
        assert sa[figure]["mean"] == pytest.approx(sb[figure]["mean"], rel=0.02)
    for x, y in zip(sa["stages"], sb["stages"]):
        assert x["conversion_rate"] == pytest.approx(y["conversion_rate"], rel=0.02)
        assert x["utilisation"] == pytest.approx(y["utilisation"], abs=0.02)
        if y["utilisation"] <= 0.9:
            assert x["mean_wait_days"] == pytest.approx(y["mean_wait_days"], rel=0.1)
            assert x["mean_days_in_stage"] == pytest.approx(y["mean_days_in_stage"], rel=0.1)


def test_results_do_not_depend_on_blocks_or_processes():
    scenario = sim.load(W1).model_copy(update={"horizon_days": 20})
    one = sim.simulate(scenario, replications=6, seed=2, engine="fast", detail=False, workers=1, block=6)
    many = sim.simulate(scenario, replications=6, seed=2, engine="fast", detail=False, workers=2, block=2)
    pd.testing.assert_frame_equal(one.replications, many.replications)
    pd.testing.assert_frame_equal(one.stage_stats, many.stage_stats)


def test_fixed_times_keep_first_come_first_served():
    scenario = sim.Scenario.model_validate(
        {
            "name": "ties",
            "horizon_days": 30,
            "channels": [{"name": "c", "leads_per_day": 4}],
            "stages": [
                {"name": "a", "team": "t", "conversion": 0.7, "work_days": {"dist": "fixed", "value": 0.5}},
                {"name": "b", "team": "u", "conversion": 1, "work_days": {"dist": "fixed", "value": 1.0}},
            ],
            "teams": [{"name": "t", "headcount": 2}, {"name": "u", "headcount": 1}],
            "deal_value": {"dist": "fixed", "value": 1},
        }
    )
    a = sim.simulate(scenario, seed=1, engine="fast").stage_times
    b = sim.simulate(scenario, seed=1, engine="des").stage_times
    pd.testing.assert_frame_equal(a.drop(columns="rep"), b.drop(columns="rep"))


def test_stages_of_their_own_teams_are_computed_before_the_event_loop():
    # W1: every stage alone; b2b_saas: the SDRs' qualification, then account executives work two stages;
    # building_materials and real_estate_office: the first team works the first two stages. The
    # timelines equal des's (test_same_timelines_as_des_on_shipped_scenarios).
    alone = {path.stem: fast._leading_stages_alone(draw_fates(sim.load(path), 1, 0)) for path in [W1, *PLAYBOOKS]}
    assert alone == {"w1": 5, "b2b_saas": 1, "building_materials": 0, "real_estate_office": 0}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=funnels(realistic=True), seed=st.integers(0, 2**32 - 1), settled=st.booleans())
def test_unnamed_reps_give_the_same_times(scenario, seed, settled):
    # Without rep names a team of interchangeable reps is served by its free times alone (ties in
    # fixed times included); teams that ramp up or lose reps, and every team in the event loop, keep
    # their named pools. ``settled``: no ramp-up, no attrition, so every team of its own stage is interchangeable.
    if settled:
        teams = [t.model_copy(update={"ramp": None, "attrition": None}) for t in scenario.teams]
        scenario = scenario.model_copy(update={"teams": teams})
    fates = draw_fates(scenario, seed, 0)
    named = fast.simulate_fates(fates, scenario.horizon_days)
    unnamed = fast.simulate_fates(fates, scenario.horizon_days, reps=False)
    assert unnamed.rep_all is None and unnamed.rep is None
    for field in FIELDS[:-1]:
        np.testing.assert_array_equal(getattr(unnamed, field), getattr(named, field), err_msg=field)


@pytest.mark.parametrize("path", [W1, *PLAYBOOKS], ids=lambda p: p.stem)
def test_unnamed_reps_give_the_same_times_on_shipped_scenarios(path):
    scenario = sim.load(path).model_copy(update={"horizon_days": 90})
    fates = draw_fates(scenario, 4, 0)
    named, unnamed = (fast.simulate_fates(fates, scenario.horizon_days, reps) for reps in (True, False))
    for field in FIELDS[:-1]:
        np.testing.assert_array_equal(getattr(unnamed, field), getattr(named, field), err_msg=field)


@pytest.mark.parametrize("headcount", [3, 30, fast._SORTED_UP_TO + 1, 150], ids=lambda n: f"{n}reps")
def test_same_timelines_as_des_whatever_the_pool(headcount):
    # Small teams keep their reps in a sorted array, large ones in a heap: both hand out the
    # rep des hands out, with hires, ramp-up and attrition (reps leaving the pool).
    busy = 0.85 * headcount / 0.2  # leads per day that keep the first stage 85% busy at first
    team = {
        "headcount": headcount,
        "hires": [{"day": 3.5, "count": 4}],
        "ramp": {"days": 10},
        "attrition": {"annual_rate": 4.0, "replacement_days": 2},
    }
    scenario = sim.Scenario.model_validate(
        {
            "name": "pools",
            "horizon_days": 15,
            "channels": [{"name": "c", "leads_per_day": busy}],
            "stages": [
                {"name": "a", "team": "t", "conversion": 0.5, "work_days": {"dist": "exponential", "mean": 0.2}},
                {
                    "name": "b",
                    "team": "u",
                    "conversion": 0.5,
                    "work_days": {"dist": "exponential", "mean": 0.4},
                    "wait_days": {"dist": "exponential", "mean": 1},
                },
            ],
            "teams": [{"name": "t", **team}, {"name": "u", **team}],
            "deal_value": {"dist": "fixed", "value": 1},
        }
    )
    _assert_same_timeline(scenario, seed=3)
