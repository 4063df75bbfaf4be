"""Leads that go cold: both exact engines against the exact Erlang A queue (M/M/c+M)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import sim
from sim.queueing import erlang_a

REPS, WORK, PATIENCE = 10, 1.0, 3.0


def _impatient(leads_per_day: float, horizon_days: int = 300) -> sim.Scenario:
    """One stage of ten reps, exponential work of a day, exponential patience of three days."""
    return sim.Scenario.model_validate(
        {
            "name": "Erlang A",
            "horizon_days": horizon_days,
            "opening": {"warmup_days": 30},
            "channels": [{"name": "all", "leads_per_day": leads_per_day}],
            "stages": [
                {
                    "name": "serve",
                    "team": "reps",
                    "conversion": 1.0,
                    "work_days": {"dist": "exponential", "mean": WORK},
                    "patience_days": {"dist": "exponential", "mean": PATIENCE},
                }
            ],
            "teams": [{"name": "reps", "headcount": REPS}],
            "deal_value": {"dist": "fixed", "value": 1.0},
        }
    )


def _close(values: np.ndarray, exact: float, what: str) -> None:
    """The replications' mean within 4.5 standard errors of ``exact``: replications are independent, so the
    studentized mean follows Student's t; with 39 degrees of freedom |t| > 4.5 has probability below 1e-4
    (the false-failure rate), while a wrong model misses by many standard errors."""
    t = (values.mean() - exact) / (values.std(ddof=1) / np.sqrt(len(values)))
    assert abs(t) < 4.5, f"{what}: simulated {values.mean():.4f}, exact {exact:.4f} (t = {t:.1f})"
    assert 2 * stats.t.sf(4.5, len(values) - 1) < 1e-3


@pytest.mark.parametrize("leads_per_day", [8.0, 12.0], ids=["80% offered", "120% offered"])
@pytest.mark.parametrize("engine", ["fast", "des"])
def test_abandonment_and_utilisation_are_erlang_as(engine, leads_per_day):
    replications, horizon = (40, 300) if engine == "fast" else (40, 60)
    results = sim.simulate(
        _impatient(leads_per_day, horizon),
        replications=replications,
        seed=8,
        engine=engine,
        detail=False,
        progress=False,
    )
    exact = erlang_a(leads_per_day, WORK, REPS, PATIENCE)
    stages = results.stage_stats
    _close((stages.abandoned / stages.entered).to_numpy(), exact.p_abandon, "abandon rate")
    # a job started before the horizon counts its busy time up to the horizon: utilisation is the team's
    _close((stages.team_busy_days / stages.team_rep_days).to_numpy(), exact.utilisation, "utilisation")
    assert results.summary()["stages"][0]["abandon_rate"] == pytest.approx(
        stages.abandoned.sum() / stages.entered.sum()
    )


def test_erlang_a_identities():
    for offered in (5.0, 9.5, 14.0):
        a = erlang_a(offered, WORK, REPS, PATIENCE)
        # served leads keep the reps busy: lambda (1 - P(abandon)) = c mu utilisation
        assert offered * (1 - a.p_abandon) == pytest.approx(REPS / WORK * a.utilisation, rel=1e-9)
        # going cold at rate theta per waiting lead: P(abandon) = theta L_q / lambda, and L_q = lambda W (Little)
        assert a.p_abandon == pytest.approx(a.mean_wait / PATIENCE, rel=1e-9)
    waits_for_ever = erlang_a(7.0, WORK, REPS, 1e12)
    assert waits_for_ever.mean_wait == pytest.approx(sim.queueing.mean_wait(7.0, WORK, REPS), rel=1e-6)
    assert waits_for_ever.p_wait == pytest.approx(sim.queueing.erlang_c(7.0, WORK, REPS), rel=1e-6)
