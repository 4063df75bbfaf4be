"""The director's plan-against-actual notebook in Voila, driven in Chromium: the level picked in the
dropdown redraws the status and gap tables, the review sheet and the replan are on the page, and the page
reads whole (nothing cut, no Python reprs)."""

from __future__ import annotations

import re

import pytest

from tests.browser.harness import clipped_labels, open_dashboard, python_reprs

pytestmark = pytest.mark.xdist_group("browser")

NOTEBOOK = "notebooks/director/plan_vs_actual.ipynb"
TIMEOUT = (
    600_000  # a hang guard: Voila runs the whole notebook (calibration, plan, three trackings) before the page exists
)


# the review sheet's first line: nothing short, or one of the playbook's actions (sim.review)
_REVIEWED = re.compile(r"Nothing is short of the plan|more first contacts|review the aged deals|coach|steer effort")


def test_level_dropdown_redraws_the_tables(page, screenshots):
    with open_dashboard(page, NOTEBOOK, TIMEOUT):
        level = page.locator(".widget-dropdown", has_text="level").locator("select")
        level.wait_for(timeout=TIMEOUT)
        page.get_by_text(_REVIEWED).first.wait_for(timeout=TIMEOUT)  # the review sheet, whatever it finds
        page.get_by_text("kept ", exact=False).first.wait_for(timeout=TIMEOUT)  # the replan's line
        panel = page.locator(".widget-vbox .widget-output")
        panel.get_by_text("company", exact=True).first.wait_for(timeout=TIMEOUT)
        assert panel.filter(has_text="GTK 500").count() == 0  # the company's rows only
        level.select_option("tier")
        panel.filter(has_text="GTK 500").first.wait_for(timeout=TIMEOUT)
        page.screenshot(path=screenshots / "plan_vs_actual_tier.png", full_page=True)
        assert clipped_labels(page) == [] and python_reprs(page) == []
