"""One contract, every engine: the same schema, invariants and determinism for ``des`` and ``fast``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import sim
from sim.engine import EXACT as ENGINES
from tests.conftest import PLAYBOOKS, W1

SCENARIOS = [W1, *PLAYBOOKS]


def _short(path, days: int = 45) -> sim.Scenario:
    return sim.load(path).model_copy(update={"horizon_days": days})


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_schema_invariants_and_determinism(engine, path):
    scenario = _short(path)
    results = sim.simulate(scenario, replications=2, seed=4, engine=engine)
    summary = results.summary()
    assert summary["engine"] == engine and summary["replications"] == 2
    assert list(results.leads.columns) == [
        "replication",
        "lead",
        "channel",
        "tier",
        "arrival",
        "outcome",
        "stage",
        "won_day",
        "value",
        "paid_day",
    ]
    reps = results.replications
    # every lead accounted for once: the year's and the opening pipeline's are won, lost or open at the end
    assert (reps.opening > 0).all()
    assert (reps.won + reps.lost + reps.open == reps.leads + reps.opening).all()
    assert results.leads.groupby("replication").size().tolist() == (reps.leads + reps.opening).tolist()
    assert (results.leads.groupby("replication").arrival.apply(lambda a: (a < 0).sum()) == reps.opening).all()
    assert (results.leads.outcome == "won").sum() == reps.won.sum()
    np.testing.assert_allclose(results.leads.value.sum(), reps.revenue.sum())
    monthly = results.monthly.groupby("replication").sum(numeric_only=True)
    np.testing.assert_allclose(monthly.revenue, reps.revenue)
    np.testing.assert_allclose(monthly.collected, reps.collected)
    assert (monthly.won == reps.won).all()
    again = sim.simulate(scenario, replications=2, seed=4, engine=engine)
    for name in Results_TABLES:
        pd.testing.assert_frame_equal(getattr(results, name), getattr(again, name))


Results_TABLES = sim.Results.TABLES


@pytest.mark.parametrize("engine", ENGINES)
def test_littles_law_per_stage(engine, seed):
    """L = lambda W per stage: leads in the stage on the window's days against the window's arrival rate times
    their mean stay. Over 30 seeds, 2 replications, the relative gap's sd was at most 0.027 (qualification; 0.01
    elsewhere): over 6 replications 0.0155, so 10% is 6.5 sd (4.8 at that sd's upper 95% bound): false
    failures below 1e-5 over the five stages, for any seed."""
    replications = 6
    scenario = sim.load(W1).model_copy(update={"horizon_days": 120})
    results = sim.simulate(scenario, replications=replications, seed=seed, engine=engine)
    window = (20, 100)
    daily = results.daily[(results.daily.day >= window[0]) & (results.daily.day < window[1])]
    in_stage = (daily.queue + daily.in_work + daily.customer_wait).groupby(daily.stage, observed=True).mean()
    t = results.stage_times[(results.stage_times.arrive >= window[0]) & (results.stage_times.arrive < window[1])]
    rate = t.groupby("stage", observed=True).size() / (window[1] - window[0]) / replications
    stay = (t.end - t.arrive).groupby(t.stage, observed=True).mean()
    for stage in in_stage.index:
        assert in_stage[stage] == pytest.approx(rate[stage] * stay[stage], rel=0.1), stage
