"""Charts render, including Chinese stage and team names, with no missing glyph."""

from __future__ import annotations

import io
import warnings

import sim
from sim.plots.funnel import funnel_chart, revenue_chart


def _chinese_scenario() -> sim.Scenario:
    return sim.Scenario.model_validate({
        "name": "中文漏斗", "horizon_days": 20,
        "channels": [{"name": "线上", "leads_per_day": 20}],
        "stages": [
            {"name": "线索获取", "team": "销售一组", "work_days": {"dist": "exponential", "mean": 0.05}, "conversion": 0.5},
            {"name": "意向确认", "team": "销售一组", "work_days": {"dist": "exponential", "mean": 0.1}, "conversion": 0.5},
            {"name": "谈判签约", "team": "销售一组", "work_days": {"dist": "exponential", "mean": 0.2}, "conversion": 0.5},
        ],
        "teams": [{"name": "销售一组", "headcount": 3}],
        "deal_value": {"dist": "fixed", "value": 1000},
        "targets": {"annual_revenue": 10000},
    })


def test_chinese_labels_render_without_missing_glyphs():
    results = sim.simulate(_chinese_scenario(), replications=3, seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns "Glyph ... missing from font(s)"
        for figure in (funnel_chart(results), revenue_chart(results)):
            figure.savefig(io.BytesIO(), format="png")
    labels = [t.get_text() for t in funnel_chart(results).axes[0].get_yticklabels()]
    assert labels == ["线索获取", "意向确认", "谈判签约"]
