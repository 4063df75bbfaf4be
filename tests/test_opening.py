"""The year opens with the funnel's usual pipeline (a warm-up before day 0), unless told it starts empty."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.model.opening import warmup_days


def _long_cycle(opening: dict | None = None) -> sim.Scenario:
    """A stationary funnel whose deals take about 55 days from lead to win, teams with room to spare."""
    return sim.Scenario.model_validate({
        "name": "long cycle", "horizon_days": 365, "start_date": "2027-01-01",
        "channels": [{"name": "web", "leads_per_day": 10}],
        "stages": [
            {"name": "qualify", "team": "sdr", "conversion": 0.5, "work_days": {"dist": "exponential", "mean": 0.05},
             "wait_days": {"dist": "gamma", "mean": 10, "sd": 4}},
            {"name": "propose", "team": "ae", "conversion": 0.6, "work_days": {"dist": "exponential", "mean": 0.2},
             "wait_days": {"dist": "lognormal", "median": 20, "sigma": 0.5}},
            {"name": "close", "team": "ae", "conversion": 0.5, "work_days": {"dist": "exponential", "mean": 0.3},
             "wait_days": {"dist": "gamma", "mean": 20, "sd": 8}},
        ],
        "teams": [{"name": "sdr", "headcount": 2}, {"name": "ae", "headcount": 4}],
        "deal_value": {"dist": "fixed", "value": 1000},
        **({"opening": opening} if opening is not None else {}),
    })


def _january_over_steady(scenario: sim.Scenario) -> float:
    results = sim.simulate(scenario, replications=40, seed=3, engine="fast", detail=False, progress=False)
    won = results.monthly.groupby("month").won.mean()
    return float(won.iloc[0] / won.iloc[3:11].mean())


def test_a_warm_start_opens_january_at_the_steady_pace():
    # Won deals per month are Poisson-like, about 45 a month: January's mean over 40 replications has a
    # standard error of about 2.4% of the steady months' mean, so 15% is over six standard errors
    # (false-failure rate below 1e-9).
    assert _january_over_steady(_long_cycle()) == pytest.approx(1.0, abs=0.15)


def test_an_empty_funnel_wins_next_to_nothing_in_january():
    # With no warm-up the first deals need about 55 days: January sees a few per cent of a steady month.
    assert _january_over_steady(_long_cycle({"warmup_days": 0})) < 0.1


def test_the_default_warm_up_covers_99_percent_of_deals_from_lead_to_payment():
    # the stages' times sum to a mean of about 51 days (work is short): the 99th percentile is about 80
    assert 60 < warmup_days(_long_cycle()) < 110
    assert warmup_days(_long_cycle({"warmup_days": 12.5})) == 13


def test_warm_up_leads_do_not_change_the_years_own_draws():
    # the warm-up draws from streams of its own: the year's leads and their fates are the same whatever its length
    from sim.model.fates import draw_fates

    short, long = (draw_fates(_long_cycle({"warmup_days": days}), 5, 0) for days in (10, 60))
    a, b = short.arrivals, long.arrivals
    np.testing.assert_array_equal(a.time[a.warmup:], b.time[b.warmup:])
    year_a = short.entrants[2] >= a.warmup
    year_b = long.entrants[2] >= b.warmup
    np.testing.assert_array_equal(short.work[2][year_a], long.work[2][year_b])
    np.testing.assert_array_equal(short.converts[2][year_a], long.converts[2][year_b])


def test_the_opening_pipeline_is_counted_once():
    results = sim.simulate(_long_cycle(), replications=2, seed=1, engine="fast")
    reps = results.replications
    assert (reps.opening > 100).all()  # about ten days of leads in three stages of about fifty days
    assert (reps.won + reps.lost + reps.open == reps.leads + reps.opening).all()
    leads = results.leads
    assert (leads[leads.arrival < 0].groupby("replication").size() == reps.opening).all()
