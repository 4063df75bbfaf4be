"""Lesson 5, designing incentives: what a tier, a threshold or a cap does to behaviour and cost.

A commission plan is a curve of pay against attainment. Its kinks are where behaviour changes:
above an accelerator every deal pays more, below a threshold a deal pays nothing this period,
above a cap it pays nothing at all. Reps who can see the curve move deals across period ends
to land on its steep parts. The exercises compute pay by hand with the plan's rules (checked
by :func:`sim.incentives.commission`); the experiment pays a simulated year under a plan the
learner edits, next to the flat plan: first with the reps not responding (what the plan costs on
the sales the year already has), then over a band of assumed responses (elasticity 0, 0.5, 1),
shown as the assumption it is, never as a result.

Examples
--------
>>> ex = exercises()
>>> ex["tiered"].answer, ex["retroactive"].answer
(36000.0, 50400.0)
>>> round(ex["cap"].answer)
370000
"""

from __future__ import annotations

import pandas as pd
from scipy.optimize import brentq

import sim
from sim.incentives import Commission, IncentivePlan, commission, compare_plans, load_plan
from sim.lessons.lesson import Exercise
from sim.resources import B2B_PLAYBOOK, FLAT_PLAN, resource
from sim.widgets import show

__all__ = ["PLAYBOOK", "FLAT", "ELASTICITIES", "exercises", "lesson_plan", "response_band", "experiment_panel"]

PLAYBOOK = resource(B2B_PLAYBOOK)
FLAT = resource(FLAT_PLAN)
_QUOTA = 300_000
_TIERS = [{"from_attainment": 0.0, "rate": 0.08}, {"from_attainment": 1.2, "rate": 0.12}]  # practice: 8% -> 12% at 120%
ELASTICITIES = (0.0, 0.5, 1.0)
"""The band of the reps' response the lesson shows: none, half, full (an assumption, never a result)."""


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
        "tiered": Exercise(
            "tiered",
            {"quota": _QUOTA, "revenue": revenue, "below": 1.2 * _QUOTA, "above": revenue - 1.2 * _QUOTA},
            pay(revenue, marginal),
            tolerance=0.005,
        ),
        "retroactive": Exercise(
            "retroactive",
            {"quota": _QUOTA, "revenue": revenue, "extra": pay(revenue, retro) - pay(revenue, marginal)},
            pay(revenue, retro),
            tolerance=0.005,
        ),
        "cap": Exercise(
            "cap",
            {"quota": _QUOTA, "cap": 30_000, "at_tier": pay(1.2 * _QUOTA, marginal), "tier_start": 1.2 * _QUOTA},
            cap_revenue,
            tolerance=0.005,
        ),
        "pull_in": Exercise(
            "pull_in",
            {"quota": _QUOTA, "now": now, "deal": deal, "line": 0.5 * _QUOTA, "next_pay": 0.08 * deal},
            pay(now + deal, threshold) - pay(now, threshold),
            tolerance=0.005,
        ),
    }


def lesson_plan(top_rate: float, cap: float, threshold: float, elasticity: float = 0.0) -> IncentivePlan:
    """The experiment's plan: the flat plan's base and quota, 8% rising to ``top_rate`` at 120%, a threshold and
    cap; the reps respond with ``elasticity`` (0: not at all)."""
    flat = load_plan(FLAT)
    return IncentivePlan.model_validate(
        {
            **flat.model_dump(),
            "name": "edited",
            "commission": {
                "tiers": [_TIERS[0], {**_TIERS[1], "rate": top_rate}],
                "threshold": threshold,
                "cap": cap or None,
            },
            "behaviour": {"elasticity": elasticity},
        }
    )


def response_band(
    results: sim.Results, edited: IncentivePlan, elasticities: tuple[float, ...] = ELASTICITIES
) -> pd.DataFrame:
    """The edited plan against the flat one on the same run, for each assumed strength of the reps' response.

    One row per elasticity: ``extra_revenue`` and ``extra_cost`` against the flat plan (means over
    replications, common random numbers), and the share of wins in a quarter's last month under
    each plan (``quarter_end``, ``flat_quarter_end``). The response is an assumption of the model
    (:mod:`sim.model.behaviour`), not something the run measures: the rows are a band to read, not
    a forecast. At elasticity 0 the reps sell what they would anyway, so the extra revenue is 0.
    """
    from sim.timing import plans_quarter_end_share

    rows = []
    for elasticity in elasticities:
        flat = IncentivePlan.model_validate({**load_plan(FLAT).model_dump(), "behaviour": {"elasticity": elasticity}})
        plan = IncentivePlan.model_validate(
            {
                **edited.model_dump(),
                "name": "edited",
                "behaviour": {**edited.behaviour.model_dump(), "elasticity": elasticity},
            }
        )
        _, summary = compare_plans(results, [flat, plan])
        shares = plans_quarter_end_share(results, [flat, plan])
        rows.append(
            {
                "elasticity": elasticity,
                "extra_revenue": summary["plans"][1]["extra_revenue"]["mean"],
                "extra_cost": summary["plans"][1]["extra_cost"]["mean"],
                "quarter_end": shares["edited"],
                "flat_quarter_end": shares["flat"],
            }
        )
    return pd.DataFrame(rows).set_index("elasticity")


def experiment_panel(lesson, replications: int, seed: int = 1):
    """Sliders for the accelerator rate, cap and threshold. The plan's cost is shown first with the reps not
    responding, then the band of responses (:data:`ELASTICITIES`) as the assumption it is."""
    import ipywidgets as widgets
    from IPython.display import Markdown

    from sim.plots.incentives import payout_curve, quarter_end_chart
    from sim.timing import crm_quarter_end_share

    results = sim.simulate(sim.load(PLAYBOOK), replications=replications, seed=seed, engine="fast", progress=False)
    crm = crm_quarter_end_share()
    style = {"description_width": "initial"}  # the label as wide as its text, in either language
    top = widgets.FloatSlider(
        value=0.12, min=0.0, max=0.3, step=0.01, readout_format=".0%", continuous_update=False, style=style
    )
    cap = widgets.IntSlider(
        value=0, min=0, max=80_000, step=5_000, readout_format=",d", continuous_update=False, style=style
    )
    threshold = widgets.FloatSlider(
        value=0.5, min=0, max=1, step=0.05, readout_format=".0%", continuous_update=False, style=style
    )
    out = widgets.Output()
    computed: dict[tuple, tuple] = {}  # by slider values: a language switch redraws without paying the year again

    def figures(key: tuple) -> tuple:
        if key not in computed:
            edited = lesson_plan(*key)
            flat = load_plan(FLAT)
            _, summary = compare_plans(results, [flat, edited])
            computed[key] = (edited, flat, summary["plans"], response_band(results, edited))
        return computed[key]

    def render(*_) -> None:
        for slider, name in ((top, "top_rate"), (cap, "cap"), (threshold, "threshold")):
            slider.description = lesson.text(f"labels.{name}")
        edited, flat, (base, new), band = figures((top.value, cap.value, threshold.value))
        still = Markdown(
            lesson.text(
                "figures",
                cost=new["comp_cost"]["mean"],
                flat_cost=base["comp_cost"]["mean"],
                cos=new["cost_of_sales"]["mean"],
                flat_cos=base["cost_of_sales"]["mean"],
                gini=new["gini"]["mean"],
                flat_gini=base["gini"]["mean"],
            )
        )
        rows = "\n".join(
            lesson.text(
                "band.row",
                elasticity=e,
                revenue=row.extra_revenue,
                cost=row.extra_cost,
                share=row.quarter_end,
                flat_share=row.flat_quarter_end,
            )
            for e, row in band.iterrows()
        )
        shares = {
            lesson.text("labels.crm"): crm,
            lesson.text("labels.flat"): band["flat_quarter_end"].iloc[0],
            **{lesson.text("labels.at_response", elasticity=e): row.quarter_end for e, row in band.iterrows()},
        }
        show(
            out,
            still,
            payout_curve([flat, edited]),
            Markdown(lesson.text("band.intro") + "\n\n" + lesson.text("band.header") + "\n" + rows),
            quarter_end_chart(shares),
        )

    for slider in (top, cap, threshold):
        slider.observe(render, names="value")
    lesson._shown(render)
    return widgets.VBox([widgets.HBox([top, cap]), widgets.HBox([threshold]), out])
