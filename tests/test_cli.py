"""The command line: run writes summary.json with the promised fields and the tables."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from sim.cli import main
from tests.conftest import ROOT


def test_run_writes_summary_and_tables(tmp_path, capsys):
    out = tmp_path / "out"
    status = main(["run", str(ROOT / "playbooks" / "b2b_saas.yaml"), "--replications", "2", "--seed", "7",
                   "--out", str(out), "--quiet"])
    assert status == 0
    printed = capsys.readouterr().out
    assert "revenue" in printed and "qualify" in printed and "probability of reaching the target" in printed
    summary = json.loads((out / "summary.json").read_text())
    assert {"scenario", "engine", "replications", "seed", "leads", "won", "revenue", "collected",
            "p_hit_target", "mean_days_to_win", "stages"} <= set(summary)
    assert (summary["engine"], summary["replications"], summary["seed"]) == ("des", 2, 7)
    for figure in ("leads", "won", "revenue", "collected"):
        assert set(summary[figure]) == {"mean", "p10", "p50", "p90"}
        assert summary[figure]["p10"] <= summary[figure]["p50"] <= summary[figure]["p90"]
    assert [s["name"] for s in summary["stages"]] == ["qualify", "discovery", "proposal", "negotiation"]
    assert {"name", "entered", "converted", "conversion_rate", "mean_wait_days", "mean_work_days",
            "mean_days_in_stage", "utilisation"} <= set(summary["stages"][0])
    leads = pd.read_parquet(out / "leads.parquet")
    replications = pd.read_parquet(out / "replications.parquet")
    assert len(leads) == sum(replications.leads + replications.opening)  # the year's, and the opening pipeline's
    assert summary["won"]["mean"] == (leads.outcome == "won").sum() / 2


def test_summary_only_run_keeps_no_per_lead_tables(tmp_path):
    out = tmp_path / "out"
    main(["run", str(ROOT / "benchmarks" / "w1.yaml"), "--replications", "1", "--out", str(out), "--quiet",
          "--summary-only"])
    assert sorted(p.name for p in out.iterdir()) == ["monthly.parquet", "replications.parquet", "stage_stats.parquet",
                                                               "summary.json"]


def test_bad_arguments_exit_2(capsys):
    with pytest.raises(SystemExit) as exit:
        main(["run", "x.yaml", "--replications", "0"])
    assert exit.value.code == 2
    assert "0 is not a positive whole number" in capsys.readouterr().err
