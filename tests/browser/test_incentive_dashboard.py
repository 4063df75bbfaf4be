"""The director's incentive dashboard in Voila, driven in Chromium: a rate change re-pays the year."""

from __future__ import annotations

import os
import re

import pytest

import sim
from sim.incentives import load_plan
from sim.widgets.incentives import IncentivePanel
from tests.browser.harness import ROOT, clipped_labels, open_dashboard, python_reprs

pytestmark = pytest.mark.xdist_group("browser")

NOTEBOOK = "notebooks/director/incentive_design.ipynb"
TIMEOUT = 120_000


def _difference(top_rate_steps: int) -> str:
    """The sentence comparing the edited plan with the current one after moving 'rate above it', as shown."""
    panel = IncentivePanel(
        sim.load(ROOT / "playbooks" / "b2b_saas.yaml"),
        current=load_plan(ROOT / "playbooks" / "incentives" / "flat.yaml"),
        replications=int(os.environ.get("SALESPLAY_REPLICATIONS", "4")),
    )
    panel.top_rate.value = round(panel.top_rate.value + top_rate_steps * panel.top_rate.step, 3)
    sentence = panel.summary.value.split("sp-incentive-difference'>")[1].split("</p>")[0]
    return re.sub(r"<[^>]+>", "", sentence)


_SHOWN = "text => document.querySelector('.sp-incentive-difference')?.innerText === text"


def test_rate_change_repays_the_year_to_the_simulators_figures(page, screenshots):
    before, after = _difference(0), _difference(1)
    assert before != after
    with open_dashboard(page, NOTEBOOK, TIMEOUT):
        page.wait_for_function(_SHOWN, arg=before, timeout=TIMEOUT)
        handle = page.locator(".widget-slider", has_text="rate above it").locator(".noUi-handle")
        handle.focus()
        handle.press("ArrowRight")  # 8.0% -> 8.5% above the accelerator
        page.wait_for_function(_SHOWN, arg=after, timeout=TIMEOUT)
        assert clipped_labels(page) == [] and python_reprs(page) == []
        page.screenshot(path=screenshots / "incentive_design_rate_up.png", full_page=True)
