"""Experiments: common random numbers, intervals, p_best, sweep designs, resumable storage."""

from __future__ import annotations

import json
import os

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import sim
from sim.cli import main
from sim.errors import ScenarioError
from sim.execution import replicate
from sim.service import ServiceLevels
from sim.experiments import (
    Comparison,
    Strategy,
    SweepSpec,
    compare,
    design_points,
    load_strategies,
    load_sweep,
    p_best,
    p_best_by,
    sensitivity,
    sweep,
)

from .conftest import ROOT

B2B = sim.load(ROOT / "playbooks" / "b2b_saas.yaml").model_copy(update={"horizon_days": 90})

SPEC = f"""\
scenario: {ROOT / "playbooks" / "b2b_saas.yaml"}
parameters:
  teams.solutions.headcount: [9, 13]
  channels.inbound.leads_per_day: [20, 30, 40]
replications: 3
seed: 5
overrides: {{horizon_days: 60, targets.annual_revenue: 1500000}}
"""


@pytest.fixture
def spec_file(tmp_path):
    path = tmp_path / "sweep.yaml"
    path.write_text(SPEC)
    return path


def test_common_random_numbers_make_paired_differences_far_less_noisy(seed):
    """Over 8 seeds the paired sd was 0.11 of the unpaired one (at most 0.15). Were the true ratio 0.16, a
    sample ratio of sds of 15 replications above 0.5 would need an F(14, 14) above 9.8: false failures below
    1e-4, for any seed."""
    less = Strategy.from_overrides("fewer consultants", B2B, {"teams.solutions.headcount": 16})
    paired = compare([Strategy("base", B2B), less], replications=15, seed=seed, progress=False)
    table = paired.replications
    base, other = (table[table.strategy == n].reset_index(drop=True) for n in ("base", "fewer consultants"))
    assert base["leads"].equals(other["leads"])  # the same arrivals in every replication
    assert base["marketing_cost"].equals(other["marketing_cost"])
    diff = paired.differences("revenue").iloc[0]
    # Independent runs (another seed for the second strategy) give the unpaired spread.
    independent = compare([less], replications=15, seed=seed + 1, progress=False).replications["revenue"].to_numpy()
    unpaired = other["revenue"].to_numpy() - independent
    assert diff["sd_paired"] < 0.5 * unpaired.std(ddof=1)
    assert diff["sd_paired"] < 0.5 * diff["sd_unpaired"]


def test_a_strategy_against_itself_differs_by_exactly_zero_and_ties_for_best():
    result = compare([Strategy("a", B2B), Strategy("b", B2B)], replications=3, seed=2, progress=False)
    summary = result.summary()
    diff = summary["strategies"][1]["revenue_difference"]
    assert (diff["mean"], diff["ci95"], diff["sd_paired"]) == (0.0, [0.0, 0.0], 0.0)
    assert [s["p_best"] for s in summary["strategies"]] == [0.5, 0.5]


def test_intervals_are_the_hand_worked_ones():
    table = pd.DataFrame(
        {
            "strategy": ["a"] * 3 + ["b"] * 3,
            "replication": [0, 1, 2] * 2,
            "revenue": [1.0, 2.0, 3.0, 2.0, 4.0, 6.0],
            "won": [1, 2, 3, 1, 1, 1],
            "marketing_cost": [1.0] * 6,
            "hit_target": [0.0, 1.0, 1.0, 1.0, 1.0, 1.0],
        }
    )
    table = table.assign(
        staff_cost=0.0,
        hiring_cost=0.0,
        commission_cost=0.0,
        total_cost=table.marketing_cost,
        profit=table.revenue - table.marketing_cost,
    )
    result = Comparison([Strategy("a", B2B), Strategy("b", B2B)], table, seed=0, engine="des")
    a, b = result.summary()["strategies"]
    half = stats.t.ppf(0.975, 2) * 1.0 / np.sqrt(3)  # sd 1, n 3
    assert a["revenue"]["ci95"] == pytest.approx([2 - half, 2 + half])
    assert b["revenue_difference"]["mean"] == pytest.approx(2.0)  # differences 1, 2, 3
    assert b["revenue_difference"]["ci95"] == pytest.approx([2 - half, 2 + half])
    assert a["p_hit_target"]["mean"] == pytest.approx(2 / 3)
    assert b["p_best"] == 1.0 and a["p_best"] == 0.0
    assert a["revenue"]["p50"] == 2.0


def test_p_best_shares_ties():
    table = pd.DataFrame({"strategy": list("abcabc"), "replication": [0, 0, 0, 1, 1, 1], "revenue": [3, 3, 1, 0, 1, 2]})
    assert p_best(table).to_dict() == {"a": 0.25, "b": 0.25, "c": 0.5}


def test_serial_and_local_processes_give_identical_comparisons():
    strategies = [Strategy("base", B2B), Strategy.from_overrides("more", B2B, {"teams.sdr.headcount": 6})]
    serial = compare(strategies, replications=2, seed=3, workers=1, progress=False)
    parallel = compare(strategies, replications=2, seed=3, workers=2, progress=False)
    pd.testing.assert_frame_equal(serial.replications, parallel.replications, check_exact=True)


def test_grid_design_is_the_full_product():
    spec = SweepSpec(scenario="x", parameters={"a": [1, 2], "b": [0.1, 0.2, 0.3]})
    points = design_points(spec)
    assert len(points) == 6 and set(map(tuple, points.to_numpy())) == {(a, b) for a in (1, 2) for b in (0.1, 0.2, 0.3)}


@settings(max_examples=25, deadline=None)
@given(n=st.integers(2, 40), seed=st.integers(0, 2**31), low=st.floats(-100, 100), width=st.floats(0.1, 100))
def test_latin_hypercube_puts_one_point_in_each_stratum(n, seed, low, width):
    spec = SweepSpec(
        scenario="x", design="lhs", points=n, seed=seed, parameters={"x": [low, low + width], "k": [0, 10 * n - 1]}
    )
    points = design_points(spec)
    strata = np.floor((points["x"] - low) / width * n).clip(0, n - 1)
    assert sorted(strata) == list(range(n))
    assert sorted(points["k"] // 10) == list(range(n))  # whole numbers, stratified too
    assert points.equals(design_points(spec))  # the same spec gives the same points


def test_sweep_writes_one_tidy_row_per_point_and_replication(spec_file, tmp_path):
    spec = load_sweep(spec_file)
    result = sweep(spec, tmp_path / "out", progress=False)
    table = result.table()
    assert list(table.columns[:4]) == [
        "point",
        "teams.solutions.headcount",
        "channels.inbound.leads_per_day",
        "replication",
    ]
    assert len(table) == 6 * 3
    point = table[table.point == 4].drop(columns=table.columns[:3]).reset_index(drop=True)
    expected = replicate(spec.scenarios[4], 5, 3)
    pd.testing.assert_frame_equal(point, expected, check_exact=True)
    assert spec.scenarios[4].team("solutions").headcount == 13
    assert spec.scenarios[4].channels[0].leads_per_day == 30
    assert result.by_point()["hit_target"].between(0, 1).all()


def test_sweep_resumes_without_recomputing_and_a_finished_sweep_is_a_no_op(spec_file, tmp_path):
    spec = load_sweep(spec_file)
    out = tmp_path / "out"
    first = sweep(spec, out, progress=False).table()
    chunks = sorted((out / "chunks").glob("*.parquet"))
    stamps = {p: p.stat().st_mtime_ns for p in chunks}
    (out / "results.parquet").unlink()
    chunks[2].unlink()
    resumed = sweep(spec, out, progress=False).table()
    pd.testing.assert_frame_equal(first, resumed, check_exact=True)
    assert all(p.stat().st_mtime_ns == stamps[p] for p in chunks if p != chunks[2])  # others untouched
    results_stamp = (out / "results.parquet").stat().st_mtime_ns
    sweep(spec, out, progress=False)
    assert (out / "results.parquet").stat().st_mtime_ns == results_stamp
    sweep(spec, out, progress=False, force=True)
    assert (out / "results.parquet").stat().st_mtime_ns != results_stamp


def test_a_directory_of_another_sweep_is_refused(spec_file, tmp_path):
    sweep(load_sweep(spec_file), tmp_path / "out", progress=False)
    spec_file.write_text(SPEC.replace("seed: 5", "seed: 6"))
    with pytest.raises(ScenarioError, match="holds another run"):
        sweep(load_sweep(spec_file), tmp_path / "out", progress=False)


def test_sweep_file_errors_name_file_line_and_field(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(SPEC.replace("teams.solutions.headcount: [9, 13]", "teams.nosuch.headcount: [9, 13]"))
    with pytest.raises(ScenarioError) as exc:
        load_sweep(path)
    assert str(exc.value).startswith(f"{path}:3: parameters.teams.nosuch.headcount: team 'nosuch' does not exist")
    path.write_text(SPEC.replace("[9, 13]", "[9, -1]"))
    with pytest.raises(ScenarioError, match=r":3: parameters.teams.solutions.headcount: -1 is not zero or a positive"):
        load_sweep(path)
    path.write_text(SPEC + "design: lhs\n")
    with pytest.raises(ScenarioError) as exc:
        load_sweep(path)
    assert "points: missing: a lhs design needs a number of points" in str(exc.value)
    assert "parameters.channels.inbound.leads_per_day: [20, 30, 40] is not a range [low, high]" in str(exc.value)
    path.write_text(SPEC.replace("replications: 3", "replications: 0"))
    with pytest.raises(ScenarioError, match=r"bad.yaml:5: replications: 0 is not a positive whole number"):
        load_sweep(path)


def test_sensitivity_ranks_the_parameter_that_matters_first():
    grid = pd.DataFrame([(a, b) for a in (1, 2, 3) for b in (10, 20)], columns=["a", "b"])
    grid["y"] = 0.2 * grid["a"] + 0.001 * grid["b"]
    table = sensitivity(grid, ["b", "a"], "y")
    assert table["parameter"].tolist() == ["a", "b"]
    assert table.loc[0, "swing"] == pytest.approx(0.4) and table.loc[1, "swing"] == pytest.approx(0.01)
    many = pd.DataFrame({"x": np.arange(30.0), "y": np.arange(30.0)})
    assert sensitivity(many, ["x"], "y").loc[0, ["low", "high"]].tolist() == pytest.approx([4.5, 24.5])


def test_cli_compare_writes_comparison_json(tmp_path, capsys):
    out = tmp_path / "cmp"
    path = tmp_path / "b2b.yaml"
    sim.dump(B2B, path)
    code = main(
        [
            "compare",
            str(path),
            "--override",
            "teams.solutions.headcount=10",
            "--replications",
            "3",
            "--seed",
            "1",
            "--out",
            str(out),
            "--quiet",
            "--workers",
            "1",
        ]
    )
    assert code == 0
    summary = json.loads((out / "comparison.json").read_text())
    base, other = summary["strategies"]
    assert base["name"] == "b2b" and other["name"] == "b2b + teams.solutions.headcount=10"
    assert other["overrides"] == {"teams.solutions.headcount": 10}
    for figure in ("revenue", "won", "marketing_cost"):
        assert set(base[figure]) >= {"mean", "p10", "p50", "p90", "ci95"}
    assert set(other["revenue_difference"]) >= {"against", "mean", "ci95"} and "revenue_difference" not in base
    assert "p_best" in other
    assert base["p_hit_target"]["mean"] == 0.0  # a year's target in 90 days
    assert sum(s["p_best"] for s in summary["strategies"]) == pytest.approx(1.0)


def test_cli_bad_input_exits_2_without_traceback(tmp_path, capsys):
    path = tmp_path / "b2b.yaml"
    sim.dump(B2B, path)
    out = str(tmp_path / "o")
    assert main(["compare", str(path), "--override", "teams.nosuch.headcount=3", "--out", out, "--quiet"]) == 2
    assert "--override: teams.nosuch.headcount: team 'nosuch' does not exist" in capsys.readouterr().err
    assert main(["compare", str(path), "--out", out, "--quiet"]) == 2
    assert "two or more" in capsys.readouterr().err
    bad = tmp_path / "s.yaml"
    bad.write_text(SPEC.replace("seed: 5", "seed: 5\nworkers: 3"))
    assert main(["sweep", str(bad), "--out", out, "--quiet"]) == 2
    assert "s.yaml:7: workers: unknown field" in capsys.readouterr().err
    assert main(["report", str(tmp_path), "--out", str(tmp_path / "r.html")]) == 2
    assert "holds no run, comparison or sweep" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["b2b_saas_staffing.yaml", "b2b_saas_lhs.yaml"])
def test_shipped_sweeps_load_and_run(name, tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    spec = load_sweep(ROOT / "playbooks" / "sweeps" / name)
    assert len(spec.points) in (18, 40) and spec.spec.replications == 100
    small = tmp_path / name
    small.write_text(
        (ROOT / "playbooks" / "sweeps" / name)
        .read_text()
        .replace("replications: 100", "replications: 2")
        .replace("../b2b_saas.yaml", str(ROOT / "playbooks" / "b2b_saas.yaml"))
    )
    assert main(["sweep", str(small), "--out", str(tmp_path / "out"), "--workers", "1", "--quiet"]) == 0
    assert main(["report", str(tmp_path / "out"), "--out", str(tmp_path / "report.html")]) == 0
    assert len(pd.read_parquet(tmp_path / "out" / "results.parquet")) == len(spec.points) * 2


def test_compare_the_shipped_playbooks_then_report(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    out = tmp_path / "cmp"
    files = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "playbooks").glob("*.yaml"))
    assert (
        main(
            [
                "compare",
                *files,
                "--override",
                "teams.solutions.headcount=15",
                "--replications",
                "3",
                "--out",
                str(out),
                "--quiet",
                "--workers",
                "1",
            ]
        )
        == 0
    )
    summary = json.loads((out / "comparison.json").read_text())
    assert [s["name"] for s in summary["strategies"]][: len(files)] == [os.path.basename(f)[:-5] for f in files]
    assert main(["report", str(out), "--out", str(tmp_path / "r.xlsx")]) == 0


def test_a_comparison_with_a_results_directory_resumes(tmp_path):
    strategies = [Strategy("base", B2B), Strategy.from_overrides("more", B2B, {"teams.sdr.headcount": 6})]
    out = tmp_path / "cmp"
    first = compare(strategies, replications=3, seed=2, progress=False, out=out)
    chunk = out / "chunks" / "00000.parquet"
    stamp = chunk.stat().st_mtime_ns
    (out / "chunks" / "00001.parquet").unlink()
    (out / "comparison.json").unlink()
    again = compare(strategies, replications=3, seed=2, progress=False, out=out)
    assert chunk.stat().st_mtime_ns == stamp  # the finished strategy was not run again
    pd.testing.assert_frame_equal(first.replications, again.replications, check_exact=True)
    assert json.loads((out / "comparison.json").read_text()) == first.summary()
    with pytest.raises(ScenarioError, match="holds another run"):
        compare(strategies, replications=4, seed=2, progress=False, out=out)


# --------------------------------------------------------------------------- objectives and strategy files

STRATEGIES = """\
more inbound:
  channels.inbound.leads_per_day: 36
more inbound, one more SDR:
  channels.inbound.leads_per_day: 36
  teams.sdr.headcount: 5
"""


def test_a_strategy_file_combines_changes(tmp_path):
    path = tmp_path / "strategies.yaml"
    path.write_text(STRATEGIES)
    first, both = load_strategies(path, B2B)
    assert first.name == "more inbound" and first.scenario.channels[0].leads_per_day == 36
    assert first.scenario.team("sdr").headcount == B2B.team("sdr").headcount  # the other change is not applied
    assert both.scenario.channels[0].leads_per_day == 36 and both.scenario.team("sdr").headcount == 5
    assert both.overrides == {"channels.inbound.leads_per_day": 36, "teams.sdr.headcount": 5}


@pytest.mark.parametrize(
    "text, message",
    [
        ("- teams.sdr.headcount: 5\n", "s.yaml:1: is not a mapping of strategy name to overrides"),
        ("fine:\n  teams.sdr.headcount: 5\nempty: {}\n", "s.yaml:3: empty: needs one or more overrides"),
        (
            "a:\n  teams.sdr.headcount: 5\nb:\n  teams.sdrr.headcount: 5\n",
            "s.yaml:4: b.teams.sdrr.headcount: team 'sdrr' does not exist (did you mean 'sdr'?)",
        ),
        ("a:\n  channels.inbound.cost_per_lead: -1\n", "s.yaml:2: a.channels.inbound.cost_per_lead: -1"),
    ],
)
def test_a_bad_strategy_file_is_refused_at_its_line_and_field(tmp_path, capsys, text, message):
    path = tmp_path / "s.yaml"
    path.write_text(text)
    scenario = tmp_path / "b2b.yaml"
    sim.dump(B2B, scenario)
    assert main(["compare", str(scenario), "--strategies", str(path), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_compare_ranks_by_profit_and_shows_cost_beside_revenue(tmp_path, capsys):
    path, scenario = tmp_path / "strategies.yaml", tmp_path / "b2b.yaml"
    path.write_text(STRATEGIES)
    sim.dump(B2B, scenario)
    assert (
        main(
            [
                "compare",
                str(scenario),
                "--strategies",
                str(path),
                "--replications",
                "4",
                "--quiet",
                "--workers",
                "1",
                "--out",
                str(tmp_path / "out"),
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert "ranked by profit" in printed and all(column in printed for column in ("revenue", "cost", "profit"))
    summary = json.loads((tmp_path / "out" / "comparison.json").read_text())
    table = pd.read_parquet(tmp_path / "out" / "replications.parquet")
    assert summary["objective"] == "profit"
    # profit is revenue minus the parts of the cost, replication by replication
    parts = table[["marketing_cost", "staff_cost", "hiring_cost", "commission_cost"]].sum(axis=1)
    assert np.allclose(table.total_cost, parts, rtol=1e-12) and np.allclose(
        table.profit, table.revenue - parts, rtol=1e-12
    )
    means = {s["name"]: s["profit"]["mean"] for s in summary["strategies"]}
    assert summary["ranking"] == sorted(means, key=lambda name: -means[name])
    assert sum(s["p_best"] for s in summary["strategies"]) == pytest.approx(1.0)
    wide = table.pivot(index="replication", columns="strategy", values="profit")
    share = (wide.idxmax(axis=1).value_counts() / len(wide)).to_dict()  # no ties between distinct strategies
    assert {s["name"]: s["p_best"] for s in summary["strategies"]} == {n: share.get(n, 0.0) for n in means}
    extra = (
        summary["strategies"][1]["costs"]["marketing"]["mean"] - summary["strategies"][0]["costs"]["marketing"]["mean"]
    )
    assert extra > 0  # more inbound leads cost more marketing


def test_p_best_by_target_resamples_the_pairs():
    """b reaches the target in every replication, a in half of 40: a resample of 40 in which a reaches it every
    time has probability 0.5**40, so b is best in every one of the resamples."""
    table = pd.DataFrame(
        {
            "strategy": ["a", "b"] * 40,
            "replication": np.repeat(np.arange(40), 2),
            "hit_target": np.ravel([[r % 2, 1.0] for r in range(40)]),
        }
    )
    assert p_best_by(table, "p_target").to_dict() == {"a": 0.0, "b": 1.0}
    assert p_best_by(table.assign(hit_target=1.0), "p_target").to_dict() == {"a": 0.5, "b": 0.5}
    table["profit"] = np.where(table.strategy == "a", 2.0, 1.0)
    assert p_best_by(table, "profit").to_dict() == {"a": 1.0, "b": 0.0}


# --------------------------------------------------------------------------- service levels


def _one_team(leads_per_day: float) -> sim.Scenario:
    """Ten reps working a day per lead: 6 leads a day keep them 60% busy, 12 a day ask 120% of them."""
    return sim.Scenario.model_validate(
        {
            "name": "one team",
            "horizon_days": 60,
            "channels": [{"name": "web", "leads_per_day": leads_per_day, "cost_per_lead": 5}],
            "stages": [
                {"name": "sell", "team": "reps", "conversion": 0.3, "work_days": {"dist": "exponential", "mean": 1.0}}
            ],
            "teams": [{"name": "reps", "headcount": 10, "cost_per_rep_year": 50000}],
            "deal_value": {"dist": "fixed", "value": 1000},
        }
    )


def test_a_strategy_that_breaks_a_service_level_is_never_the_winner(tmp_path, capsys):
    """Doubling the leads earns more (the reps' idle time turns into deals) but leaves the team fully busy and
    the queue growing by about two leads a day, so its leads wait days, not hours: 12 leads a day is 120% of
    the work the team can do. Without limits it wins; with them it ranks last, breaks both limits, and has no
    probability of being best. The margins are structural (60% busy against 100%; a wait of a few hours
    against days by the end of the 60 days), not a few standard errors: 8 replications cannot turn them."""
    base, doubled = tmp_path / "base.yaml", tmp_path / "strategies.yaml"
    sim.dump(_one_team(6), base)
    doubled.write_text("twice the leads:\n  channels.web.leads_per_day: 12\n")
    run = ["compare", str(base), "--strategies", str(doubled), "--replications", "8", "--quiet", "--workers", "1"]
    assert main([*run, "--out", str(tmp_path / "free")]) == 0
    free = json.loads((tmp_path / "free" / "comparison.json").read_text())
    assert free["winner"] == free["ranking"][0] == "twice the leads" and "service_levels" not in free
    capsys.readouterr()
    assert main([*run, "--max-wait", "sell:2:0.9", "--max-utilisation", "0.85", "--out", str(tmp_path / "held")]) == 0
    printed = capsys.readouterr().out
    held = json.loads((tmp_path / "held" / "comparison.json").read_text())
    assert held["ranking"] == ["base", "twice the leads"] and held["winner"] == "base"
    kept, broken = held["strategies"]
    assert kept["keeps_service_levels"] and kept["service"]["broken"] == [] and kept["p_best"] == 1.0
    assert broken["service"]["broken"] == ["max-wait sell:2:0.9", "max-utilisation reps"]
    assert broken["p_best"] is None and "breaks a service level" in broken["p_best_null_because"]
    assert broken["profit"]["mean"] > kept["profit"]["mean"]  # the better profit is what the limits turn down
    assert kept["service"]["utilisation"]["reps"] < 0.7 < 0.95 < broken["service"]["utilisation"]["reps"]
    assert held["service_levels"] == {
        "max_wait": [{"stage": "sell", "days": 2.0, "share": 0.9}],
        "max_utilisation": 0.85,
    }
    assert "twice the leads: sell" in printed and "breaks max-wait sell:2:0.9, max-utilisation reps" in printed
    assert "winner: base (best profit among the strategies that keep the service levels)" in printed
    # the money of the comparison and of its service measurement come from the same simulated replications
    table = pd.read_parquet(tmp_path / "held" / "replications.parquet")
    assert held["strategies"][1]["revenue"] == free["strategies"][1]["revenue"]
    assert np.allclose(table[table.strategy == "base"].profit.mean(), kept["profit"]["mean"], rtol=1e-12)


def test_compare_refuses_service_levels_it_cannot_measure(tmp_path, capsys):
    base = tmp_path / "base.yaml"
    sim.dump(_one_team(6), base)
    run = ["compare", str(base), "--override", "teams.reps.headcount=9", "--quiet"]
    assert main([*run, "--max-wait", "qualify:3"]) == 2
    assert "--max-wait: stage 'qualify' does not exist" in capsys.readouterr().err
    assert main([*run, "--max-utilisation", "0.85", "--engine", "flow"]) == 2
    assert "--engine: service levels are measured lead by lead" in capsys.readouterr().err


def test_the_report_of_a_comparison_names_no_winner_that_breaks_a_service_level(tmp_path):
    from sim.report import build_report

    strategies = [
        Strategy("base", _one_team(6)),
        Strategy.from_overrides("twice", _one_team(6), {"channels.web.leads_per_day": 12}),
    ]
    levels = ServiceLevels(max_utilisation=0.85)
    compare(strategies, replications=4, seed=1, progress=False, out=tmp_path / "held", levels=levels)
    report = build_report(tmp_path / "held")
    assert report.title.endswith("best base")
    table = report.tables["service levels"].set_index("strategy")
    assert table.loc["twice", "breaks"] == "max-utilisation reps" and not table.loc["twice", "keeps them"]
    compare(strategies[1:], replications=4, seed=1, progress=False, out=tmp_path / "none", levels=levels)
    assert build_report(tmp_path / "none").title.endswith("no strategy keeps every service level")
