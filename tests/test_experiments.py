"""Strategies compared on common random numbers; overrides validated like scenario files."""

from __future__ import annotations

import json

import numpy as np
import pytest

import sim
from sim.cli import main
from sim.experiments import Strategy, compare
from sim.overrides import apply_overrides, parse_override
from tests.conftest import ROOT

B2B = ROOT / "playbooks" / "b2b_saas.yaml"


def _base() -> sim.Scenario:
    return sim.load(B2B).model_copy(update={"horizon_days": 90})


def test_paired_differences_are_far_tighter_than_unpaired_ones():
    base = _base()
    more = apply_overrides(base, {"teams.solutions.headcount": 16})
    result = compare([Strategy("base", base), Strategy("more", more)], replications=30, seed=2)
    wide = result.table.pivot(index="replication", columns="strategy", values="revenue")
    paired = (wide["more"] - wide["base"]).std()
    unpaired = np.sqrt(wide["more"].var() + wide["base"].var())
    assert paired < 0.5 * unpaired  # the same luck cancels out
    summary = result.summary()
    assert sum(s["p_best"] for s in summary["strategies"]) == pytest.approx(1)
    difference = summary["strategies"][1]["revenue_difference"]
    assert difference["ci95"][0] <= difference["mean"] <= difference["ci95"][1]
    assert difference["mean"] == pytest.approx((wide["more"] - wide["base"]).mean())


def test_overrides_by_name_and_their_errors():
    base = _base()
    changed = apply_overrides(base, {"channels.inbound.leads_per_day": 45, "stages.proposal.conversion": 0.6,
                                     "teams.1.headcount": 20})
    assert changed.channels[0].leads_per_day == 45 and changed.stages[2].conversion == 0.6
    assert changed.team("account_execs").headcount == 20
    with pytest.raises(sim.ScenarioError) as err:
        apply_overrides(base, {"stages.proposal.conversion": 1.3, "teams.nosuch.headcount": 3}, file="sweep.yaml")
    assert [str(p) for p in err.value.problems] == [
        "sweep.yaml: teams.nosuch.headcount: team 'nosuch' does not exist (known: sdr, account_execs, solutions)"]
    with pytest.raises(sim.ScenarioError, match="1.3 is not a probability"):
        apply_overrides(base, {"stages.proposal.conversion": 1.3})
    assert parse_override("teams.sdr.headcount=5") == ("teams.sdr.headcount", 5)


def test_compare_cli_writes_comparison_json(tmp_path, capsys):
    out = tmp_path / "cmp"
    short = tmp_path / "short.yaml"
    sim.dump(_base(), short)
    assert main(["compare", str(short), "--override", "teams.solutions.headcount=10", "--replications", "6",
                 "--out", str(out)]) == 0
    summary = json.loads((out / "comparison.json").read_text())
    first, second = summary["strategies"]
    assert {"revenue", "won", "marketing_cost", "p_hit_target", "p_best"} <= set(first)
    assert {"mean", "p10", "p50", "p90"} <= set(first["revenue"])
    assert "revenue_difference" in second and "revenue_difference" not in first
    assert main(["compare", str(short), "--override", "teams.nosuch.headcount=1"]) == 2
    assert "team 'nosuch' does not exist" in capsys.readouterr().err
