"""Widget panels: values map to the scenario; saving never overwrites without asking."""

from __future__ import annotations

import pytest

import sim
from sim.widgets.plan import PlanPanel
from tests.conftest import ROOT

B2B = ROOT / "playbooks" / "b2b_saas.yaml"


@pytest.fixture(scope="module")
def panel():
    return PlanPanel(sim.load(B2B), replications=2, source=B2B)


def test_panel_edits_map_to_the_scenario(panel):
    panel.headcount["solutions"].value = 10
    panel.budget["inbound"].value = 2 * panel.budget["inbound"].value
    panel.target.value = 20_000_000
    edited = panel.edited()
    assert edited.team("solutions").headcount == 10
    inbound = next(c for c in edited.channels if c.name == "inbound")
    assert inbound.leads_per_day * inbound.cost_per_lead * 365 / 12 == pytest.approx(panel.budget["inbound"].value)
    assert edited.targets.annual_revenue == 20_000_000
    assert "Probability of reaching the annual target" in panel.figures.value


def test_save_writes_a_new_file_and_never_overwrites_without_asking(panel, tmp_path):
    assert panel.save_name.value.endswith("b2b_saas_plan.yaml")  # never the original by default
    target = tmp_path / "plan.yaml"
    panel.save_name.value = str(target)
    assert panel.save() == target and sim.load(target) == panel.edited()
    target.write_text("keep me")
    assert panel.save() is None and target.read_text() == "keep me"
    assert "tick 'overwrite'" in panel.save_message.value
    panel.overwrite.value = True
    assert panel.save() == target and sim.load(target) == panel.edited()
