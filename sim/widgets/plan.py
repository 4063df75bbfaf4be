"""The director's annual-plan panel: edit target, split and resources; see the plan re-simulated.

Examples
--------
>>> import sim
>>> panel = PlanPanel(sim.load("playbooks/b2b_saas.yaml"), replications=2)
>>> panel.edited().team("solutions").headcount
18
>>> panel.headcount["solutions"].value = 10
>>> panel.edited().team("solutions").headcount
10
"""

from __future__ import annotations

import time
from pathlib import Path

import ipywidgets as widgets
import pandas as pd

from sim.feasibility import feasibility
from sim.plots.plan import plan_chart
from sim.scenario import Scenario, dump
from sim.targets import METHODS, days_per_week, plan_table, reverse_funnel, working_days
from sim.widgets import show

__all__ = ["PlanPanel"]


class PlanPanel:
    """Widgets for the annual target, split method, reserve month, headcount per team and budget per channel."""

    def __init__(self, scenario: Scenario, replications: int = 20, seed: int = 1, source: str | Path | None = None,
                 workers: int = 1):
        self.base = scenario
        self.replications = replications
        self.seed = seed
        self.workers = workers  # processes per re-simulation (the same numbers on any count)
        self.source = Path(source) if source else None
        target = scenario.targets.annual_revenue if scenario.targets else 1_000_000
        style = {"description_width": "12em"}
        layout = widgets.Layout(width="32em")
        self.target = widgets.IntSlider(value=round(target), min=round(target * 0.5), max=round(target * 1.5),
                                        step=max(1, round(target / 100)), description="annual target", readout_format=",d",
                                        continuous_update=False, style=style, layout=layout)
        self.method = widgets.Dropdown(options=METHODS, value="reserve", description="split", style=style)
        self.reserve_month = widgets.IntSlider(value=12, min=1, max=12, description="reserve month",
                                               continuous_update=False, style=style, layout=layout)
        self.headcount = {t.name: widgets.IntSlider(value=t.headcount, min=0, max=max(10, 2 * t.headcount),
                                                    description=f"{t.name} reps", continuous_update=False,
                                                    style=style, layout=layout) for t in scenario.teams}
        self.budget = {c.name: widgets.IntSlider(value=round(self._monthly_budget(c)), min=0,
                                                 max=max(1, round(self._monthly_budget(c) * 2)),
                                                 step=max(1, round(self._monthly_budget(c) / 50)),
                                                 description=f"{c.name} budget/month", readout_format=",d",
                                                 continuous_update=False,
                                                 style=style, layout=layout)
                       for c in scenario.channels if c.cost_per_lead > 0}
        self.figures = widgets.HTML()
        self.chart = widgets.Output()
        self.details = widgets.Output()
        self.save_name = widgets.Text(value=self._default_save_name(), description="save as", style=style,
                                      layout=layout)
        self.overwrite = widgets.Checkbox(value=False, description="overwrite if the file exists")
        self.save_button = widgets.Button(description="save plan", button_style="success")
        self.save_message = widgets.HTML()
        self.save_button.on_click(lambda _: self.save())
        for control in (self.target, self.method, self.reserve_month, *self.headcount.values(), *self.budget.values()):
            control.observe(lambda _: self.update(), names="value")
        self.seconds = 0.0
        self.update()

    @staticmethod
    def _monthly_budget(channel) -> float:
        return channel.leads_per_day * channel.cost_per_lead * 365 / 12

    def _default_save_name(self) -> str:
        if self.source is None:
            return "edited_plan.yaml"
        return str(self.source.with_name(f"{self.source.stem}_plan.yaml"))

    def edited(self) -> Scenario:
        """The scenario with the panel's target, headcounts and channel budgets."""
        teams = tuple(t.model_copy(update={"headcount": self.headcount[t.name].value}) for t in self.base.teams)
        channels = tuple(
            c.model_copy(update={"leads_per_day": self.budget[c.name].value * 12 / 365 / c.cost_per_lead})
            if c.name in self.budget else c for c in self.base.channels)
        targets = {"annual_revenue": float(self.target.value)}
        return Scenario.model_validate({**self.base.model_dump(by_alias=True),
                                        "teams": [t.model_dump(by_alias=True) for t in teams],
                                        "channels": [c.model_dump(by_alias=True) for c in channels],
                                        "targets": targets})

    def update(self) -> None:
        """Re-plan and re-simulate; redraw figures, chart and tables."""
        started = time.perf_counter()
        scenario = self.edited()
        options = {"reserve_month": self.reserve_month.value} if self.method.value == "reserve" else {}
        self.reserve_month.disabled = self.method.value != "reserve"
        plan = plan_table(scenario, self.target.value, self.method.value, **options)
        report = feasibility(scenario, plan, replications=self.replications, seed=self.seed, workers=self.workers)
        gaps = report["staffing_gaps"]
        self.figures.value = (
            f"<p class='sp-figures'>Probability of reaching the annual target: <b>{report['p_hit_annual']:.0%}</b>"
            f" · simulated revenue P10 <b>{report['annual_revenue']['p10']:,.0f}</b>"
            f" · P50 <b>{report['annual_revenue']['p50']:,.0f}</b>"
            f" · P90 <b>{report['annual_revenue']['p90']:,.0f}</b></p>"
            + ("<p style='color:#b35900'>" + "<br>".join(gaps) + "</p>" if gaps else "<p>No staffing gap.</p>"))
        show(self.chart, plan_chart(report["months"]))
        show(self.details, self.activity_targets(scenario, plan))
        self.seconds = time.perf_counter() - started

    @staticmethod
    def activity_targets(scenario: Scenario, plan: pd.DataFrame) -> pd.DataFrame:
        """Per month: the revenue target, deals and leads, and each team's activities (leads worked:
        calls, meetings, visits) per rep per working day and per week."""
        company = plan[plan.level == "company"].set_index("period")
        per_revenue = reverse_funnel(scenario, 1.0).worked
        table = pd.DataFrame({"revenue target": company.revenue_target, "deals": company.deals.round(1),
                              "leads": company.leads.round(0)})
        for i, team in enumerate(scenario.teams):
            calendar = scenario.calendar_of(i)
            days = [working_days(pd.Period(p, "M"), calendar) for p in company.index]
            per_rep_day = company.revenue_target * per_revenue[team.name] / max(team.headcount, 1) / days
            table[f"{team.name}: per rep per working day"] = per_rep_day.round(1)
            table[f"{team.name}: per rep per week"] = (per_rep_day * days_per_week(calendar)).round(1)
        return table

    def save(self) -> Path | None:
        """Write the edited scenario to a new YAML file; an existing file only when ``overwrite`` is ticked."""
        path = Path(self.save_name.value)
        if path.exists() and not self.overwrite.value:
            self.save_message.value = f"<span style='color:#b35900'>{path} exists: tick 'overwrite' to replace it.</span>"
            return None
        dump(self.edited(), path)
        self.save_message.value = f"Saved <code>{path}</code>."
        return path

    def widget(self) -> widgets.Widget:
        """The whole panel, ready to display."""
        controls = widgets.VBox([self.target, self.method, self.reserve_month, *self.headcount.values(),
                                 *self.budget.values()])
        saving = widgets.VBox([widgets.HBox([self.save_name, self.save_button]), self.overwrite, self.save_message])
        return widgets.VBox([controls, self.figures, self.chart, self.details, saving])
