"""Lesson 3 served by Voila and driven in headless Chromium: sliders re-simulate, language switches."""

from __future__ import annotations

import json
import os
import re
import shutil

import pytest

from sim.lessons import load_lesson
from sim.lessons.capacity import run_experiment
from tests.browser.harness import ROOT, clipped_labels, jupyterlab, open_dashboard, python_reprs

pytestmark = pytest.mark.xdist_group("browser")

NOTEBOOK = "notebooks/trainer/03_staffing_and_capacity.ipynb"
TIMEOUT = 120_000  # ms: the first render starts a kernel and simulates


def _figures_line(leads: float, reps: int) -> str:
    lesson = load_lesson("capacity")
    result = run_experiment(leads, reps, int(os.environ.get("SALESPLAY_REPLICATIONS", "4")), seed=1)
    markdown = lesson.text(
        "figures", utilisation=result["utilisation"], erlang=result["erlang_wait"], simulated=result["simulated_wait"]
    )
    return markdown.replace("**", "")


def test_slider_move_resimulates_and_language_switches(page, screenshots):
    with open_dashboard(page, NOTEBOOK, TIMEOUT):
        page.get_by_text(_figures_line(7, 10)).wait_for(timeout=TIMEOUT)
        page.screenshot(path=screenshots / "lesson3_initial.png", full_page=True)
        assert clipped_labels(page) == [] and python_reprs(page) == []

        reps_handle = page.locator(".noUi-handle").nth(1)
        reps_handle.focus()
        reps_handle.press("ArrowRight")  # 10 -> 11 reps
        page.get_by_text(_figures_line(7, 11)).wait_for(timeout=TIMEOUT)
        page.screenshot(path=screenshots / "lesson3_eleven_reps.png", full_page=True)

        check = page.get_by_role("button", name="Check").first
        page.locator(".widget-text input").first.fill("0.5")
        check.click()
        page.get_by_text("Too low.").wait_for(timeout=TIMEOUT)

        page.get_by_role("button", name="中文").click()
        page.get_by_text("第3课 — 人员与产能").first.wait_for(timeout=TIMEOUT)
        page.get_by_text("偏低了。").wait_for(timeout=TIMEOUT)
        page.screenshot(path=screenshots / "lesson3_chinese.png", full_page=True)
        assert clipped_labels(page) == [] and python_reprs(page) == []


def test_the_same_lesson_runs_and_responds_in_jupyterlab(page, screenshots, tmp_path):
    notebook = tmp_path / "lesson3.ipynb"
    shutil.copy(ROOT / NOTEBOOK, notebook)
    with jupyterlab(notebook) as url:
        page.goto(url, timeout=TIMEOUT, wait_until="domcontentloaded")
        page.locator(".jp-Notebook").wait_for(timeout=TIMEOUT)
        page.get_by_text("Python 3 (ipykernel) | Idle").wait_for(timeout=TIMEOUT)  # the kernel is up
        try:
            page.get_by_role("menuitem", name="Run").click()
            page.get_by_text("Run All Cells", exact=True).click()
            page.get_by_text(_figures_line(7, 10)).wait_for(timeout=TIMEOUT)
        except Exception:
            page.screenshot(path=screenshots / "lesson3_jupyterlab_failed.png")
            raise
        leads_handle = page.locator(".noUi-handle").first
        leads_handle.focus()
        leads_handle.press("ArrowLeft")  # 7 -> 6.5 leads a day
        page.get_by_text(_figures_line(6.5, 10)).wait_for(timeout=TIMEOUT)
        page.screenshot(path=screenshots / "lesson3_jupyterlab.png")


LESSONS = [p.relative_to(ROOT).as_posix() for p in sorted((ROOT / "notebooks" / "trainer").glob("*.ipynb"))]


def _title(notebook: str, language: str) -> str:
    """The lesson's title as the page shows it in ``language`` (the notebook names its lesson)."""
    code = "".join("".join(cell["source"]) for cell in json.loads((ROOT / notebook).read_text("utf-8"))["cells"])
    name = re.search(r'load_lesson\("(\w+)"\)', code).group(1)
    lesson = load_lesson(name)
    lesson.language = language
    return re.sub(r"[*_`]", "", lesson.text("title"))


@pytest.mark.parametrize("notebook", LESSONS, ids=lambda notebook: notebook.rsplit("/", 1)[1][:2])
def test_every_lesson_reads_whole_in_both_languages(page, screenshots, notebook):
    with open_dashboard(page, notebook, TIMEOUT):
        page.get_by_text(_title(notebook, "en")).first.wait_for(timeout=TIMEOUT)
        assert clipped_labels(page) == [] and python_reprs(page) == []
        page.get_by_role("button", name="中文").click()
        page.get_by_text(_title(notebook, "zh")).first.wait_for(timeout=TIMEOUT)
        page.screenshot(path=screenshots / f"lesson_{notebook.rsplit('/', 1)[1][:2]}_chinese.png", full_page=True)
        assert clipped_labels(page) == [] and python_reprs(page) == []
