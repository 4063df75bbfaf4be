"""Lesson 2, reading a funnel: conversion stage by stage, against a benchmark, and what to fix first.

Won deals are leads × the product of the stage conversions, so a few points gained at a weak
stage are worth more than the same points at a strong one — until the extra work lands on
a team that is already busy. The experiment lets the learner change each stage's
conversion in the default playbook and see revenue and team utilisation move.

Examples
--------
>>> funnel_wins(1000, [0.3, 0.5, 0.5, 0.8])
60.0
>>> round(gain_from_points(1000, [0.3, 0.5, 0.5, 0.8], stage=0, points=0.05), 1)
10.0
"""

from __future__ import annotations

from math import prod
from typing import Sequence

import pandas as pd

import sim
from sim.formatting import styled
from sim.lessons.lesson import Exercise
from sim.odds import Odds
from sim.overrides import with_conversion_change
from sim.resources import B2B_PLAYBOOK, resource
from sim.widgets import show

__all__ = [
    "PLAYBOOK",
    "BENCHMARK",
    "exercises",
    "funnel_wins",
    "gain_from_points",
    "with_conversion_change",
    "stage_review",
    "experiment_panel",
]

PLAYBOOK = resource(B2B_PLAYBOOK)
# Benchmarks a manager compares with (practice: proposal-to-signing benchmark of 50%).
BENCHMARK = {"qualify": 0.35, "discovery": 0.55, "proposal": 0.5, "negotiation": 0.5}
_RATES = [0.3, 0.5, 0.5, 0.8]  # the exercises' funnel (the W1 workload's first four stages)


def funnel_wins(leads: float, conversions: Sequence[float]) -> float:
    """Expected won deals from ``leads`` through stages with the given conversions."""
    return leads * prod(conversions)


def gain_from_points(leads: float, conversions: Sequence[float], stage: int, points: float) -> float:
    """Extra won deals from raising one stage's conversion by ``points`` (0.05 = five points)."""
    better = list(conversions)
    better[stage] += points
    return funnel_wins(leads, better) - funnel_wins(leads, conversions)


def exercises() -> dict[str, Exercise]:
    """The lesson's exercises; every answer computed, none typed in."""
    gains = [gain_from_points(1000, _RATES, k, 0.05) for k in range(len(_RATES))]
    return {
        "wins": Exercise(
            "wins",
            {"leads": 1000, "rates": ", ".join(f"{r:.0%}" for r in _RATES)},
            funnel_wins(1000, _RATES),
            tolerance=0.01,
        ),
        "benchmark": Exercise(
            "benchmark", {"now": 0.3, "bench": 0.5, "more": 0.5 / 0.3 - 1}, 0.5 / 0.3, tolerance=0.02
        ),
        "fix_first": Exercise(
            "fix_first",
            {
                "rates": ", ".join(f"{r:.0%}" for r in _RATES),
                "gains": gains,
                "best_gain": max(gains),
                "worst_gain": min(gains),
            },
            1 + max(range(len(gains)), key=gains.__getitem__),
            tolerance=0,
        ),
    }


def stage_review(results: sim.Results, benchmark: dict[str, float]) -> pd.DataFrame:
    """Per stage: conversion against the benchmark, the gap, and the team's utilisation (over 0.9 = bottleneck)."""
    table = pd.DataFrame(results.summary()["stages"]).set_index("name")
    review = pd.DataFrame(
        {
            "conversion": table.conversion_rate,
            "benchmark": pd.Series(benchmark),
            "team": table.team,
            "utilisation": table.utilisation,
        }
    )
    review["gap"] = review.conversion - review.benchmark
    review["bottleneck"] = review.utilisation > 0.9
    return review[["conversion", "benchmark", "gap", "team", "utilisation", "bottleneck"]]


def experiment_panel(lesson, replications: int, seed: int = 1):
    """A slider per stage moving its conversion up or down; revenue and the stage review redrawn on each change."""
    import ipywidgets as widgets
    from IPython.display import Markdown

    scenario = sim.load(PLAYBOOK)
    sliders = {
        s.name: widgets.FloatSlider(
            value=0,
            min=-0.2,
            max=0.2,
            step=0.05,
            description=s.name,
            readout_format="+.0%",
            continuous_update=False,
            style={"description_width": "initial"},
        )
        for s in scenario.stages
    }
    out = widgets.Output()

    def render(*_) -> None:
        for name, slider in sliders.items():
            slider.description = lesson.term(name)
        changed = with_conversion_change(scenario, {name: s.value for name, s in sliders.items()})
        results = sim.simulate(
            changed, replications=replications, seed=seed, engine="fast", detail=False, progress=False
        )
        summary = results.summary()
        review = stage_review(results, BENCHMARK)
        review.columns = [lesson.text(f"labels.{c}") for c in review.columns]
        review.index = [lesson.term(stage) for stage in review.index]
        review[lesson.text("labels.team")] = [lesson.term(team) for team in review[lesson.text("labels.team")]]
        hits = Odds.of(results.replications.revenue >= changed.targets.annual_revenue)
        figures = Markdown(
            lesson.text("figures", won=summary["won"]["mean"], revenue=summary["revenue"]["p50"], p_hit=hits.text())
        )
        shares = [lesson.text(f"labels.{c}") for c in ("conversion", "benchmark", "gap", "utilisation")]
        show(out, figures, styled(review, percent_columns=shares))

    for slider in sliders.values():
        slider.observe(render, names="value")
    lesson._shown(render)
    return widgets.VBox([widgets.HBox(list(sliders.values())[:2]), widgets.HBox(list(sliders.values())[2:]), out])
