"""The director's annual-plan dashboard in Voila, driven in Chromium: a headcount change re-simulates."""

from __future__ import annotations

import os
import re

import pytest

import sim
from sim.settings import QUICK_REPLICATIONS, SEED, Answer
from sim.widgets.plan import PlanPanel
from tests.browser.harness import ROOT, clipped_labels, open_dashboard, python_reprs

pytestmark = pytest.mark.xdist_group("browser")

NOTEBOOK = "notebooks/director/annual_plan.ipynb"
TIMEOUT = 120_000


def _figures_text(solutions_reps: int) -> str:
    """What the simulator gives for that setting, as the dashboard words it."""
    playbook = ROOT / "playbooks" / "b2b_saas.yaml"
    count = int(os.environ.get("SALESPLAY_REPLICATIONS", "4"))  # what the harness gives the server
    policy = Answer(seed=SEED, quick=min(QUICK_REPLICATIONS, count), replications=count)  # the page's policy
    panel = PlanPanel(sim.load(playbook), policy=policy, source=playbook)
    panel.headcount["solutions"].value = solutions_reps
    panel.refiner.wait()  # the final answer, which the page shows once refined
    first_paragraph = panel.figures.value.split("</p>")[0]
    return re.sub(r"<[^>]+>", "", first_paragraph)


def test_headcount_change_resimulates_to_the_simulators_figures(page, screenshots):
    with open_dashboard(page, NOTEBOOK, TIMEOUT):
        figures = page.locator(".sp-figures")
        figures.wait_for(timeout=TIMEOUT)
        reps = sim.load(ROOT / "playbooks" / "b2b_saas.yaml").team("solutions").headcount
        assert figures.inner_text() == _figures_text(reps)
        slider = page.locator(".widget-slider", has_text="solutions reps").locator(".noUi-handle")
        slider.focus()
        slider.press("ArrowLeft")  # one solution consultant fewer
        expected = _figures_text(reps - 1)
        assert expected != _figures_text(reps)
        page.wait_for_function("text => document.querySelector('.sp-figures').innerText === text", arg=expected,
                               timeout=TIMEOUT)
        page.screenshot(path=screenshots / "annual_plan_one_consultant_fewer.png", full_page=True)
        assert clipped_labels(page) == [] and python_reprs(page) == []
