"""The year opens with the funnel's usual pipeline (a warm-up before day 0), unless told it starts empty."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.model.fates import draw_fates
from sim.model.opening import warmup_days


def _long_cycle(opening: dict | None = None) -> sim.Scenario:
    """A stationary funnel whose deals take about 55 days from lead to win, teams with room to spare."""
    return sim.Scenario.model_validate(
        {
            "name": "long cycle",
            "horizon_days": 365,
            "start_date": "2027-01-01",
            "channels": [{"name": "web", "leads_per_day": 10}],
            "stages": [
                {
                    "name": "qualify",
                    "team": "sdr",
                    "conversion": 0.5,
                    "work_days": {"dist": "exponential", "mean": 0.05},
                    "wait_days": {"dist": "gamma", "mean": 10, "sd": 4},
                },
                {
                    "name": "propose",
                    "team": "ae",
                    "conversion": 0.6,
                    "work_days": {"dist": "exponential", "mean": 0.2},
                    "wait_days": {"dist": "lognormal", "median": 20, "sigma": 0.5},
                },
                {
                    "name": "close",
                    "team": "ae",
                    "conversion": 0.5,
                    "work_days": {"dist": "exponential", "mean": 0.3},
                    "wait_days": {"dist": "gamma", "mean": 20, "sd": 8},
                },
            ],
            "teams": [{"name": "sdr", "headcount": 2}, {"name": "ae", "headcount": 4}],
            "deal_value": {"dist": "fixed", "value": 1000},
            **({"opening": opening} if opening is not None else {}),
        }
    )


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
    short, long = (draw_fates(_long_cycle({"warmup_days": days}), 5, 0) for days in (10, 60))
    a, b = short.arrivals, long.arrivals
    np.testing.assert_array_equal(a.time[a.warmup :], b.time[b.warmup :])
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


# --------------------------------------------------------------------------- an explicit opening pipeline


def _with_pipeline(pipeline: list[dict], leads_per_day: float = 10) -> sim.Scenario:
    data = _long_cycle().model_dump(mode="json", by_alias=True, exclude_defaults=True)
    data["channels"][0]["leads_per_day"] = leads_per_day
    data["channels"][0]["tiers"] = {"A": 0.3, "B": 0.7}
    data["opening"] = {"pipeline": pipeline}
    return sim.Scenario.model_validate(data)


_PIPELINE = [
    {"stage": "close", "count": 40, "age_days": 15, "tier": "A", "value": 8000},
    {"stage": "close", "count": 25, "age_days": 60, "tier": "B"},
    {"stage": "propose", "count": 30, "age_days": 3, "tier": "B"},
    {"stage": "qualify", "count": 12, "tier": "A"},
]


def test_a_pipeline_replaces_the_warm_up():
    scenario = _with_pipeline(_PIPELINE)
    assert warmup_days(scenario) == 0
    fates = draw_fates(scenario, 1, 0)
    assert fates.arrivals.warmup == 0 and fates.arrivals.opening == 107
    # every deal is an entrant of each stage up to its own: 107 at qualify, 95 at propose, 65 at close at least
    assert (fates.held_all[fates.offsets[0] : fates.offsets[1]] > 0).sum() == 107
    assert (fates.held_all[fates.offsets[1] : fates.offsets[2]] > 0).sum() == 95
    assert (fates.held_all[fates.offsets[2] : fates.offsets[3]] == 2).sum() == 65


def test_bad_pipeline_rows_are_named_by_file_line_and_field():
    text = """name: bad pipeline
horizon_days: 30
channels: [{name: web, leads_per_day: 1, tiers: {A: 0.5, B: 0.5}}]
stages: [{name: propose, team: ae, work_days: {dist: fixed, value: 1}, conversion: 0.5}]
teams: [{name: ae, headcount: 1}]
deal_value: {dist: fixed, value: 1}
opening:
  warmup_days: 30
  pipeline:
    - {stage: propse, tier: A}
    - {stage: propose, tier: Z}
    - {stage: propose}
"""
    with pytest.raises(sim.ScenarioError) as caught:
        sim.loads(text, file="pipe.yaml")
    assert sorted(str(caught.value).splitlines()) == sorted(
        [
            "pipe.yaml:8: opening.warmup_days: a warm-up and an explicit pipeline both fill the funnel: give one",
            "pipe.yaml:10: opening.pipeline[0].stage: stage 'propse' does not exist (did you mean 'propose'?)",
            "pipe.yaml:11: opening.pipeline[1].tier: tier 'Z' does not exist (known: A, B)",
            "pipe.yaml:12: opening.pipeline[2].tier: missing: the channels give a tier mix, so every deal needs one",
        ]
    )


@pytest.mark.parametrize("engine", ["fast", "des"])
def test_every_opening_deal_ends_won_lost_or_open_once_and_money_adds_up(engine):
    scenario = _with_pipeline(_PIPELINE)
    results = sim.simulate(scenario, replications=3, seed=2, engine=engine, progress=False)
    reps, leads = results.replications, results.leads
    assert (reps.opening == 107).all()
    assert (reps.won + reps.lost + reps.open == reps.leads + reps.opening).all()
    held = leads[leads.channel.isna()]
    assert (held.groupby("replication").size() == 107).all() and (held.arrival == 0).all()
    assert set(held.outcome) <= {"won", "lost", "open"}  # an opening deal never goes cold at its stage
    # money: the year's revenue is its won deals' values, the known values kept (8000 for the first 40)
    won = leads[leads.outcome == "won"]
    np.testing.assert_allclose(won.groupby("replication").value.sum().to_numpy(), reps.revenue.to_numpy())
    assert (won[won.lead < 40].value == 8000).all() and (won.lead < 40).any()
    # an opening deal did not reach its stage in the year: stage entries are the year's leads' only
    times = results.stage_times
    entered = results.stage_stats.groupby(["replication", "stage"]).entered.sum()
    year_rows = times[times.arrive > 0].groupby(["replication", times.stage.astype(str)]).size()
    assert {(int(r), s): int(n) for (r, s), n in entered.items() if n} == {
        (int(r), s): int(n) for (r, s), n in year_rows.items()
    }


def test_fast_and_des_agree_lead_for_lead_with_an_opening_pipeline():
    # the deals all stand at day 0: simultaneous arrivals, served first come (lead number) first
    from sim.engine import des, fast

    scenario = _with_pipeline(_PIPELINE).model_copy(update={"horizon_days": 90})
    for replication in range(3):
        a, b = des.run_replication(scenario, 4, replication), fast.run_replication(scenario, 4, replication)
        for field in ("arrive_all", "start_all", "end_work_all", "end_all"):
            np.testing.assert_allclose(getattr(b, field), getattr(a, field), rtol=1e-12, err_msg=field)
        np.testing.assert_array_equal(b.rep_all, a.rep_all)


def test_an_aged_deal_keeps_what_is_left_of_its_customer_side_time():
    # Exact: fixed times, conversion certain, no new leads, idle reps. A deal aged 5 days in a stage of
    # 0.5 days' work and 20 days' customer-side time is won at 0.5 + (20 - 5) = 15.5.
    scenario = sim.Scenario.model_validate(
        {
            "name": "aged",
            "horizon_days": 60,
            "channels": [{"name": "web", "leads_per_day": 0}],
            "stages": [
                {
                    "name": "close",
                    "team": "ae",
                    "conversion": 1,
                    "work_days": {"dist": "fixed", "value": 0.5},
                    "wait_days": {"dist": "fixed", "value": 20},
                }
            ],
            "teams": [{"name": "ae", "headcount": 2}],
            "deal_value": {"dist": "fixed", "value": 100},
            "opening": {
                "pipeline": [
                    {"stage": "close", "count": 3, "age_days": 5},
                    {"stage": "close", "count": 1, "age_days": 30},
                ]
            },
        }
    )
    leads = sim.simulate(scenario, replications=1, seed=1, engine="des", progress=False).leads
    # two reps: the first two deals start at 0, the next two at 0.5 (end of work 1.0); the deal aged
    # beyond its stage's time has no customer-side time left
    np.testing.assert_allclose(leads.won_day.to_numpy(), [15.5, 15.5, 16.0, 1.0])


def test_remaining_times_follow_the_conditional_distribution():
    # Gamma(shape 2, scale 10) given X > 15: E[X - 15 | X > 15] integrated by scipy.
    # 20,000 draws, sd of X - 15 about 14: the mean's standard error about 0.1; 0.5 is five of them
    # (false-failure rate about 6e-7).
    from pydantic import TypeAdapter
    from scipy import integrate, stats

    from sim.distributions import Distribution
    from sim.model.opening import remaining

    gamma = TypeAdapter(Distribution).validate_python({"dist": "gamma", "mean": 20, "sd": 20 / np.sqrt(2)})
    exact = integrate.quad(lambda x: stats.gamma(2, scale=10).sf(x), 15, np.inf)[0] / stats.gamma(2, scale=10).sf(15)
    left = remaining(gamma, 15.0, np.random.default_rng(7), 20_000)
    assert left.min() >= 0
    assert left.mean() == pytest.approx(exact, abs=0.5)
    exponential = TypeAdapter(Distribution).validate_python({"dist": "exponential", "mean": 8})
    assert remaining(exponential, 50.0, np.random.default_rng(7), 20_000).mean() == pytest.approx(8, abs=0.5)


def test_the_flow_engine_refuses_a_pipeline_by_name():
    with pytest.raises(ValueError, match="opening.pipeline: an explicit opening pipeline is modelled by the exact"):
        sim.simulate(_with_pipeline(_PIPELINE), replications=2, seed=1, engine="flow", detail=False, progress=False)


def test_printed_assumptions_name_a_listed_pipeline():
    from sim.model.opening import in_words

    assert in_words(_with_pipeline(_PIPELINE)) == "107 open deals listed in opening.pipeline"
    assert in_words(_long_cycle({"warmup_days": 0})).startswith("an empty funnel")
