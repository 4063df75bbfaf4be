"""The command line: run writes summary.json with the promised fields and the tables."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from sim.cli import main
from tests.conftest import ROOT


def test_run_writes_summary_and_tables(tmp_path, capsys):
    out = tmp_path / "out"
    status = main(
        [
            "run",
            str(ROOT / "playbooks" / "b2b_saas.yaml"),
            "--replications",
            "2",
            "--seed",
            "7",
            "--out",
            str(out),
            "--quiet",
        ]
    )
    assert status == 0
    printed = capsys.readouterr().out
    assert "revenue" in printed and "qualify" in printed and "probability of reaching the target" in printed
    assert re.search(r"probability of reaching the target [\d,]+: \d+% \([\d.]+–[\d.]+%\)", printed), printed
    summary = json.loads((out / "summary.json").read_text())
    assert {
        "scenario",
        "engine",
        "replications",
        "seed",
        "leads",
        "won",
        "revenue",
        "collected",
        "p_hit_target",
        "mean_days_to_win",
        "stages",
    } <= set(summary)
    assert (summary["engine"], summary["replications"], summary["seed"]) == ("fast", 2, 7)
    for figure in ("leads", "won", "revenue", "collected"):
        assert set(summary[figure]) == {"mean", "p10", "p50", "p90"}
        assert summary[figure]["p10"] <= summary[figure]["p50"] <= summary[figure]["p90"]
    assert [s["name"] for s in summary["stages"]] == ["qualify", "discovery", "proposal", "negotiation"]
    assert {
        "name",
        "entered",
        "converted",
        "conversion_rate",
        "mean_wait_days",
        "mean_work_days",
        "mean_days_in_stage",
        "utilisation",
    } <= set(summary["stages"][0])
    leads = pd.read_parquet(out / "leads.parquet")
    replications = pd.read_parquet(out / "replications.parquet")
    assert len(leads) == sum(replications.leads + replications.opening)  # the year's, and the opening pipeline's
    assert summary["won"]["mean"] == (leads.outcome == "won").sum() / 2


def test_summary_only_run_keeps_no_per_lead_tables(tmp_path):
    out = tmp_path / "out"
    main(
        [
            "run",
            str(ROOT / "benchmarks" / "w1.yaml"),
            "--replications",
            "1",
            "--out",
            str(out),
            "--quiet",
            "--summary-only",
        ]
    )
    assert sorted(p.name for p in out.iterdir()) == [
        "monthly.parquet",
        "replications.parquet",
        "stage_stats.parquet",
        "summary.json",
    ]


def test_bad_arguments_exit_2(capsys):
    with pytest.raises(SystemExit) as exit:
        main(["run", "x.yaml", "--replications", "0"])
    assert exit.value.code == 2
    assert "0 is not a positive whole number" in capsys.readouterr().err


@pytest.mark.parametrize(
    "args, message",
    [
        (["run", "x.yaml", "--seed", "-1"], "argument --seed: -1 is not a seed (a whole number, 0 or more)"),
        (["run", "x.yaml", "--seed", "one"], "argument --seed: 'one' is not a whole number"),
        (["plan", "x.yaml", "--challenge", "-1"], "argument --challenge: -1 is not a positive number"),
        (["plan", "x.yaml", "--challenge", "nan"], "argument --challenge: nan is not a finite number"),
        (["plan", "x.yaml", "--challenge", "inf"], "argument --challenge: inf is not a finite number"),
        (["forecast", "x", "--out", "o", "--target", "nan"], "argument --target: nan is not a finite number"),
        (["allocate", "x.yaml", "--budget", "-5"], "argument --budget: -5 is not zero or a positive number"),
        (
            ["compare", "x.yaml", "--dask", "tcp://no port"],
            "argument --dask: 'tcp://no port' is not 'local' or a scheduler address such as tcp://host:8786",
        ),
        (["sweep", "x.yaml", "--out", "o", "--dask", "host:99999"], "argument --dask: 'host:99999' is not 'local'"),
    ],
)
def test_bad_numbers_and_addresses_exit_2_with_one_message(args, message, capsys):
    """The original failures: tracebacks for --seed -1 and a malformed --dask; negative deals planned for
    --challenge -1."""
    with pytest.raises(SystemExit) as exit:
        main(args)
    assert exit.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_an_unreachable_scheduler_fails_within_seconds(tmp_path, capsys):
    """The original failure: a traceback after 30 s. Port 1 on this machine refuses at once; the bound is generous."""
    import time

    started = time.monotonic()
    status = main(
        [
            "compare",
            str(ROOT / "benchmarks" / "w1.yaml"),
            "--override",
            "teams.qualifiers.headcount=21",
            "--replications",
            "1",
            "--dask",
            "tcp://127.0.0.1:1",
            "--quiet",
        ]
    )
    err = capsys.readouterr().err
    assert status == 2 and err.startswith("--dask: cannot reach a Dask scheduler at 'tcp://127.0.0.1:1' within 5 s")
    assert time.monotonic() - started < 30
