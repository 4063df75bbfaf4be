"""The flow engine against the exact engines: schema, determinism, and agreement of means.

``fast`` equals ``des`` lead for lead, so it serves as the exact reference here (it is much faster).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings

import sim
from sim.engine.flow import simplified
from sim.queueing import allen_cunneen_wait, mean_wait
from tests.conftest import PLAYBOOKS, W1
from tests.scenarios import funnels

REPLICATIONS = 200
# Interval half-widths in standard errors. The engines draw from separate streams, so a gap of two means has
# an sd of sqrt(sa^2 + sb^2) <= sa + sb: a gap beyond z (sa + sb) is at least z of its sds, which noise alone
# gives with probability at most 2 Phi(-z). A run compares at most 29 figures (W1): at 4.3 standard errors,
# 29 x 1.7e-5: false failures below 5e-4 (a figure that is also within 2% never fails).
Z = 4.3


def _load_for_flow(path) -> sim.Scenario:
    """A shipped scenario as flow runs it (without working calendars and leads going cold)."""
    return simplified(sim.load(path))


def _run(scenario: sim.Scenario, engine: str, replications: int = REPLICATIONS, seed: int = 11) -> sim.Results:
    return sim.simulate(
        scenario, replications=replications, seed=seed, engine=engine, detail=False, progress=False, workers=1
    )


def _mean_ci(values: np.ndarray, z: float = 1.96) -> tuple[float, float]:
    values = np.asarray(values, dtype=float)
    if len(values) == 0:
        return np.nan, np.nan
    return float(values.mean()), float(z * values.std(ddof=1) / np.sqrt(len(values))) if len(values) > 1 else 0.0


def _ratio_ci(num: np.ndarray, den: np.ndarray, z: float = 1.96) -> tuple[float, float]:
    """The pooled ratio ``sum(num) / sum(den)`` over replications and its half-width (delta method): the
    per-lead mean, not the mean of per-replication means (which weighs a replication with few leads as much
    as one with many)."""
    num, den = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
    if den.sum() <= 0:
        return np.nan, np.nan
    ratio = num.sum() / den.sum()
    n = len(den)
    spread = np.sqrt(((num - ratio * den) ** 2).sum() / (n - 1) / n) / den.mean() if n > 1 else 0.0
    return float(ratio), float(z * spread)


def agreement(
    scenario: sim.Scenario, replications: int = REPLICATIONS, seed: int = 11, time_tolerance: float = 0.10, z: float = Z
) -> pd.DataFrame:
    """Per figure: the exact and flow means, their interval half-widths (``z`` standard errors),
    the relative gap, and whether the bound holds.

    Counts and money: within 2% or inside both intervals. Mean wait and days in stage: within
    ``time_tolerance`` (or, within 50%, inside both intervals; or less than 0.005 days apart) where the
    team is at most 90% busy. Utilisation: within 0.02 (or inside both intervals). Means over fewer than 30
    replications (leads reached a stage in few of them) are not compared; nor are counts fewer than 10
    events apart over all the replications (too few to tell engines apart).
    """
    exact, flow = _run(scenario, "fast", replications, seed), _run(scenario, "flow", replications, seed)
    few_wins = abs(int(exact.replications.won.sum()) - int(flow.replications.won.sum())) < 10
    rows = []

    def add(name, a, b, kind):
        """``a``, ``b``: per-replication values, or (numerators, denominators) of a pooled ratio."""
        if isinstance(a, tuple):
            (ma, ha), (mb, hb) = (_ratio_ci(*x, z) for x in (a, b))
            reached = min(int((np.asarray(x[1]) > 0).sum()) for x in (a, b))
        else:
            (ma, ha), (mb, hb) = (_mean_ci(np.asarray(x, dtype=float)[np.isfinite(x)], z) for x in (a, b))
            reached = min(int(np.isfinite(np.asarray(x, dtype=float)).sum()) for x in (a, b))
        gap = (mb - ma) / abs(ma) if ma else (0.0 if mb == ma else np.inf)
        if reached < 30:
            ok = True  # leads got there in too few replications of one engine to compare means
        elif kind == "count":
            ok = abs(gap) <= 0.02 or abs(mb - ma) <= ha + hb or (name in ("won", "revenue", "collected") and few_wins)
        elif kind == "time":
            ok = abs(gap) <= time_tolerance or abs(mb - ma) <= 0.005 or (abs(mb - ma) <= ha + hb and abs(gap) <= 0.5)
        else:  # utilisation: within 0.02, or (tiny noisy runs) inside both 95% intervals
            ok = abs(mb - ma) <= 0.02 or abs(mb - ma) <= ha + hb
        rows.append(
            {
                "figure": name,
                "exact": ma,
                "±exact": ha,
                "flow": mb,
                "±flow": hb,
                "gap": gap,
                "ok": ok,
                "compared": reached >= 30,
            }
        )

    for column in ("leads", "opening", "won", "revenue", "collected"):
        add(column, exact.replications[column], flow.replications[column], "count")
    per = [r.stage_stats.groupby(["replication", "stage"], sort=False).sum(numeric_only=True) for r in (exact, flow)]
    busy = [
        r.stage_stats.drop_duplicates(["replication", "team"]).groupby(["replication", "team"]).sum(numeric_only=True)
        for r in (exact, flow)
    ]
    utilisation = [b.team_busy_days / b.team_rep_days for b in busy]
    for stage in scenario.stages:
        a, b = (p.xs(stage.name, level="stage") for p in per)
        add(
            f"{stage.name}: conversion",
            (a.converted, a.converted + a.lost),
            (b.converted, b.converted + b.lost),
            "count",
        )
        teams = {stage.team, *stage.routes.values()}
        if max(float(utilisation[0].xs(t, level="team").mean()) for t in teams) <= 0.9:
            add(f"{stage.name}: wait", (a.wait_total, a.started), (b.wait_total, b.started), "time")
            add(
                f"{stage.name}: days in stage",
                (a.in_stage_total, a.converted + a.lost),
                (b.in_stage_total, b.converted + b.lost),
                "time",
            )
    by_team = [r.stage_stats.groupby(["replication", "team"]).sum(numeric_only=True) for r in (exact, flow)]
    for team in scenario.teams:
        if team.name in utilisation[0].index.get_level_values("team"):
            a, b = (t.xs(team.name, level="team") for t in by_team)
            if float(utilisation[0].xs(team.name, level="team").mean()) <= 0.9:
                add(f"{team.name}: wait", (a.wait_total, a.started), (b.wait_total, b.started), "time")
            add(
                f"{team.name}: utilisation",
                *((u.team_busy_days, u.team_rep_days) for u in (b.xs(team.name, level="team") for b in busy)),
                "utilisation",
            )
    return pd.DataFrame(rows).set_index("figure")


def test_allen_cunneen_is_erlang_c_for_exponential_work_and_pollaczek_khinchine_for_one_rep():
    assert float(allen_cunneen_wait(3.0, 0.5, 1.0, 2)) == pytest.approx(mean_wait(3.0, 0.5, 2))
    assert float(allen_cunneen_wait(7.0, 1.2, 1.0, 10)) == pytest.approx(mean_wait(7.0, 1.2, 10))
    # M/D/1 at load 0.5: lambda E[S^2] / (2 (1 - rho)) = 0.5 * 1 / (2 * 0.5) = 0.5
    assert float(allen_cunneen_wait(0.5, 1.0, 0.0, 1)) == pytest.approx(0.5)
    waits = allen_cunneen_wait(np.array([1.0, 2.0, 0.0]), 1.0, 1.0, np.array([1, 2, 3]))
    assert np.isinf(waits[0]) and waits[1] == pytest.approx(mean_wait(2.0, 1.0, 2)) and waits[2] == 0


def test_what_flow_does_not_model_is_refused_in_words():
    data = sim.load(W1).model_dump(mode="json", exclude_defaults=True)
    data["stages"][0]["patience_days"] = {"dist": "exponential", "mean": 3}
    data["calendar"] = {}
    with pytest.raises(ValueError, match=r"stages\[0\]\.patience_days.*calendar"):
        sim.simulate(sim.Scenario.model_validate(data), replications=1, engine="flow", detail=False)


def test_detail_is_refused():
    with pytest.raises(ValueError, match="detail=False"):
        sim.simulate(sim.load(W1), replications=1, engine="flow")


@pytest.mark.parametrize("path", [W1, *PLAYBOOKS], ids=lambda p: p.stem)
def test_schema_invariants_and_block_independence(path):
    scenario = _load_for_flow(path)
    flow = sim.simulate(scenario, replications=6, seed=3, engine="flow", detail=False, progress=False, workers=1)
    exact = sim.simulate(scenario, replications=1, seed=3, engine="fast", detail=False, progress=False)
    for name in ("replications", "stage_stats", "monthly"):
        a, b = getattr(exact, name), getattr(flow, name)
        assert list(a.columns) == list(b.columns), name
        assert (a.dtypes.astype(str) == b.dtypes.astype(str)).all(), name
    reps = flow.replications
    assert (reps.won + reps.lost + reps.open == reps.leads + reps.opening).all() and (reps.open >= 0).all()
    assert (reps.opening >= 0).all()
    monthly = flow.monthly.groupby("replication").sum(numeric_only=True)
    assert (monthly.won.to_numpy() == reps.won.to_numpy()).all()
    np.testing.assert_allclose(monthly.revenue, reps.revenue)
    np.testing.assert_allclose(monthly.collected, reps.collected)
    stages = flow.stage_stats
    assert (stages.started <= stages.entered).all() and (stages.worked <= stages.started).all()
    assert (stages.converted + stages.lost <= stages.worked).all()
    first = stages[stages.stage == scenario.stages[0].name].groupby("replication").entered.sum()
    assert (first.to_numpy() == reps.leads.to_numpy()).all()
    summary = flow.summary()
    assert summary["engine"] == "flow" and "stationary" in summary["approximation"]
    for block in (1, 4):  # replication r depends only on (seed, r)
        again = sim.simulate(
            scenario, replications=6, seed=3, engine="flow", detail=False, progress=False, workers=1, block=block
        )
        for name in ("replications", "stage_stats", "monthly"):
            pd.testing.assert_frame_equal(getattr(flow, name), getattr(again, name))


@pytest.mark.parametrize("path", [W1, *PLAYBOOKS], ids=lambda p: p.stem)
def test_agreement_with_the_exact_engine(path):
    table = agreement(_load_for_flow(path))
    assert table.ok.all(), table[~table.ok].to_string()


@pytest.mark.parametrize("path", [W1, PLAYBOOKS[0]], ids=lambda p: p.stem)
def test_agreement_with_the_exact_engine_from_an_empty_funnel(path):
    scenario = _load_for_flow(path).model_copy(update={"opening": sim.scenario.Opening(warmup_days=0)})
    table = agreement(scenario)
    assert table.ok.all(), table[~table.ok].to_string()
    reps = _run(scenario, "flow", 6, 1).replications
    assert (reps.opening == 0).all() and (reps.won + reps.lost + reps.open == reps.leads).all()
    assert (reps.collected <= reps.revenue + 1e-6).all()  # no deals won before day 0 to be paid for


def test_a_warm_start_opens_january_at_the_steady_pace_as_in_the_exact_engines():
    """A stationary funnel whose deals take about 55 days (tests/test_opening.py): flow's January wins are within
    15% of its steady months' by default, and a few per cent of them from an empty funnel. About 45 wins a month:
    January's mean over 40 replications has a standard error of about 2.4% of the steady months' mean, so 15% is
    over six standard errors (false-failure rate below 1e-9)."""
    from tests.test_opening import _long_cycle

    def january_over_steady(scenario):
        won = _run(scenario, "flow", 40, 3).monthly.groupby("month").won.mean()
        return float(won.iloc[0] / won.iloc[3:11].mean())

    assert january_over_steady(_long_cycle()) == pytest.approx(1.0, abs=0.15)
    assert january_over_steady(_long_cycle({"warmup_days": 0})) < 0.1


def _nominal_load(scenario: sim.Scenario) -> float:
    """The busiest team's work offered per day over its reps on hand on average (hires pro rata)."""
    tiers = scenario.tiers
    leads = np.zeros(len(tiers))
    for channel in scenario.channels:
        leads += channel.leads_per_day * np.array([(channel.tiers or {tiers[0]: 1.0}).get(t, 0.0) for t in tiers])
    work = {team.name: 0.0 for team in scenario.teams}
    for k, stage in enumerate(scenario.stages):
        for i, tier in enumerate(tiers):
            work[stage.team_for(tier)] += leads[i] * stage.work_days.mean
            leads[i] *= scenario.conversion_of(k, tier)
    days = scenario.horizon_days  # reps on hand on average over the horizon (a late hire counts for little)
    reps = {
        team.name: team.headcount + sum(h.count * max(0.0, days - h.day) for h in team.hires) / days
        for team in scenario.teams
    }
    return max((w / reps[name] if reps[name] else (np.inf if w else 0.0)) for name, w in work.items())


# Generated funnels make hundreds of comparisons per run (up to 30 funnels of at most 25 figures): at 5
# standard errors, 750 x 5.7e-7: false failures below 5e-4 per test.
_MANY = 5.0


def _straight_on(scenario: sim.Scenario) -> bool:
    """Does some team work a lead's next stage straight after the current one, with no customer-side time
    to speak of (under 0.01 days on average)?"""
    stages = scenario.stages
    return any(
        stage.wait_days is None or stage.wait_days.mean < 0.01
        for k, stage in enumerate(stages[:-1])
        if any(stage.team_for(t) == stages[k + 1].team_for(t) for t in scenario.tiers)
    )


def _work_scv(scenario: sim.Scenario) -> float:
    """The largest squared coefficient of variation of a stage's work time."""
    return max(st.work_days.var / st.work_days.mean**2 if st.work_days.mean > 1e-9 else 0.0 for st in scenario.stages)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
@given(funnels())
def test_generated_funnels_agree_in_counts_where_teams_keep_up(scenario):
    """Small random funnels (5 to 40 days, teams of 0 to 7 reps): leads, won, money and conversions
    agree where every team's work offered is at most 75% of its reps' time on average over the horizon
    (the nominal load: a short run's utilisation understates it) and work times' coefficient of variation is
    at most 2 (beyond, most leads wait not at all and a few very long: leads finishing near the horizon were
    13% short with a coefficient of variation of 8 over 5 days). Waits and utilisation on such short, small
    runs are not asserted: their queues start empty, and a few days decide them."""
    assume(_nominal_load(scenario) <= 0.75 and _work_scv(scenario) <= 4)  # else documented, not asserted
    table = agreement(scenario, z=_MANY)
    checked = table[~table.index.str.contains(": wait|: days in stage|: utilisation")]
    assert checked.ok.all(), checked[~checked.ok].to_string()


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
@given(funnels(horizon=(120, 365), attrition=0.5))
def test_generated_funnels_over_months_agree_in_counts_and_utilisation(scenario):
    """Random funnels over four months to a year, reps leaving at most half a year's headcount: leads, won,
    money, conversions and each team's utilisation agree where teams keep up and work times vary moderately.

    Waits on generated funnels are measured, not asserted: the flow model's team waits stray from the exact
    engine's by more than the 10% the playbooks and W1 meet on some of them (``make bench`` prints the
    share within 10%, 15% and 20% over a fixed sample: 72%, 91% and 100% on 2026-11-26, worst 17%). Known
    causes: new reps ramping up keep the slow pace of the day they start a job, which the team's summed
    productivity does not see (the worst cases); a lead handed straight on to the next
    stage of the same team arrives just as its rep frees up, not at random (exact waits 12-25% below the
    model's on small teams; such funnels are left out of that sample); a team's stages share its wait (single
    stages of small mixed teams up to 40% apart); and from an empty start the model's queue settles faster
    than a real one (M/M/1, 50% busy, 120 days: 0.97 days against 0.87)."""
    assume(_nominal_load(scenario) <= 0.75 and _work_scv(scenario) <= 4)
    table = agreement(scenario, z=_MANY)
    checked = table[~table.index.str.contains(": wait|: days in stage")]
    assert checked.ok.all(), checked[~checked.ok].to_string()


def test_cash_collected_on_a_short_horizon_counts_the_delay_from_the_win():
    """Five days, a day's customer-side wait, a day's collection delay: most deals are won in the last days,
    with little time left to be paid. The flow engine once took the delay from the start of the winning day
    and spread a month's wins evenly over its days, and collected a fifth more than the exact engines: over 2,000
    replications that was 11 of the intervals' standard errors."""
    scenario = sim.Scenario.model_validate(
        {
            "name": "short",
            "horizon_days": 5,
            "channels": [{"name": "all", "leads_per_day": 3.0}],
            "stages": [
                {
                    "name": "close",
                    "team": "reps",
                    "conversion": 0.8,
                    "work_days": {"dist": "exponential", "mean": 0.5},
                    "wait_days": {"dist": "exponential", "mean": 1.0},
                }
            ],
            "teams": [{"name": "reps", "headcount": 4}],
            "deal_value": {"dist": "fixed", "value": 1.0},
            "collection_days": {"dist": "exponential", "mean": 1.0},
        }
    )
    table = agreement(scenario, replications=2000)
    assert table.ok.all(), table[~table.ok].to_string()


def test_cli_runs_the_flow_engine(tmp_path, capsys):
    from sim.cli import main

    main(["run", str(W1), "--engine", "flow", "--replications", "20", "--out", str(tmp_path / "out")])
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert summary["engine"] == "flow" and summary["replications"] == 20
    assert summary["approximation"].startswith("flow:")


def test_routed_tiers_use_their_teams_capacity_and_skill():
    from tests.test_routing import _routed

    data = _routed().model_dump(mode="json", exclude_defaults=True)
    data["stages"][0]["wait_days"] = {"dist": "exponential", "mean": 2.0}
    scenario = sim.Scenario.model_validate(data)
    table = agreement(scenario)
    assert table.ok.all(), table[~table.ok].to_string()
    exact, flow = _run(scenario, "fast"), _run(scenario, "flow")
    slots = [r.stage_stats.groupby("team", sort=False)[["entered", "converted"]].mean() for r in (exact, flow)]
    assert list(slots[0].index) == list(slots[1].index) == ["reps", "seniors"]
    # Means over 200 replications of Poisson-like counts (600 to 1,800 entered, 360 to 720 converted): the gap's
    # relative sd is at most 0.53%, so 3% is 5.7 sd (false failures below 1e-7).
    np.testing.assert_allclose(slots[1].to_numpy(), slots[0].to_numpy(), rtol=0.03)


def test_priority_lanes_wait_as_cobham_says_in_a_stationary_queue():
    """One team, tiers A (first) and B, exponential work, a long horizon: each lane's wait settles to the
    exact M/M/c priority waits, and the lanes' waits average to the first-come-first-served wait."""
    from sim.engine.flow import _plan
    from sim.queueing import priority_waits

    scenario = sim.Scenario.model_validate(
        {
            "name": "priority",
            "horizon_days": 400,
            "channels": [{"name": "all", "leads_per_day": 3.0, "tiers": {"A": 0.3, "B": 0.7}}],
            "stages": [
                {"name": "serve", "team": "reps", "conversion": 1.0, "work_days": {"dist": "exponential", "mean": 1.0}}
            ],
            "teams": [{"name": "reps", "headcount": 4, "priority": ["A"]}],
            "deal_value": {"dist": "fixed", "value": 1.0},
        }
    )
    plan = _plan(scenario, None)
    wait = plan.teams([plan.rosters])[1][0, :, 200:350].mean(axis=1)  # (lanes,): settled, not yet cut off
    expected = priority_waits([0.9, 2.1], 1.0, 4)
    np.testing.assert_allclose(wait, expected, rtol=0.03)
    assert 0.3 * wait[0] + 0.7 * wait[1] == pytest.approx(mean_wait(3.0, 1.0, 4), rel=0.03)
