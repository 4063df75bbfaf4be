"""Lesson 5, designing incentives: what a tier, a threshold or a cap does to behaviour and cost.

A commission plan is a curve of pay against attainment. Its kinks are where behaviour changes:
above an accelerator every deal pays more, below a threshold a deal pays nothing this period,
above a cap it pays nothing at all. Reps who can see the curve move deals across period ends
to land on its steep parts. The exercises compute pay by hand with the plan's rules (checked
by :func:`sim.incentives.commission`); the experiment pays a simulated year under a plan the
learner edits, next to the flat plan, with the reps responding to both alike.

Examples
--------
>>> ex = exercises()
>>> ex["tiered"].answer, ex["retroactive"].answer
(36000.0, 50400.0)
>>> round(ex["cap"].answer)
370000
"""

from __future__ import annotations

from scipy.optimize import brentq

import sim
from sim.incentives import Commission, IncentivePlan, commission, compare_plans, load_plan
from sim.lessons.lesson import Exercise
from sim.model.behaviour import Behaviour
from sim.resources import B2B_PLAYBOOK, FLAT_PLAN, resource
from sim.widgets import show

__all__ = ["PLAYBOOK", "FLAT", "exercises", "lesson_plan", "experiment_panel"]

PLAYBOOK = resource(B2B_PLAYBOOK)
FLAT = resource(FLAT_PLAN)
_QUOTA = 300_000
_TIERS = [{"from_attainment": 0.0, "rate": 0.08}, {"from_attainment": 1.2, "rate": 0.12}]  # practice: 8% -> 12% at 120%


def exercises() -> dict[str, Exercise]:
    """The lesson's exercises; every answer computed with :func:`sim.incentives.commission`."""
    marginal = Commission(tiers=_TIERS)
    retro = Commission(tiers=_TIERS, retroactive=True)
    threshold = Commission(tiers=_TIERS, threshold=0.5)
    revenue, now, deal = 420_000, 140_000, 20_000

    def pay(amount: float, terms: Commission) -> float:
        return float(commission(amount, _QUOTA, terms))

    cap_revenue = brentq(lambda r: pay(r, marginal) - 30_000, 0, 2 * _QUOTA)
    return {
        "tiered": Exercise("tiered", {"quota": _QUOTA, "revenue": revenue, "below": 1.2 * _QUOTA,
                                      "above": revenue - 1.2 * _QUOTA}, pay(revenue, marginal), tolerance=0.005),
        "retroactive": Exercise("retroactive", {"quota": _QUOTA, "revenue": revenue,
                                                "extra": pay(revenue, retro) - pay(revenue, marginal)},
                                pay(revenue, retro), tolerance=0.005),
        "cap": Exercise("cap", {"quota": _QUOTA, "cap": 30_000, "at_tier": pay(1.2 * _QUOTA, marginal),
                                "tier_start": 1.2 * _QUOTA}, cap_revenue, tolerance=0.005),
        "pull_in": Exercise("pull_in", {"quota": _QUOTA, "now": now, "deal": deal, "line": 0.5 * _QUOTA,
                                        "next_pay": 0.08 * deal},
                            pay(now + deal, threshold) - pay(now, threshold), tolerance=0.005),
    }


def lesson_plan(top_rate: float, cap: float, threshold: float, elasticity: float) -> IncentivePlan:
    """The experiment's plan: the flat plan's base and quota, 8% rising to ``top_rate`` at 120%, a threshold and cap."""
    flat = load_plan(FLAT)
    return IncentivePlan.model_validate({
        **flat.model_dump(), "name": "edited",
        "commission": {"tiers": [_TIERS[0], {**_TIERS[1], "rate": top_rate}], "threshold": threshold,
                       "cap": cap or None},
        "behaviour": {"elasticity": elasticity}})


def experiment_panel(lesson, replications: int, seed: int = 1):
    """Sliders for the accelerator rate, cap, threshold and the reps' response; figures and charts redrawn."""
    import ipywidgets as widgets
    from IPython.display import Markdown

    from sim.plots.incentives import payout_curve, quarter_end_chart
    from sim.timing import crm_quarter_end_share, plans_quarter_end_share

    results = sim.simulate(sim.load(PLAYBOOK), replications=replications, seed=seed, engine="fast", progress=False)
    crm = crm_quarter_end_share()
    top = widgets.FloatSlider(value=0.12, min=0.0, max=0.3, step=0.01, readout_format=".0%", continuous_update=False)
    cap = widgets.IntSlider(value=0, min=0, max=80_000, step=5_000, readout_format=",d", continuous_update=False)
    threshold = widgets.FloatSlider(value=0.5, min=0, max=1, step=0.05, readout_format=".0%", continuous_update=False)
    response = widgets.FloatSlider(value=1.0, min=0, max=2, step=0.1, continuous_update=False)
    out = widgets.Output()

    def render(*_) -> None:
        for slider, key in ((top, "top_rate"), (cap, "cap"), (threshold, "threshold"), (response, "elasticity")):
            slider.description = lesson.text(f"labels.{key}")
        edited = lesson_plan(top.value, cap.value, threshold.value, response.value)
        flat = load_plan(FLAT).model_copy(update={"behaviour": Behaviour(elasticity=response.value)})
        _, summary = compare_plans(results, [flat, edited])
        base, new = summary["plans"]
        shares = plans_quarter_end_share(results, [flat, edited])
        figures = Markdown(lesson.text(
            "figures", cost=new["comp_cost"]["mean"], flat_cost=base["comp_cost"]["mean"],
            cos=new["cost_of_sales"]["mean"], flat_cos=base["cost_of_sales"]["mean"],
            revenue=new["extra_revenue"]["mean"], gini=new["gini"]["mean"], flat_gini=base["gini"]["mean"]))
        show(out, figures, payout_curve([flat, edited]),
             quarter_end_chart({lesson.text("labels.crm"): crm, lesson.text("labels.flat"): shares["flat"],
                                lesson.text("labels.edited"): shares["edited"]}))

    for slider in (top, cap, threshold, response):
        slider.observe(render, names="value")
    lesson._shown(render)
    return widgets.VBox([widgets.HBox([top, cap]), widgets.HBox([threshold, response]), out])
