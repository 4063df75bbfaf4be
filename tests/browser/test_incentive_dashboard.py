"""The director's incentive dashboard in Voila, driven in Chromium: a rate change re-pays the year."""

from __future__ import annotations

import os

import pytest

import sim
from sim.incentives import load_plan
from sim.widgets.incentives import IncentivePanel
from tests.browser.harness import ROOT, open_dashboard

pytestmark = pytest.mark.xdist_group("browser")

NOTEBOOK = "notebooks/director/incentive_design.ipynb"
TIMEOUT = 120_000


def _edited_comp_cost(top_rate_steps: int) -> str:
    """The edited plan's mean comp cost the simulator gives after moving 'rate above it', as shown."""
    panel = IncentivePanel(sim.load(ROOT / "playbooks" / "b2b_saas.yaml"),
                           current=load_plan(ROOT / "playbooks" / "incentives" / "flat.yaml"),
                           replications=int(os.environ.get("SALESPLAY_REPLICATIONS", "4")))
    panel.top_rate.value = round(panel.top_rate.value + top_rate_steps * panel.top_rate.step, 3)
    return f"{panel.figures()['edited']['comp_cost']:,.0f}"


def test_rate_change_repays_the_year_to_the_simulators_figures(page, screenshots):
    before, after = _edited_comp_cost(0), _edited_comp_cost(1)
    assert before != after
    with open_dashboard(page, NOTEBOOK, TIMEOUT):
        page.get_by_text(before, exact=True).first.wait_for(timeout=TIMEOUT)
        handle = page.locator(".widget-slider", has_text="rate above it").locator(".noUi-handle")
        handle.focus()
        handle.press("ArrowRight")  # 8.0% -> 8.5% above the accelerator
        page.get_by_text(after, exact=True).first.wait_for(timeout=TIMEOUT)
        page.screenshot(path=screenshots / "incentive_design_rate_up.png", full_page=True)
