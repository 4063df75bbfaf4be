"""The director's allocation panel: a budget and a headcount; the split the optimiser recommends, in words.

The search (:func:`sim.allocation.optimise`) simulates dozens of allocations, so it runs when
the director asks (the *recommend* button), not on every slider move; the page says it is
searching meanwhile. It ranks by profit (revenue less marketing, staff, hiring and commission)
and keeps the service levels (by default first contact within three days for nine leads in ten,
and no team more than 85% busy). The gain over the current allocation is a sentence: how much
more profit, its 95% interval, how often the recommendation does better (with that share's own
interval), what it does to revenue and to costs, and which limit held it back. The gain is scored on
simulated years the search never saw; given ``refine_to``, more such years are scored in the background
(batches quadrupling the count) and the sentence and table redrawn after each, their intervals
narrowing; a control moved or a new search drops the refinement.

Examples
--------
>>> import sim
>>> panel = AllocationPanel(sim.load("playbooks/b2b_saas.yaml"), replications=2, steps=1)
>>> panel.budget.value == round(panel.current_budget)
True
>>> panel.recommend()["budget"] == panel.budget.value
True
>>> "more profit" in panel.answer.value or "less profit" in panel.answer.value
True
"""

from __future__ import annotations

import html
import threading
from typing import Any

import ipywidgets as widgets
import pandas as pd

from sim.allocation import Allocation, current_allocation, optimise, score
from sim.errors import ScenarioError
from sim.formatting import money, styled
from sim.odds import Odds
from sim.plots.allocation import curves_chart
from sim.scenario import Scenario
from sim.service import MaxWait, ServiceLevels
from sim.settings import SEED
from sim.widgets import WARN, refinement_status, show

__all__ = ["AllocationPanel"]


FIRST_CONTACT_DAYS, FIRST_CONTACT_SHARE, MAX_UTILISATION = 3, 0.9, 0.85
"""The page's service levels (the practice's first contact within 72 hours; slack for prospecting)."""


class AllocationPanel:
    """A slider for the marketing budget over the horizon, one for the reps across teams, and a button."""

    def __init__(
        self, scenario: Scenario, replications: int = 20, steps: int = 8, seed: int = SEED, refine_to: int | None = None
    ):
        self.scenario = scenario
        self.replications, self.steps, self.seed = replications, steps, seed
        self.refine_to = max(refine_to or replications, replications)  # fresh years the gain is scored on, in the end
        self._lock = threading.Lock()
        self._generation = 0  # a newer search or a moved control drops an older refinement
        self._refining: threading.Thread | None = None
        current = current_allocation(scenario)
        self.current_budget = sum(current.budget.values())
        self.current_headcount = sum(current.headcount.values())
        self.levels = ServiceLevels(
            max_wait=(MaxWait(scenario.stages[0].name, days=FIRST_CONTACT_DAYS, share=FIRST_CONTACT_SHARE),),
            max_utilisation=MAX_UTILISATION,
        )
        style, layout = {"description_width": "initial"}, widgets.Layout(width="100%")
        self.budget = widgets.IntSlider(
            value=round(self.current_budget),
            min=0,
            max=round(2 * self.current_budget),
            step=max(1, round(self.current_budget / 100)),
            readout_format=".3s",
            description="marketing budget for the year",
            continuous_update=False,
            style=style,
            layout=layout,
        )
        self.headcount = widgets.IntSlider(
            value=self.current_headcount,
            min=len(current.headcount),
            max=2 * self.current_headcount,
            description="reps across the teams",
            continuous_update=False,
            style=style,
            layout=layout,
        )
        self.button = widgets.Button(
            description="recommend an allocation", button_style="primary", layout=widgets.Layout(width="auto")
        )
        self.status = widgets.HTML()
        self.answer = widgets.HTML()
        self.table = widgets.Output()
        self.chart = widgets.Output()
        self.result: dict[str, Any] | None = None
        self.button.on_click(lambda _: self.recommend())
        for control in (self.budget, self.headcount):
            control.observe(lambda _: self._stale(), names="value")

    def _stale(self) -> None:
        """A control moved: the shown recommendation is for other values, so it goes."""
        with self._lock:
            self._generation += 1
        self.result = None
        self.status.value = ""
        self.answer.value = "<p>Press <b>recommend an allocation</b> to search for this budget and headcount.</p>"
        show(self.table)
        show(self.chart)

    def recommend(self) -> dict[str, Any] | None:
        """Search the best split of the budget and reps; show it against the current one."""
        if self.budget.value <= 0:
            self._stale()
            self.answer.value = WARN.format("With no budget there is nothing to split: give the year a budget.")
            return None
        self.button.disabled = True
        self.status.value = (
            f"<p><i>Searching: {self.steps} budget steps, each weighed on {self.replications} simulated years…</i></p>"
        )
        try:
            result = optimise(
                self.scenario,
                budget=float(self.budget.value),
                headcount=self.headcount.value,
                steps=self.steps,
                replications=self.replications,
                seed=self.seed,
                levels=self.levels,
            )
        except (ValueError, ScenarioError) as error:
            self._stale()
            self.answer.value = WARN.format(html.escape(f"No recommendation for these values: {error}"))
            return None
        finally:
            self.button.disabled = False
            self.status.value = ""
        with self._lock:
            self._generation += 1
            generation = self._generation
            self._show(result)
        show(self.chart, curves_chart(result))
        if self.refine_to > self.replications:
            self._refining = threading.Thread(
                target=self._refine, args=(generation, result), name="salesplay-scoring", daemon=True
            )
            self._refining.start()
        return result

    def wait(self) -> None:
        """Block until the scoring on more fresh years (if any) has finished or stopped."""
        if self._refining is not None:
            self._refining.join()

    def _show(self, result: dict[str, Any]) -> None:
        self.result = result
        self.answer.value = self.sentence(result)
        show(self.table, styled(self.comparison(result)))
        self.status.value = refinement_status(
            _fresh(result), self.refine_to, self.seed, "simulated years the search never saw"
        )

    def _refine(self, generation: int, result: dict[str, Any]) -> None:
        """Score the recommendation and the current allocation on more fresh years, redrawing after each batch."""
        chosen, current = (
            Allocation(result[part]["budget"], result[part]["headcount"]) for part in ("chosen", "current")
        )
        first = result["gain"]["replications"][0]
        years = _fresh(result)
        while years < self.refine_to and generation == self._generation:
            years = min(4 * years, self.refine_to)
            try:
                scored = score(
                    self.scenario,
                    chosen,
                    current,
                    range(first, first + years),
                    self.seed,
                    result["engine"],
                    self.levels,
                    result["objective"],
                )
            except (ValueError, ScenarioError) as error:  # said in the page, not lost in a thread
                self.status.value = WARN.format(html.escape(f"No more scoring: {error}"))
                return
            with self._lock:
                if generation != self._generation:
                    return
                self._show({**result, **scored})

    def sentence(self, result: dict[str, Any]) -> str:
        """The recommendation's profit gain in words, with its interval, how often it wins, what it does to
        revenue and costs, and the service limit that held it back."""
        gain, (low, high) = result["profit_gain"]["mean"], result["profit_gain"]["ci95"]
        n = _fresh(result)
        better = Odds(round(result["profit_gain"]["p_better"] * n), n)
        split = ", ".join(f"{name} {money(amount)}" for name, amount in result["chosen"]["budget"].items())
        revenue = result["revenue_gain"]["mean"]
        costs = result["chosen"]["costs"]["total"] - result["current"]["costs"]["total"]
        verdict = "more profit" if gain >= 0 else "less profit"
        sure = (
            ""
            if low > 0 or high < 0
            else " The interval holds zero: on this many simulated years the two cannot be told apart."
        )
        kept = (
            "it keeps first contact within {days} days for {share:.0%} of leads and every team at most {busy:.0%} busy"
        ).format(days=FIRST_CONTACT_DAYS, share=FIRST_CONTACT_SHARE, busy=MAX_UTILISATION)
        if not result["chosen"]["feasible"]:
            kept = "no allocation found keeps every service level: " + kept.replace("it keeps", "the limits ask for")
        binding = f"; the limit that held it back most: {result['binding'][0]['limit']}" if result["binding"] else ""
        return (
            f"<p class='sp-allocation'>Spending the year's budget as <b>{split}</b> with "
            f"{result['headcount']} reps brings <b>{money(abs(gain))} {verdict}</b> a year than the current "
            f"allocation (95% interval {money(low)} to {money(high)}), better in {better} of {n} simulated "
            f"years the search never saw: revenue {'+' if revenue >= 0 else '-'}{money(abs(revenue))}, costs "
            f"{'+' if costs >= 0 else '-'}{money(abs(costs))}. {kept[0].upper()}{kept[1:]}{binding}.{sure}</p>"
        )

    @staticmethod
    def comparison(result: dict[str, Any]) -> pd.DataFrame:
        """The current and the recommended allocation side by side (rows: budgets, reps, revenue, odds), as text
        in the units a director reads."""
        rows = {}
        for label, part in (("current", result["current"]), ("recommended", result["chosen"])):
            revenue = part["revenue"]
            n = _fresh(result)
            hit = revenue.get("p_hit_target")
            rows[label] = {
                **{f"budget for the year: {k}": money(v) for k, v in part["budget"].items()},
                **{f"reps: {k}": str(v) for k, v in part["headcount"].items()},
                "revenue P10": money(revenue["p10"]),
                "revenue mean": money(revenue["mean"]),
                "revenue P90": money(revenue["p90"]),
                "costs (mean)": money(part["costs"]["total"]),
                "profit (mean)": money(part["profit"]["mean"]),
                "probability of reaching the target": "" if hit is None else Odds(round(hit * n), n).text(),
            }
        return pd.DataFrame(rows)

    def widget(self) -> widgets.Widget:
        """Controls on the left; the answer, the table and the curves beside them."""
        controls = widgets.VBox([self.budget, self.headcount, self.button, self.status])
        results = widgets.VBox([self.answer, self.table, self.chart])
        return widgets.AppLayout(
            left_sidebar=controls,
            center=results,
            pane_widths=["340px", "1fr", "0fr"],
            pane_heights=["0px", "1fr", "0px"],
            grid_gap="1em",
        )


def _fresh(result: dict[str, Any]) -> int:
    """How many simulated years the gain was scored on (ones the search never saw)."""
    first, last = result["gain"]["replications"]
    return last - first + 1
