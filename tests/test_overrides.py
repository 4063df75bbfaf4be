"""Overrides: dotted paths over names and indices, validated like scenario files."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sim
from sim.errors import ScenarioError
from sim.overrides import apply_overrides, parse_override, resolve_path

from .conftest import ROOT

B2B = sim.load(ROOT / "playbooks" / "b2b_saas.yaml")


def test_names_and_indices_reach_the_same_field():
    by_name = apply_overrides(B2B, {"channels.inbound.leads_per_day": 150, "stages.qualify.conversion.A": 0.7})
    by_index = apply_overrides(B2B, {"channels.0.leads_per_day": 150, "stages.0.conversion.A": 0.7})
    assert by_name == by_index
    assert by_name.channels[0].leads_per_day == 150
    assert by_name.stages[0].conversion_for("A") == 0.7
    assert B2B.channels[0].leads_per_day == 30  # the base is unchanged


def test_a_whole_subtree_and_a_field_left_at_its_default_can_be_set():
    s = apply_overrides(B2B, {"collection_days": {"dist": "fixed", "value": 10}, "teams.solutions.ramp.days": 30})
    assert s.collection_days.mean == 10
    assert s.team("solutions").ramp.days == 30


def test_unknown_names_fields_and_bad_values_read_like_scenario_errors():
    overrides = {"teams.nosuch.headcount": 3, "teams.sdr.headcout": 3}
    with pytest.raises(ScenarioError) as exc:
        apply_overrides(B2B, overrides, file="sweep.yaml", lines={"teams.nosuch.headcount": 7}, prefix="parameters.")
    assert str(exc.value) == (
        "sweep.yaml:7: parameters.teams.nosuch.headcount: team 'nosuch' does not exist "
        "(known: sdr, account_execs, solutions)"
    )
    with pytest.raises(ScenarioError) as exc:
        apply_overrides(B2B, {"teams.sdr.headcout": 3}, file="s.yaml", lines={"teams.sdr.headcout": 4})
    assert str(exc.value) == "s.yaml:4: teams.sdr.headcout: unknown field (did you mean 'headcount'?)"
    with pytest.raises(ScenarioError) as exc:
        apply_overrides(
            B2B, {"stages.proposal.conversion": 1.3}, file="s.yaml", lines={"stages.proposal.conversion": 2}
        )
    assert str(exc.value) == "s.yaml:2: stages.proposal.conversion: 1.3 is not a probability (0 to 1)"
    with pytest.raises(ScenarioError, match="did you mean 'solutions'"):
        apply_overrides(B2B, {"teams.solution.headcount": 3})


def test_the_same_message_as_a_scenario_file():
    text = (ROOT / "playbooks" / "b2b_saas.yaml").read_text().replace("headcount: 18", "headcount: -2")
    with pytest.raises(ScenarioError) as from_file:
        sim.loads(text, file=str(ROOT / "playbooks" / "f.yaml"))  # its plan files are read from beside it
    with pytest.raises(ScenarioError) as from_override:
        apply_overrides(B2B, {"teams.solutions.headcount": -2})
    assert from_file.value.problems[0].message == from_override.value.problems[0].message


def test_cross_field_problems_are_reported():
    with pytest.raises(ScenarioError, match=r"<overrides>: stages.qualify.team: team 'nobody' does not exist"):
        apply_overrides(B2B, {"stages.qualify.team": "nobody"})
    with pytest.raises(ScenarioError, match=r"stages\[0\].conversion: has no value for tier 'D'"):
        apply_overrides(B2B, {"channels.inbound.tiers": {"A": 0.5, "D": 0.5}})
    with pytest.raises(ScenarioError, match="is a single value"):
        resolve_path(B2B.model_dump(mode="json"), "horizon_days.x")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("teams.sdr.headcount=6", ("teams.sdr.headcount", 6)),
        ("bad_debt=0.05", ("bad_debt", 0.05)),
        ("collection_days={dist: fixed, value: 3}", ("collection_days", {"dist": "fixed", "value": 3})),
    ],
)
def test_parse_override(text, expected):
    assert parse_override(text) == expected


def test_parse_override_rejects_text_without_a_value():
    with pytest.raises(ScenarioError, match="is not KEY=VALUE"):
        parse_override("teams.sdr.headcount")


@settings(max_examples=30, deadline=None)
@given(headcount=st.integers(-5, 50), rate=st.floats(-10, 500, allow_nan=False))
def test_any_value_is_either_applied_exactly_or_rejected_naming_its_key(headcount, rate):
    overrides = {"teams.account_execs.headcount": headcount, "channels.referral.leads_per_day": rate}
    if headcount < 0 or rate < 0:
        with pytest.raises(ScenarioError) as exc:
            apply_overrides(B2B, overrides)
        assert {p.field for p in exc.value.problems} == {k for k, v in overrides.items() if v < 0}
    else:
        s = apply_overrides(B2B, overrides)
        assert (s.team("account_execs").headcount, s.channels[2].leads_per_day) == (headcount, rate)
        assert s.model_copy(update={"teams": B2B.teams, "channels": B2B.channels}) == B2B
