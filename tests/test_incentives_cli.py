"""``python -m sim incentives``: payouts.parquet and incentives.json, bad plans exit 2 with one line each."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from sim.cli import main

from tests.conftest import ROOT

TINY = Path(__file__).with_name("incentives") / "tiny.yaml"
PLANS = ROOT / "playbooks" / "incentives"


def test_incentives_writes_payouts_and_summary_on_common_random_numbers(tmp_path, capsys):
    out = tmp_path / "out"
    status = main(
        [
            "incentives",
            str(TINY),
            "--plan",
            str(PLANS / "flat.yaml"),
            "--compare",
            str(PLANS / "accelerator_capped.yaml"),
            "--replications",
            "3",
            "--seed",
            "4",
            "--out",
            str(out),
            "--quiet",
        ]
    )
    assert status == 0
    printed = capsys.readouterr().out
    assert "2 plans on the same 3 replications" in printed and "accelerator_capped" in printed
    summary = json.loads((out / "incentives.json").read_text())
    assert summary["reference"] == "flat" and [p["plan"] for p in summary["plans"]] == ["flat", "accelerator_capped"]
    for plan in summary["plans"]:
        for name in ("revenue", "comp_cost", "cost_of_sales", "share_at_quota", "gini", "p_hit_target"):
            assert set(plan[name]) == {"mean", "p10", "p50", "p90"}
    flat, capped = summary["plans"]
    assert flat["revenue"] == capped["revenue"]  # same run, elasticity 0
    # the mean of differences against the difference of means: equal but for the last bit of rounding
    assert capped["extra_cost"]["mean"] == pytest.approx(
        capped["comp_cost"]["mean"] - flat["comp_cost"]["mean"], rel=1e-12
    )
    payouts = pd.read_parquet(out / "payouts.parquet")
    assert set(payouts.plan) == {"flat", "accelerator_capped"}
    assert payouts.groupby("plan").amount.sum()["flat"] == pytest.approx(flat["comp_cost"]["mean"] * 3, rel=1e-12)


def test_a_bad_plan_exits_2_with_file_line_and_field(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "name: bad\ncommission:\n  tiers:\n    - {from_attainment: 0, rate: 0.1}\n"
        "    - {from_attainment: 0, rate: 0.2}\n",
        encoding="utf-8",
    )
    assert main(["incentives", str(TINY), "--plan", str(bad), "--replications", "1"]) == 2
    err = capsys.readouterr().err
    assert f"{bad}:5: commission.tiers[1].from_attainment: 0 is not above the previous tier's 0" in err


def test_a_plan_naming_a_missing_team_exits_2(tmp_path, capsys):
    plan = tmp_path / "team.yaml"
    plan.write_text("name: t\nteam: closer\n", encoding="utf-8")
    assert main(["incentives", str(TINY), "--plan", str(plan), "--replications", "1"]) == 2
    assert f"{plan}:2: team: team 'closer' does not exist (did you mean 'closers'?)" in capsys.readouterr().err


def test_without_a_plan_the_scenario_attached_plan_is_the_reference_and_the_command_says_so(tmp_path, capsys):
    scenario = tmp_path / "attached.yaml"
    scenario.write_text(
        TINY.read_text(encoding="utf-8") + f"incentives: {{closers: '{PLANS / 'flat.yaml'}'}}\n", encoding="utf-8"
    )
    options = ["--compare", str(PLANS / "accelerator_capped.yaml"), "--replications", "2", "--quiet"]
    assert main(["incentives", str(scenario), *options, "--out", str(tmp_path / "attached")]) == 0
    assert f"reference plan: flat, the plan {scenario} attaches to closers" in capsys.readouterr().out
    assert (
        main(["incentives", str(TINY), "--plan", str(PLANS / "flat.yaml"), *options, "--out", str(tmp_path / "given")])
        == 0
    )
    attached, given = (json.loads((tmp_path / name / "incentives.json").read_text()) for name in ("attached", "given"))
    assert attached["reference"] == "flat"
    assert attached["plans"] == given["plans"]  # the attached plan pays as the same file given with --plan


def test_without_a_plan_and_none_attached_exits_2_saying_so(capsys):
    assert main(["incentives", str(TINY), "--replications", "1"]) == 2
    err = capsys.readouterr().err
    assert f"--plan: {TINY} attaches no incentive plan (its `incentives`): give the plan to price" in err
    assert "Traceback" not in err


def test_without_a_plan_and_plans_attached_to_two_teams_exits_2_asking_which(tmp_path, capsys):
    flat = PLANS / "flat.yaml"
    scenario = tmp_path / "two.yaml"
    scenario.write_text(
        TINY.read_text(encoding="utf-8") + f"incentives: {{sdr: '{flat}', closers: '{flat}'}}\n", encoding="utf-8"
    )
    assert main(["incentives", str(scenario), "--replications", "1"]) == 2
    assert (
        f"--plan: {scenario} attaches plans to 2 teams (sdr, closers): say which plan is the reference"
        in capsys.readouterr().err
    )
