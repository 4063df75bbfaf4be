"""Lesson 3, staffing and capacity: queues build as utilisation nears 1; new hires ramp up.

The experiment is one stage worked by one team (an M/M/c queue when work times are
exponential): the learner moves lead volume and headcount, and sees utilisation, the
Erlang C prediction of the wait and the simulated wait and queue.

Examples
--------
>>> r = run_experiment(leads_per_day=7, reps=10, replications=2, horizon_days=60, seed=1)
>>> round(r["utilisation"], 2)
0.84
>>> r["queue"].columns.tolist()
['day', 'queue']
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

import sim
from sim.lessons.lesson import Exercise
from sim.plots import style
from sim.queueing import mean_wait, reps_needed, utilisation
from sim.widgets import show

__all__ = [
    "WORK_DAYS",
    "exercises",
    "team_scenario",
    "run_experiment",
    "queue_chart",
    "experiment_panel",
    "ramp_comparison",
]

WORK_DAYS = 1.2  # rep-days per proposal (the lesson's example team)


def exercises() -> dict[str, Exercise]:
    """The lesson's exercises; every answer computed, none typed in."""
    work = WORK_DAYS
    ratio = mean_wait(8, work, 10) / mean_wait(7, work, 10)
    return {
        "utilisation": Exercise(
            "utilisation", {"rate": 7, "work": work, "reps": 10}, utilisation(7, work, 10), tolerance=0.01
        ),
        "reps_needed": Exercise(
            "reps_needed",
            {"rate": 14, "work": work, "cap": 0.8, "load": 14 * work, "unhired": utilisation(14, work, 10)},
            reps_needed(14, work, 0.8),
            tolerance=0,
        ),
        "wait_ratio": Exercise(
            "wait_ratio",
            {
                "rate": 7,
                "rate2": 8,
                "work": work,
                "reps": 10,
                "before": utilisation(7, work, 10),
                "after": utilisation(8, work, 10),
            },
            ratio,
            tolerance=0.05,
        ),
    }


def team_scenario(
    leads_per_day: float, reps: int, horizon_days: int = 180, hires: int = 0, hire_day: float = 60, ramp_days: float = 0
) -> sim.Scenario:
    """One proposal stage worked by one team: exponential work of ``WORK_DAYS``, conversion 1."""
    team: dict[str, Any] = {"name": "proposal team", "headcount": reps}
    if hires:
        team["hires"] = [{"day": hire_day, "count": hires}]
    if ramp_days:
        team["ramp"] = {"days": ramp_days, "initial_productivity": 0.3}
    return sim.Scenario.model_validate(
        {
            "name": "capacity lesson",
            "horizon_days": horizon_days,
            "channels": [{"name": "leads", "leads_per_day": leads_per_day}],
            "stages": [
                {
                    "name": "proposal",
                    "team": "proposal team",
                    "conversion": 1.0,
                    "work_days": {"dist": "exponential", "mean": WORK_DAYS},
                }
            ],
            "teams": [team],
            "deal_value": {"dist": "fixed", "value": 1},
        }
    )


def run_experiment(
    leads_per_day: float, reps: int, replications: int, seed: int = 1, horizon_days: int = 180, **staffing: Any
) -> dict[str, Any]:
    """Simulate the team; return utilisation, predicted and simulated wait, and the mean queue by day."""
    scenario = team_scenario(leads_per_day, reps, horizon_days, **staffing)
    results = sim.simulate(scenario, replications=replications, seed=seed, engine="fast", progress=False)
    queue = results.daily.groupby("day", as_index=False).queue.mean()
    return {
        "utilisation": utilisation(leads_per_day, WORK_DAYS, reps),
        "erlang_wait": mean_wait(leads_per_day, WORK_DAYS, reps),
        "simulated_wait": results.summary()["stages"][0]["mean_wait_days"],
        "queue": queue,
    }


def queue_chart(queues: dict[str, pd.DataFrame], title: str, xlabel: str, ylabel: str) -> Figure:
    """Mean queue by day, one line per labelled setting."""
    style()
    fig = Figure(figsize=(8, 3.2), layout="constrained")
    ax = fig.subplots()
    for label, queue in queues.items():
        ax.plot(queue.day, queue.queue, label=label)
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    ax.legend()
    return fig


def experiment_panel(lesson, replications: int, seed: int = 1):
    """Sliders for leads per day and headcount; figures and queue chart redrawn on each change."""
    import ipywidgets as widgets
    from IPython.display import Markdown

    style = {"description_width": "initial"}
    rate = widgets.FloatSlider(value=7, min=2, max=14, step=0.5, continuous_update=False, style=style)
    reps = widgets.IntSlider(value=10, min=4, max=20, continuous_update=False, style=style)
    out = widgets.Output()

    def render(*_) -> None:
        rate.description, reps.description = lesson.text("labels.leads_per_day"), lesson.text("labels.reps")
        result = run_experiment(rate.value, reps.value, replications, seed)
        overloaded = not math.isfinite(result["erlang_wait"])  # utilisation at or above 1: no steady state
        figures = Markdown(
            lesson.text(
                "figures_overloaded" if overloaded else "figures",
                utilisation=result["utilisation"],
                erlang=result["erlang_wait"],
                simulated=result["simulated_wait"] or 0.0,
            )
        )
        label = f"{rate.value:g} {lesson.text('labels.leads_per_day')}, {reps.value} {lesson.text('labels.reps')}"
        show(
            out,
            figures,
            queue_chart(
                {label: result["queue"]},
                lesson.text("labels.queue_title"),
                lesson.text("labels.day"),
                lesson.text("labels.waiting"),
            ),
        )

    rate.observe(render, names="value")
    reps.observe(render, names="value")
    lesson._shown(render)
    return widgets.VBox([widgets.HBox([rate, reps]), out])


def ramp_comparison(lesson, replications: int, seed: int = 1) -> Figure:
    """The overloaded team without a hire, with 3 hires productive at once, and with a 90-day ramp."""
    settings = {
        "labels.no_hire": {},
        "labels.hire_no_ramp": {"hires": 3, "hire_day": 60},
        "labels.hire_ramp": {"hires": 3, "hire_day": 60, "ramp_days": 90},
    }
    queues = {
        lesson.text(label): run_experiment(9, 10, replications, seed, **staffing)["queue"]
        for label, staffing in settings.items()
    }
    return queue_chart(
        queues, lesson.text("labels.queue_title"), lesson.text("labels.day"), lesson.text("labels.waiting")
    )
