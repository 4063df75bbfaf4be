"""The director's annual-plan dashboard in Voila, driven in Chromium: a headcount change re-simulates, and the
comparison with the saved plan shows the change on the same simulated years."""

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


def _page_texts(solutions_reps: int, compare: bool = False) -> tuple[str, str]:
    """What the simulator gives for that setting, as the dashboard words it: the figures' line and the
    comparison with the saved plan."""
    playbook = ROOT / "playbooks" / "b2b_saas.yaml"
    count = int(os.environ.get("SALESPLAY_REPLICATIONS", "4"))  # what the harness gives the server
    policy = Answer(seed=SEED, quick=min(QUICK_REPLICATIONS, count), replications=count)  # the page's policy
    panel = PlanPanel(sim.load(playbook), policy=policy, source=playbook)
    with panel.holding():
        panel.headcount["solutions"].value = solutions_reps
        panel.compare.value = compare
    panel.refiner.wait()  # the final answer, which the page shows once refined
    return (
        re.sub(r"<[^>]+>", "", panel.figures.value.split("</p>")[0]),
        re.sub(r"<[^>]+>", "", panel.comparison.value),
    )


def test_headcount_change_resimulates_and_compares_with_the_saved_plan(page, screenshots):
    with open_dashboard(page, NOTEBOOK, TIMEOUT):
        figures = page.locator(".sp-figures")
        figures.wait_for(timeout=TIMEOUT)
        reps = sim.load(ROOT / "playbooks" / "b2b_saas.yaml").team("solutions").headcount
        assert figures.inner_text() == _page_texts(reps)[0]
        slider = page.locator(".widget-slider", has_text="solutions reps").locator(".noUi-handle")
        slider.focus()
        slider.press("ArrowLeft")  # one solution consultant fewer
        expected, _ = _page_texts(reps - 1)
        assert expected != _page_texts(reps)[0]
        page.wait_for_function(
            "text => document.querySelector('.sp-figures').innerText === text", arg=expected, timeout=TIMEOUT
        )
        page.locator(".widget-checkbox", has_text="compare with the saved plan").locator("input").check()
        _, compared = _page_texts(reps - 1, compare=True)
        assert compared.startswith("Against the saved plan")
        page.wait_for_function(
            "text => document.querySelector('.sp-comparison')?.innerText === text", arg=compared, timeout=TIMEOUT
        )
        page.screenshot(path=screenshots / "annual_plan_one_consultant_fewer.png", full_page=True)
        assert clipped_labels(page) == [] and python_reprs(page) == []
