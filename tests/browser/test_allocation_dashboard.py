"""The director's allocation dashboard in Voila, driven in Chromium: a recommendation in words, controls whole."""

from __future__ import annotations

import pytest

from tests.browser.harness import clipped_labels, open_dashboard, python_reprs

pytestmark = pytest.mark.xdist_group("browser")

NOTEBOOK = "notebooks/director/allocation.ipynb"
TIMEOUT = 180_000


def test_allocation_recommends_in_a_sentence_with_its_interval(page, screenshots):
    with open_dashboard(page, NOTEBOOK, TIMEOUT):
        answer = page.locator(".sp-allocation")
        answer.wait_for(timeout=TIMEOUT)
        assert "95% interval" in answer.inner_text() and "simulated years" in answer.inner_text()
        page.locator(".widget-slider", has_text="marketing budget for the year").wait_for(timeout=TIMEOUT)
        handle = page.locator(".widget-slider", has_text="reps across the teams").locator(".noUi-handle")
        handle.focus()
        handle.press("ArrowLeft")  # another headcount: the old recommendation goes
        page.get_by_text("to search for this budget and headcount").wait_for(timeout=TIMEOUT)
        page.get_by_role("button", name="recommend an allocation").click()
        answer.wait_for(timeout=TIMEOUT)
        page.screenshot(path=screenshots / "allocation.png", full_page=True)
        assert clipped_labels(page) == [] and python_reprs(page) == []
