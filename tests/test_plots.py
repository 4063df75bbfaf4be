"""Charts render, including Chinese stage and team names, with no missing glyph."""

from __future__ import annotations

import io
import warnings

import numpy as np

import sim
from sim.plots.funnel import funnel_chart, revenue_chart
from tests.conftest import ROOT


def _chinese_scenario() -> sim.Scenario:
    return sim.Scenario.model_validate(
        {
            "name": "中文漏斗",
            "horizon_days": 20,
            "channels": [{"name": "线上", "leads_per_day": 20}],
            "stages": [
                {
                    "name": "线索获取",
                    "team": "销售一组",
                    "work_days": {"dist": "exponential", "mean": 0.05},
                    "conversion": 0.5,
                },
                {
                    "name": "意向确认",
                    "team": "销售一组",
                    "work_days": {"dist": "exponential", "mean": 0.1},
                    "conversion": 0.5,
                },
                {
                    "name": "谈判签约",
                    "team": "销售一组",
                    "work_days": {"dist": "exponential", "mean": 0.2},
                    "conversion": 0.5,
                },
            ],
            "teams": [{"name": "销售一组", "headcount": 3}],
            "deal_value": {"dist": "fixed", "value": 1000},
            "targets": {"annual_revenue": 10000},
        }
    )


def test_chinese_labels_render_without_missing_glyphs():
    results = sim.simulate(_chinese_scenario(), replications=3, seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns "Glyph ... missing from font(s)"
        for figure in (funnel_chart(results), revenue_chart(results)):
            figure.savefig(io.BytesIO(), format="png")
    labels = [t.get_text() for t in funnel_chart(results).axes[0].get_yticklabels()]
    assert labels == ["线索获取", "意向确认", "谈判签约"]


def _tick_labels(fig) -> list[str]:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig).draw()
    labels = []
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            assert axis.get_offset_text().get_text() == "", "an axis with an offset (1e6) the reader must apply"
            labels += [t.get_text() for t in axis.get_ticklabels()]
    return labels


def test_money_axes_read_in_k_and_m_without_offsets():
    """Charts of amounts in the tens of millions label their ticks 19M, 19.5M..., never 1e7 or 19000000."""
    import re

    from sim.plots.incentives import cost_vs_revenue
    from sim.plots.plan import plan_chart

    months = [
        {
            "period": f"2027-{m:02d}",
            "target": 1_900_000 + m,
            "p10": 1_500_000,
            "p50": 1_800_000,
            "p90": 2_100_000,
            "p_hit": 0.4,
        }
        for m in range(1, 13)
    ]
    spread = {"mean": 19_200_000, "p10": 19_000_000, "p90": 19_400_000}
    cost = {"mean": 2_300_000, "p10": 2_250_000, "p90": 2_350_000}
    summaries = [
        {"plan": "current", "revenue": spread, "comp_cost": cost, "cost_of_sales": {"mean": 0.12}},
        {"plan": "edited", "revenue": spread, "comp_cost": cost, "cost_of_sales": {"mean": 0.122}},
    ]
    for fig in (plan_chart(months), cost_vs_revenue(summaries)):
        labels = [t for t in _tick_labels(fig) if t]
        assert labels and not any(re.search(r"\de[+-]?\d|\d{5,}", t) for t in labels), labels
        assert any(t.endswith("M") for t in labels), labels


def test_lag_chart_stacks_the_opening_pipelines_revenue_under_the_bought_leads_and_shows_every_months_leads():
    from sim.plots.schedule import lag_chart
    from sim.schedule import schedule
    from sim.targets import split_months

    scenario = sim.load(ROOT / "playbooks" / "b2b_saas.yaml")
    timed = schedule(scenario, split_months(24_000_000, scenario, "reserve"))
    revenue_ax, leads_ax = lag_chart(timed).axes
    opening, bought = revenue_ax.containers
    np.testing.assert_allclose([b.get_height() for b in opening], timed.opening_revenue)
    np.testing.assert_allclose([b.get_y() + b.get_height() for b in bought], timed.revenue)
    np.testing.assert_allclose([b.get_height() for b in leads_ax.containers[0]], timed.leads)
    assert timed.opening_revenue[0] > timed.opening_revenue[-1]  # January lives on the opening pipeline
