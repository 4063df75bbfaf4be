"""The director's incentive-design panel: edit a plan with sliders; see cost, spread and revenue respond.

The years are simulated once (per-lead detail kept, at the run policy's seed: :func:`sim.settings.answer`);
every slider move re-applies the edited plan and the current one to those same years (common
random numbers), so differences are the plan's alone; the reps' response (elasticity) applies to both plans.
Per-lead detail makes each year costly to simulate and to keep, so the page starts from a few years and,
given ``refine_to``, simulates more in the background (:class:`sim.widgets.refine.Refiner` with the
per-lead tables kept: ``workers`` processes, batches that quadruple the count): the years do not
depend on the plan, so each is simulated once, and after each batch, and after each move, the
figures are worked out again on every year so far. A move answers
at once from the first years; the probability of reaching the target carries its interval, which
narrows as years are added. The panel shows the payout curves, the figures side by side, the spread
of pay across reps and the share of wins at quarter ends next to the CRM data's.

Examples
--------
>>> import sim
>>> from sim.incentives import load_plan
>>> scenario = sim.load("tests/incentives/tiny.yaml")
>>> panel = IncentivePanel(scenario, load_plan("playbooks/incentives/flat.yaml").model_copy(update={"team": None}),
...                        replications=2)
>>> "cost of sales" in panel.summary.value and "%" in panel.summary.value
True
>>> panel.top_rate.value = 0.15
>>> panel.edited().commission.tiers[-1].rate
0.15
>>> panel.base_rate.value = 0.10  # every sale pays more, whoever reaches the accelerator
>>> panel.figures()["edited"]["comp_cost"] > panel.figures()["current"]["comp_cost"]
True
"""

from __future__ import annotations

import html
import threading
from concurrent.futures import ThreadPoolExecutor

import ipywidgets as widgets
import pandas as pd

from sim.errors import ScenarioError
from sim.formatting import money, percent
from sim.incentives import IncentivePlan, compare_plans
from sim.plots.incentives import cost_vs_revenue, pay_distribution, payout_curve, quarter_end_chart
from sim.odds import Odds
from sim.results import Results
from sim.scenario import Scenario
from sim.settings import SEED, Answer
from sim.timing import crm_quarter_end_share, plans_quarter_end_share
from sim.widgets import WARN, refinement_status, show
from sim.widgets.refine import Refiner

__all__ = ["IncentivePanel"]

_FIGURES = {
    "revenue": "revenue (mean)",
    "comp_cost": "compensation cost (mean)",
    "cost_of_sales": "cost of sales (compensation / revenue)",
    "share_at_quota": "reps at quota",
    "gini": "inequality of pay (Gini, 0 = equal)",
    "p_hit_target": "probability of reaching the target",
}


class IncentivePanel:
    """Sliders for the edited plan's rates, accelerator, threshold, cap, kicker, period and elasticity."""

    def __init__(
        self,
        scenario: Scenario,
        current: IncentivePlan,
        replications: int = 20,
        seed: int = SEED,
        engine: str = "fast",
        refine_to: int | None = None,
        workers: int = 1,
    ):
        self.scenario = scenario
        self.current = current
        self.seed = seed
        self.refine_to = max(refine_to or replications, replications)
        self.refiner = Refiner(
            Answer(seed=seed, quick=replications, replications=self.refine_to),
            workers=workers,
            engine=engine,
            on_error=self._stopped,
            detail=True,
        )
        self.first: Results | None = None  # the years a move is answered from at once
        self.results: Results | None = None  # every year simulated so far
        self._lock = threading.Lock()  # orders the drawing: only the latest move's figures are shown
        self._generation = 0
        self._redraws = ThreadPoolExecutor(1, thread_name_prefix="salesplay-incentives")
        tiers = current.commission.tiers if current.commission else ()
        base = tiers[0].rate if tiers else 0.08
        style, layout = {"description_width": "initial"}, widgets.Layout(width="100%")

        def slider(description, value, low, high, step, fmt=".0%"):
            return widgets.FloatSlider(
                value=value,
                min=low,
                max=high,
                step=step,
                description=description,
                readout_format=fmt,
                continuous_update=False,
                style=style,
                layout=layout,
            )

        self.base_rate = slider("rate up to the accelerator", base, 0.0, 0.2, 0.005, ".1%")
        self.accelerator = slider(
            "accelerator from attainment", tiers[1].from_attainment if len(tiers) > 1 else 1.2, 0.5, 2.0, 0.05
        )
        self.top_rate = slider("rate above it", tiers[1].rate if len(tiers) > 1 else base, 0.0, 0.3, 0.005, ".1%")
        self.threshold = slider(
            "nothing below attainment", current.commission.threshold if current.commission else 0.0, 0.0, 1.0, 0.05
        )
        cap = current.commission.cap if current.commission and current.commission.cap else 0.0
        fits = widgets.Layout(width="auto")  # a text box or dropdown at 100% pushes its margins past the column
        self.cap = widgets.FloatText(value=cap, description="cap per period (0 = none)", style=style, layout=fits)
        self.retroactive = widgets.Checkbox(
            value=bool(current.commission and current.commission.retroactive),
            description="retroactive tiers",
            style=style,
        )
        first_tier = next((t for t in scenario.tiers if t), None)
        self.kicker_tier = first_tier
        self.kicker = slider(
            f"new-product kicker on tier {first_tier}" if first_tier else "kicker (no tiers)",
            current.kickers.new_product.get(first_tier, 0.0) if first_tier else 0.0,
            0.0,
            0.1,
            0.005,
            ".1%",
        )
        self.kicker.disabled = first_tier is None
        self.period = widgets.Dropdown(
            options=["month", "quarter", "year"],
            value=current.period,
            description="payout period",
            style=style,
            layout=fits,
        )
        self.elasticity = slider("reps' response (elasticity)", current.behaviour.elasticity, 0.0, 2.0, 0.1, ".1f")
        self.summary = widgets.HTML()
        self.status = widgets.HTML()
        self.charts = widgets.Output()
        self.crm_share = crm_quarter_end_share()
        for control in self.controls():
            control.observe(self._update, names="value")
        self.refiner.start(scenario, self._years)

    def wait(self) -> None:
        """Block until every year is simulated and the figures of the latest move are drawn on them all."""
        self.refiner.wait()
        self._redraws.submit(lambda: None).result()

    def _years(self, results: Results, final: bool) -> None:
        """Every year simulated so far (the refiner's drawing): the first batch is drawn at once, each later
        one redraws the latest move on all of them."""
        self.results = results
        if self.first is None:
            self.first = results
            self._update()
            return
        with self._lock:
            generation = self._generation
        self._redraws.submit(self._draw_all, generation)

    def _stopped(self, error: Exception) -> None:
        self.status.value = WARN.format(html.escape(f"No more simulated years: {error}"))

    def controls(self) -> list:
        """The editing widgets, in display order."""
        return [
            self.base_rate,
            self.accelerator,
            self.top_rate,
            self.threshold,
            self.cap,
            self.retroactive,
            self.kicker,
            self.period,
            self.elasticity,
        ]

    def edited(self) -> IncentivePlan:
        """The current plan with the sliders' terms."""
        tiers = [{"from_attainment": 0.0, "rate": self.base_rate.value}]
        if self.top_rate.value != self.base_rate.value:
            tiers.append({"from_attainment": self.accelerator.value, "rate": self.top_rate.value})
        terms = {
            "tiers": tiers,
            "retroactive": self.retroactive.value,
            "threshold": self.threshold.value,
            "cap": self.cap.value if self.cap.value > 0 else None,
        }
        kickers = self.current.kickers.model_dump()
        if self.kicker_tier is not None:
            kickers["new_product"][self.kicker_tier] = self.kicker.value
        return IncentivePlan.model_validate(
            {
                **self.current.model_dump(),
                "name": "edited",
                "commission": terms,
                "kickers": kickers,
                "period": self.period.value,
                "behaviour": {**self.current.behaviour.model_dump(), "elasticity": self.elasticity.value},
            }
        )

    def plans(self) -> list[IncentivePlan]:
        """The current plan (named ``current``) and the edited one; the same reps respond alike to both."""
        behaviour = self.current.behaviour.model_copy(update={"elasticity": self.elasticity.value})
        return [self.current.model_copy(update={"name": "current", "behaviour": behaviour}), self.edited()]

    def figures(self) -> dict[str, dict[str, float]]:
        """Mean figures of the current and the edited plan, on the same run."""
        _, summary = compare_plans(self.results, self.plans())
        return {s["plan"]: {k: s[k]["mean"] for k in _FIGURES} for s in summary["plans"]}

    def _table(self, summaries: list[dict]) -> str:
        """The figures of both plans with their units; the probability with its interval."""

        def cell(key: str, s: dict) -> str:
            value = s[key]["mean"]
            if key == "p_hit_target":
                return "no target" if pd.isna(value) else str(Odds(round(value * s["replications"]), s["replications"]))
            if key in ("revenue", "comp_cost"):
                return money(value)
            return f"{value:.2f}" if key == "gini" else percent(value, 1)

        rows = "".join(
            f"<tr><th style='text-align:left'>{label}</th>"
            + "".join(f"<td style='text-align:right;padding:0 1em'>{cell(k, s)}</td>" for s in summaries)
            + "</tr>"
            for k, label in _FIGURES.items()
        )
        head = "".join(
            f"<th style='text-align:right;padding:0 1em'>{html.escape(s['plan'])} plan</th>" for s in summaries
        )
        return f"<table class='sp-incentive-figures'><tr><th></th>{head}</tr>{rows}</table>"

    def _update(self, *_) -> None:
        """Answer a move from the first years at once; redraw on every year so far in the background."""
        with self._lock:
            self._generation += 1
            generation = self._generation
            self._draw(self.first)
        if len(self.results.replications) > len(self.first.replications):
            self._redraws.submit(self._draw_all, generation)

    def _draw_all(self, generation: int) -> None:
        results = self.results
        with self._lock:
            if generation == self._generation:
                self._draw(results)

    def _draw(self, results: Results) -> None:
        """The figures and charts of both plans on ``results`` (called holding the lock)."""
        try:
            plans = self.plans()
            table, summary = compare_plans(results, plans)
        except (ValueError, ScenarioError) as error:  # terms the plan model refuses: said in the panel
            self.summary.value = WARN.format(html.escape(f"These terms are not a plan: {error}"))
            self.status.value = ""
            show(self.charts)
            return
        current, edited = summary["plans"]
        extra_revenue, extra_cost = edited["extra_revenue"]["mean"], edited["extra_cost"]["mean"]
        shares = {
            "CRM data (Apr-Dec 2017)": self.crm_share,
            **{f"simulated, {k} plan": v for k, v in plans_quarter_end_share(results, plans).items()},
        }
        self.summary.value = (
            self._table(summary["plans"])
            + f"<p class='sp-incentive-difference'>On the same {current['replications']} simulated years, the edited plan "
            + (f"costs <b>{money(extra_cost)}</b> more" if extra_cost >= 0 else f"saves <b>{money(-extra_cost)}</b>")
            + (
                f" and brings <b>{money(extra_revenue)}</b> more revenue"
                if extra_revenue >= 0
                else f" and loses <b>{money(-extra_revenue)}</b> of revenue"
            )
            + f": cost of sales {percent(current['cost_of_sales']['mean'], 1)} → "
            f"{percent(edited['cost_of_sales']['mean'], 1)}.</p>"
        )
        count = current["replications"]
        self.status.value = refinement_status(count, self.refine_to, self.seed, "simulated years")
        show(
            self.charts,
            payout_curve(plans),
            pay_distribution(table),
            cost_vs_revenue(summary["plans"]),
            quarter_end_chart(shares),
        )

    def widget(self) -> widgets.Widget:
        """The panel: controls on the left, figures and charts beside them."""
        return widgets.AppLayout(
            left_sidebar=widgets.VBox(self.controls()),
            center=widgets.VBox([self.summary, self.status, self.charts]),
            pane_widths=["340px", "1fr", "0fr"],
            pane_heights=["0px", "1fr", "0px"],
            grid_gap="1em",
        )
