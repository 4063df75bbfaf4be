"""Scenario files: valid playbooks load, and every bad file prints exactly its expected lines."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

import sim
from sim.cli import main
from tests.conftest import PLAYBOOKS, ROOT, W1

INVALID = sorted((Path(__file__).parent / "playbooks" / "invalid").glob("*.yaml"))


@pytest.mark.parametrize("path", PLAYBOOKS + [W1], ids=lambda p: p.name)
def test_shipped_scenarios_are_valid_and_round_trip(path, tmp_path):
    scenario = sim.load(path)
    copy = tmp_path / "copy.yaml"
    sim.dump(scenario, copy)
    assert sim.load(copy) == scenario


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.name)
def test_invalid_file_prints_every_problem_one_line_each(path, monkeypatch, capsys):
    monkeypatch.chdir(path.parent)
    assert main(["validate", path.name]) == 2
    captured = capsys.readouterr()
    assert captured.err.splitlines() == path.with_suffix(".expected").read_text(encoding="utf-8").splitlines()
    assert captured.out == ""


def test_cli_exits_2_without_traceback():
    bad = INVALID[0]
    done = subprocess.run([sys.executable, "-m", "sim", "run", str(bad)], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert str(bad) in done.stderr


def test_missing_file_is_reported_not_raised(capsys):
    assert main(["validate", "no/such/file.yaml"]) == 2
    assert capsys.readouterr().err.strip() == "no/such/file.yaml: file not found"


def test_scenario_is_immutable():
    scenario = sim.load(W1)
    with pytest.raises(ValidationError):
        scenario.horizon_days = 3
    with pytest.raises(ValidationError):
        scenario.stages[0].conversion = 0.9


def test_yaml_is_loaded_safely():
    with pytest.raises(sim.ScenarioError, match="malformed YAML"):
        sim.loads("name: !!python/object/apply:os.system ['echo hacked']\n", file="evil.yaml")


def test_python_construction_reports_cross_field_problems():
    with pytest.raises(sim.ScenarioError) as err:
        sim.Scenario.model_validate(
            {
                "name": "x",
                "horizon_days": 10,
                "channels": [{"name": "c", "leads_per_day": 1}],
                "stages": [
                    {"name": "s", "team": "nobody", "work_days": {"dist": "fixed", "value": 1}, "conversion": 1}
                ],
                "teams": [{"name": "t", "headcount": 1}],
                "deal_value": {"dist": "fixed", "value": 1},
            }
        )
    assert [str(p) for p in err.value.problems] == ["stages[0].team: team 'nobody' does not exist (known: t)"]


def test_tiers_default_to_a_single_unnamed_tier():
    assert sim.load(W1).tiers == ("",)
    assert sim.load(ROOT / "playbooks" / "b2b_saas.yaml").tiers == ("A", "B", "C")


def test_playbook_reference_is_up_to_date():
    from sim.reference import reference_markdown

    assert (ROOT / "playbooks" / "README.md").read_text(encoding="utf-8") == reference_markdown(), (
        "playbooks/README.md is out of date: run `python -m sim.reference playbooks/README.md`"
    )
