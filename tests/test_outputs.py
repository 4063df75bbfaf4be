"""Outputs: every command checks its --out before any work, writes files whole, cleans only its own stale files,
and writes strict JSON."""

from __future__ import annotations

import importlib
import json
import os
import sys

import pandas as pd
import pytest

import sim
import sim.cli
from sim.cli import main
from sim.outputs import output_dir, remove_stale, strict_json, write_with
from tests.conftest import MAVEN, ROOT, W1

SCENARIO = str(ROOT / "playbooks" / "b2b_saas.yaml")
PLAN = str(ROOT / "playbooks" / "incentives" / "flat.yaml")
SWEEP = "scenario: {scenario}\nparameters: {{teams.sdr.headcount: [4, 5]}}\nreplications: 2\n"


COMMANDS = [
    "run",
    "plan",
    "allocate",
    "hire",
    "compare",
    "sweep",
    "calibrate",
    "calibrate --report",
    "backtest",
    "forecast",
    "track",
    "diagnose",
    "tiers",
    "incentives",
    "report",
]


def _commands(tmp_path, out: str) -> dict[str, list[str]]:
    sweep = tmp_path / "sweep.yaml"
    sweep.write_text(SWEEP.format(scenario=SCENARIO))
    return {
        "run": ["run", SCENARIO, "--replications", "1", "--out", out],
        "plan": ["plan", SCENARIO, "--replications", "1", "--out", out],
        "allocate": ["allocate", SCENARIO, "--budget", "1000", "--replications", "1", "--out", out],
        "hire": ["hire", SCENARIO, "--target", "1000000", "--replications", "1", "--out", out],
        "compare": ["compare", SCENARIO, "--override", "teams.sdr.headcount=5", "--replications", "1", "--out", out],
        "sweep": ["sweep", str(sweep), "--out", out],
        "calibrate": ["calibrate", str(MAVEN), "--out", out + "/x.yaml"],
        "calibrate --report": ["calibrate", str(MAVEN), "--out", str(tmp_path / "ok.yaml"), "--report", out],
        "backtest": ["backtest", str(MAVEN), "--cutoff", "2017-06-30", "--out", out],
        "forecast": ["forecast", str(MAVEN), "--out", out],
        "track": ["track", str(tmp_path), str(MAVEN), "--as-of", "2017-09-10", "--out", out],
        "diagnose": ["diagnose", str(MAVEN), "--out", out],
        "tiers": ["tiers", str(MAVEN), "--out", out],
        "incentives": ["incentives", SCENARIO, "--plan", PLAN, "--replications", "1", "--out", out],
        "report": ["report", str(tmp_path), "--out", out + "/r.html"],
    }


@pytest.fixture
def no_work(monkeypatch):
    """Any simulation or CRM read fails the test: a bad --out must be refused before any work."""

    def refuse(*args, **kwargs):
        raise AssertionError("work started before the output path was checked")

    for name in ("simulate", "_read_crm"):
        monkeypatch.setattr(sim.cli, name, refuse)
    for module, name in (
        ("sim.crm", "read_opportunities"),
        ("sim.execution", "replicate"),
        ("sim.feasibility", "feasibility"),
        ("sim.allocation", "optimise"),
        ("sim.hiring", "hiring_plan"),
        ("sim.report", "build_report"),
    ):
        monkeypatch.setattr(importlib.import_module(module), name, refuse)


@pytest.mark.parametrize("command", COMMANDS)
def test_an_existing_file_as_out_is_refused_before_any_work(command, tmp_path, capsys, no_work):
    """The original failure: FileExistsError (a traceback), often after the whole simulation had run."""
    in_the_way = tmp_path / "taken"
    in_the_way.write_text("mine")
    commands = _commands(tmp_path, str(in_the_way))
    assert list(commands) == COMMANDS
    status = main(commands[command])
    err = capsys.readouterr().err
    assert status == 2 and "Traceback" not in err
    assert err.startswith("--out: ") or err.startswith("--report: "), err
    assert "is not a folder" in err or "is a file" in err
    assert in_the_way.read_text() == "mine"


@pytest.mark.parametrize("command", ["run", "diagnose", "calibrate"])
def test_an_out_that_cannot_be_made_is_refused_before_any_work(command, tmp_path, capsys, no_work):
    if not sys.platform.startswith("linux"):
        pytest.skip("uses /proc, where no folder can be made")
    status = main(_commands(tmp_path, "/proc/salesplay/out")[command])
    err = capsys.readouterr().err
    assert status == 2 and err.startswith("--out: cannot write in '/proc/salesplay") and "Traceback" not in err


def test_a_folder_where_a_file_is_expected_is_refused(tmp_path, capsys, no_work):
    (tmp_path / "scenario.yaml").mkdir()
    assert main(["calibrate", str(MAVEN), "--out", str(tmp_path / "scenario.yaml")]) == 2
    assert "is a folder; give a file name" in capsys.readouterr().err


def test_calibrate_creates_the_missing_folder_of_its_out(tmp_path, monkeypatch):
    """The README's own example, `calibrate ... --out out/maven.yaml`, crashed when out/ was missing."""
    monkeypatch.chdir(tmp_path)
    assert main(["calibrate", str(MAVEN), "--out", "out/maven.yaml"]) == 0
    assert sim.load(tmp_path / "out" / "maven.yaml").horizon_days == 365


def test_a_writer_that_fails_half_way_leaves_the_old_file(tmp_path):
    path = tmp_path / "report.xlsx"
    path.write_bytes(b"the good report")

    def half(tmp):
        with open(tmp, "wb") as f:
            f.write(b"half a rep")
        raise RuntimeError("a name Excel cannot store")

    with pytest.raises(RuntimeError):
        write_with(path, half)
    assert path.read_bytes() == b"the good report"
    assert [p.name for p in tmp_path.iterdir()] == ["report.xlsx"]  # no temporary file left behind


@pytest.mark.filterwarnings("ignore:Glyph 7")  # the chart of the bell character's name has no glyph for it
def test_a_report_that_fails_half_way_keeps_the_good_workbook(tmp_path, capsys):
    """The original failure: a strategy named with a control character replaced a good x.xlsx with a truncated one."""
    base = sim.load(SCENARIO).model_copy(update={"horizon_days": 30})
    bad = sim.experiments.Strategy.from_overrides("bad\x07name", base, {"teams.sdr.headcount": 5})
    sim.experiments.compare(
        [sim.experiments.Strategy("base", base), bad], replications=2, out=tmp_path / "cmp", progress=False
    )
    report = tmp_path / "x.xlsx"
    report.write_bytes(b"the good report")
    status = main(["report", str(tmp_path / "cmp"), "--out", str(report)])
    err = capsys.readouterr().err
    assert report.read_bytes() == b"the good report"
    if status != 0:  # escaped by the spreadsheet writer, or refused cleanly
        assert status == 2 and "cannot store" in err and "Traceback" not in err


def test_a_summary_only_run_removes_the_earlier_runs_per_lead_tables_and_nothing_else(tmp_path):
    """The original failure: `run --summary-only` over a full run left leads.parquet of another seed beside it."""
    out = tmp_path / "d"
    assert main(["run", str(W1), "--replications", "1", "--engine", "fast", "--out", str(out), "--quiet"]) == 0
    assert (out / "leads.parquet").exists()
    (out / "notes.txt").write_text("mine")
    assert (
        main(
            [
                "run",
                str(W1),
                "--replications",
                "1",
                "--engine",
                "fast",
                "--seed",
                "3",
                "--out",
                str(out),
                "--quiet",
                "--summary-only",
            ]
        )
        == 0
    )
    assert sorted(p.name for p in out.iterdir()) == [
        "monthly.parquet",
        "notes.txt",
        "replications.parquet",
        "stage_stats.parquet",
        "summary.json",
    ]


def test_remove_stale_removes_only_named_files(tmp_path):
    for name in ("a.csv", "b.csv", "c.csv"):
        (tmp_path / name).write_text(name)
    assert [p.name for p in remove_stale(tmp_path, ["a.csv", "b.csv"], ["a.csv"])] == ["b.csv"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "c.csv"]


def _strict(text: str):
    def refuse(constant):
        raise ValueError(f"{constant} is not JSON")

    return json.loads(text, parse_constant=refuse)


@pytest.mark.filterwarnings("ignore:invalid value encountered")  # quantiles of infinite revenue are undefined
def test_deal_values_that_overflow_give_strict_json_with_a_reason(tmp_path):
    """The original failure: `Infinity` in summary.json, which is not JSON."""
    huge = tmp_path / "huge.yaml"
    huge.write_text(
        W1.read_text().replace(
            "deal_value: {dist: lognormal, median: 20000, sigma: 0.8}", "deal_value: {dist: fixed, value: 1.0e+308}"
        )
    )
    out = tmp_path / "out"
    assert (
        main(
            [
                "run",
                str(huge),
                "--replications",
                "2",
                "--engine",
                "fast",
                "--out",
                str(out),
                "--quiet",
                "--summary-only",
            ]
        )
        == 0
    )
    summary = _strict((out / "summary.json").read_text())
    assert summary["revenue"]["mean"] is None
    assert summary["null_because"]["revenue.mean"] == "infinite (too large to represent)"


def test_strict_json_replaces_nan_and_infinity_everywhere():
    clean, reasons = strict_json({"a": [float("nan"), 1.0], "b": {"c": float("-inf")}, "d": pd.NA is None})
    assert clean == {"a": [None, 1.0], "b": {"c": None}, "d": False}
    assert set(reasons) == {"a[0]", "b.c"}


def test_output_dir_refuses_a_file_in_the_path(tmp_path):
    (tmp_path / "f").write_text("")
    with pytest.raises(sim.ScenarioError, match="is a file, so the folder"):
        output_dir(tmp_path / "f" / "g")


def test_odd_file_paths_are_refused_before_any_work(tmp_path, capsys, monkeypatch, no_work):
    monkeypatch.chdir(tmp_path)
    os.mkfifo("pipe.yaml")
    long = "x" * 300 + ".yaml"
    for out, message in [
        ("pipe.yaml", "--out: 'pipe.yaml' exists and is not a regular file"),
        (long, f"--out: cannot write '{long}' (File name too long)"),
    ]:
        assert main(["calibrate", str(MAVEN), "--out", out]) == 2
        assert capsys.readouterr().err.strip() == message


@pytest.mark.parametrize("out", ["", " ", "a\0b"])
def test_an_empty_out_is_not_the_current_folder(out, capsys):
    with pytest.raises(SystemExit) as exit:
        main(["run", str(W1), "--out", out])
    assert exit.value.code == 2 and "is not a path" in capsys.readouterr().err
