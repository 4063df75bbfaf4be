"""The HTML report opens in a real browser with every chart drawn."""

from __future__ import annotations

import sim
from sim.experiments import Strategy, compare
from sim.report import write_report
from tests.conftest import ROOT


def test_comparison_report_shows_its_charts_and_tables(page, tmp_path, screenshots):
    base = sim.load(ROOT / "playbooks" / "b2b_saas.yaml").model_copy(update={"horizon_days": 60})
    strategies = [Strategy("plan", base), Strategy.from_overrides("2 SDRs", base, {"teams.sdr.headcount": 2})]
    compare(strategies, replications=3, seed=1, progress=False).save(tmp_path / "cmp")
    report = write_report(tmp_path / "cmp", tmp_path / "report.html")
    page.goto(report.as_uri())
    images = page.locator("img")
    assert images.count() == 3  # profit (the objective) and revenue by strategy, the paired difference in profit
    for i in range(images.count()):
        width = images.nth(i).evaluate("img => img.complete ? img.naturalWidth : 0")
        assert width > 300  # decoded and drawn, not a broken image
    assert page.locator("table").count() == 2
    assert "2 SDRs" in page.locator("table").first.inner_text()  # a column per strategy
    page.screenshot(path=str(screenshots / "comparison_report.png"), full_page=True)
