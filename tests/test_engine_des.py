"""The reference engine against queueing theory, invariants and its own determinism."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from scipy import stats

import sim
from sim.engine import des
from sim.queueing import mean_wait
from tests.scenarios import funnels, mmc


@pytest.mark.parametrize("utilisation", [0.5, 0.8, 0.9])
def test_mmc_wait_matches_erlang_c(utilisation, seed):
    """The mean wait after a warm-up against Erlang C, the utilisation against the load.

    A queue this busy relaxes slowly, so a replication's mean wait varies widely and skews to the right:
    Student-t intervals over a dozen replications missed far more often than their level says. Over 60
    seeds of 12 replications (the same timelines from ``fast``) the mean wait's relative gap had an sd of
    5.7%, 6.7% and 9.3% (50%, 80%, 90% busy) and the utilisation's 0.0044 at most; over 48 replications half
    that. So 25% is at least 5.4 sd (4.4 at that sd's upper 95% bound) and 0.02 at least 9 sd: false
    failures below 1e-5, for any seed."""
    reps, horizon, warm_up = 4, 2000, 200
    scenario = mmc(utilisation * reps, reps, horizon_days=horizon)
    results = sim.simulate(scenario, replications=48, seed=seed)
    t = results.stage_times
    steady = t[(t.arrive >= warm_up) & (t.arrive < horizon - 100)]
    expected = mean_wait(utilisation * reps, 1.0, reps)
    assert steady.groupby("replication").wait.mean().mean() == pytest.approx(expected, rel=0.25)
    assert results.summary()["stages"][0]["utilisation"] == pytest.approx(utilisation, abs=0.02)


def test_littles_law_holds_in_every_stage(seed):
    """L = lambda W per stage. Over 30 seeds the relative gap's sd was at most 0.0051: 5% is 9.8 sd (7.3 at that
    sd's upper 95% bound): false failures below 1e-9, for any seed."""
    scenario = sim.Scenario.model_validate(
        {
            "name": "little",
            "horizon_days": 700,
            "channels": [{"name": "c", "leads_per_day": 6}],
            "stages": [
                {
                    "name": "a",
                    "team": "x",
                    "conversion": 0.6,
                    "work_days": {"dist": "exponential", "mean": 0.5},
                    "wait_days": {"dist": "gamma", "mean": 3, "sd": 1},
                },
                {
                    "name": "b",
                    "team": "y",
                    "conversion": 0.5,
                    "work_days": {"dist": "exponential", "mean": 1.0},
                    "wait_days": {"dist": "lognormal", "median": 2, "sigma": 0.5},
                },
                {
                    "name": "c",
                    "team": "x",
                    "conversion": 0.9,
                    "work_days": {"dist": "uniform", "low": 0.5, "high": 1.5},
                },
            ],
            "teams": [{"name": "x", "headcount": 6}, {"name": "y", "headcount": 5}],
            "deal_value": {"dist": "fixed", "value": 1},
        }
    )
    results = sim.simulate(scenario, replications=4, seed=seed)
    window = (100, 600)  # long after warm-up, long before the horizon so stays in it end
    daily = results.daily[(results.daily.day >= window[0]) & (results.daily.day < window[1])]
    in_stage = (daily.queue + daily.in_work + daily.customer_wait).groupby(daily.stage, observed=True).mean()
    t = results.stage_times
    t = t[(t.arrive >= window[0]) & (t.arrive < window[1])]
    rate = t.groupby("stage", observed=True).size() / (window[1] - window[0]) / results.replications.shape[0]
    stay = (t.end - t.arrive).groupby(t.stage, observed=True).mean()
    for stage in in_stage.index:
        assert in_stage[stage] == pytest.approx(rate[stage] * stay[stage], rel=0.05), stage


def test_conversions_are_binomial(w1, seed):
    """An exact binomial test per stage at the 1e-4 level: false failures below 5e-4 over five stages."""
    results = sim.simulate(w1.model_copy(update={"horizon_days": 60}), replications=2, seed=seed, detail=False)
    for stage, s in zip(w1.stages, results.summary()["stages"]):
        decided = results.stage_stats.query("stage == @stage.name")
        n = int((decided.converted + decided.lost).sum())
        k = int(decided.converted.sum())
        assert stats.binomtest(k, n, stage.conversion).pvalue > 1e-4, (stage.name, k, n)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=funnels(realistic=True), seed=__import__("hypothesis").strategies.integers(0, 2**32 - 1))
def test_every_lead_accounted_for_once_and_money_adds_up(scenario, seed):
    results = sim.simulate(scenario, replications=2, seed=seed)
    leads, times, reps = results.leads, results.stage_times, results.replications
    assert not leads.duplicated(["replication", "lead"]).any()
    assert (reps.won + reps.lost + reps.open == reps.leads + reps.opening).all()
    counts = pd.crosstab(leads.replication, leads.outcome).reindex(
        index=range(2), columns=["won", "lost", "open", "cold"], fill_value=0
    )
    assert (counts.sum(axis=1).to_numpy() == (reps.leads + reps.opening).to_numpy()).all()
    assert (counts["won"].to_numpy() == reps.won.to_numpy()).all()
    # A lead is in stage k+1 exactly when it converted at stage k within the horizon (or it is a deal of the
    # opening pipeline, of no channel, that stands there at day 0: its first row).
    opening = leads.loc[leads.channel.isna(), ["replication", "lead"]]
    opening_rows = (
        times.assign(code=times.stage.cat.codes)
        .merge(opening)
        .groupby(["replication", "lead"])
        .code.min()
        .reset_index()
    )
    assert len(opening_rows) == len(opening)
    for r in range(2):
        mine = times[times.replication == r]
        held = opening_rows[opening_rows.replication == r]
        for k in range(len(scenario.stages) - 1):
            here = mine[(mine.stage == scenario.stages[k].name) & (mine.converted == True)]  # noqa: E712
            there = mine[mine.stage == scenario.stages[k + 1].name]
            there = there[~there.lead.isin(held.lead[held.code == k + 1])]
            assert sorted(here.lead) == sorted(there.lead)
            np.testing.assert_array_equal(np.sort(here.end.to_numpy()), np.sort(there.arrive.to_numpy()))
    # Times run forward, within the horizon.
    for a, b in [("arrive", "start"), ("start", "end_work"), ("end_work", "end")]:
        both = times[[a, b]].dropna()
        assert (both[a] <= both[b]).all()
    assert (times[["arrive", "start", "end_work", "end"]].max().fillna(0) < scenario.horizon_days).all()
    # Money: revenue is the value of won deals; collected is part of it.
    won = leads[leads.outcome == "won"]
    np.testing.assert_allclose(won.groupby("replication").value.sum().reindex(range(2), fill_value=0), reps.revenue)
    # cash collected in the year: part of the year's revenue, or of deals won before day 0 (the opening receivables)
    paid = leads[leads.paid_day.notna()]
    assert (reps.collected + 1e-6 >= paid.groupby("replication").value.sum().reindex(range(2), fill_value=0)).all()
    assert leads.value.isna().sum() == (leads.outcome != "won").sum()
    # Queues never go negative; a rep works on one lead at a time.
    assert (results.daily[["queue", "in_work", "customer_wait"]] >= 0).all().all()
    jobs = times.dropna(subset=["start"])  # each job's team: the stage's, or the one its tier is routed to
    assert (
        jobs.team
        == [
            scenario.stages[k].team_for(t)
            for k, t in zip(
                jobs.stage.cat.codes,
                leads.set_index(["replication", "lead"]).tier.reindex(
                    pd.MultiIndex.from_frame(jobs[["replication", "lead"]])
                ),
            )
        ]
    ).all()
    jobs = jobs.sort_values(["replication", "team", "rep", "start", "end_work"])  # zero-length jobs first
    same_rep = jobs[["replication", "team", "rep"]].eq(jobs[["replication", "team", "rep"]].shift()).all(axis=1)
    previous_end = jobs.end_work.shift().fillna(np.inf)  # an unfinished job (NaN) blocks the rep to the horizon
    assert (jobs.start[same_rep] >= previous_end[same_rep]).all()


def test_same_seed_same_tables_byte_for_byte(w1):
    small = w1.model_copy(update={"horizon_days": 20})
    a, b = (sim.simulate(small, replications=2, seed=11) for _ in range(2))
    for name in ("leads", "stage_times", "daily", "reps"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
        assert _parquet(getattr(a, name)) == _parquet(getattr(b, name))
    c = sim.simulate(small, replications=2, seed=12)
    assert not a.leads.equals(c.leads)


def test_replication_does_not_depend_on_its_company(w1):
    small = w1.model_copy(update={"horizon_days": 10})
    together = sim.simulate(small, replications=3, seed=5)
    alone = sim.Results.from_timelines(small, [des.run_replication(small, 5, 2)], "des", 5)
    pd.testing.assert_frame_equal(together.leads[together.leads.replication == 2].reset_index(drop=True), alone.leads)


def test_new_hire_works_slower_while_ramping_up():
    scenario = sim.Scenario.model_validate(
        {
            "name": "ramp",
            "horizon_days": 40,
            "channels": [{"name": "c", "leads_per_day": 1}],
            "stages": [{"name": "s", "team": "t", "conversion": 1, "work_days": {"dist": "fixed", "value": 0.5}}],
            "teams": [
                {
                    "name": "t",
                    "headcount": 0,
                    "hires": [{"day": 10, "count": 1}],
                    "ramp": {"days": 20, "initial_productivity": 0.25},
                }
            ],
            "deal_value": {"dist": "fixed", "value": 1},
        }
    )
    t = sim.simulate(scenario, seed=3).stage_times.dropna(subset=["end_work"])
    assert t.start.min() >= 10  # nobody works before the hire
    productivity = np.minimum(1, 0.25 + 0.75 * (t.start - 10) / 20)
    np.testing.assert_allclose(t.end_work - t.start, 0.5 / productivity)


def test_reps_who_leave_stop_working():
    scenario = sim.Scenario.model_validate(
        {
            "name": "attrition",
            "horizon_days": 200,
            "channels": [{"name": "c", "leads_per_day": 3}],
            "stages": [{"name": "s", "team": "t", "conversion": 1, "work_days": {"dist": "exponential", "mean": 0.3}}],
            "teams": [{"name": "t", "headcount": 3, "attrition": {"annual_rate": 4, "replacement_days": 5}}],
            "deal_value": {"dist": "fixed", "value": 1},
        }
    )
    results = sim.simulate(scenario, seed=9)
    jobs = results.stage_times.merge(results.reps, left_on=["replication", "rep"], right_on=["replication", "rep"])
    assert (jobs.start >= jobs.start_day).all()
    assert (jobs.start < jobs.end_day).all()  # a rep takes no new job after leaving
    assert (results.reps.end_day < 200).sum() > 3  # people did leave


def _parquet(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()
