"""The director's annual-plan panel: edit target, split and resources; see the plan re-simulated.

Every change answers at once from the run policy's quick batch and refines to its full count
in the background (:class:`sim.widgets.refine.Refiner`), each probability with its interval;
a control combination the model cannot plan (no leads at all, say) is said in the panel, and
the figures of the last plan are cleared rather than left standing. The plan in time (when the
leads for each month's revenue must be bought, :mod:`sim.schedule`) is drawn beside the odds,
which are those of the scenario **as is** (the controls' budgets and headcounts) or **as
planned** (the scenario that carries the plan out: leads bought month by month, hires dated so
ramp-up ends in time, :func:`sim.schedule.planned_scenario`).

Examples
--------
>>> import sim
>>> from sim.settings import Answer
>>> panel = PlanPanel(sim.load("playbooks/b2b_saas.yaml"), policy=Answer(seed=0, quick=2, replications=2))
>>> panel.edited().team("solutions").headcount
18
>>> panel.headcount["solutions"].value = 10
>>> panel.edited().team("solutions").headcount
10
>>> "%" in panel.odds.text()
True
>>> panel.version.value = "planned"
>>> "as planned" in panel.figures.value
True
"""

from __future__ import annotations

import html
from pathlib import Path

import ipywidgets as widgets
import pandas as pd

from sim.errors import ScenarioError
from sim.feasibility import chances, company_targets, staffing, staffing_gaps
from sim.formatting import band_caption, money, styled
from sim.odds import Odds
from sim.overrides import with_conversion_change
from sim.plots.plan import plan_chart
from sim.plots.schedule import lag_chart
from sim.results import Results
from sim.scenario import Scenario, dump, load
from sim.schedule import planned_scenario, schedule
from sim.settings import Answer
from sim.spreadsheet import write_xlsx
from sim.targets import METHODS, days_per_week, plan_table, reverse_funnel, working_days
from sim.widgets import show
from sim.widgets.refine import Refiner

__all__ = ["PlanPanel"]

_WARN = "<p style='color:#b35900'>{}</p>"


class PlanPanel:
    """Widgets for the annual target, split method, reserve month, headcount per team, budget per channel
    and win rate per stage."""

    def __init__(self, scenario: Scenario, policy: Answer | None = None, source: str | Path | None = None,
                 workers: int = 1):
        self.base = scenario
        self.source = Path(source) if source else None
        self.refiner = Refiner(policy, workers=workers, on_error=self._show_error)
        target = scenario.targets.annual_revenue if scenario.targets else 1_000_000
        style, layout = {"description_width": "initial"}, widgets.Layout(width="100%")
        self.target = widgets.IntSlider(value=round(target), min=round(target * 0.5), max=round(target * 1.5),
                                        step=max(1, round(target / 100)), description="annual target",
                                        readout_format=".3s", continuous_update=False, style=style, layout=layout)
        self.method = widgets.Dropdown(options=METHODS, value="reserve", description="split over months",
                                       style=style, layout=layout)
        self.reserve_month = widgets.IntSlider(value=12, min=1, max=12, description="reserve month",
                                               continuous_update=False, style=style, layout=layout)
        self.headcount = {t.name: widgets.IntSlider(value=t.headcount, min=0, max=max(10, 2 * t.headcount),
                                                    description=f"{t.name} reps", continuous_update=False,
                                                    style=style, layout=layout) for t in scenario.teams}
        self.budget = {c.name: widgets.IntSlider(value=round(self._monthly_budget(c)), min=0,
                                                 max=max(1, round(self._monthly_budget(c) * 2)),
                                                 step=max(1, round(self._monthly_budget(c) / 50)),
                                                 description=f"{c.name} budget per month", readout_format=",d",
                                                 continuous_update=False, style=style, layout=layout)
                       for c in scenario.channels if c.cost_per_lead > 0}
        self.win_rate = {s.name: widgets.FloatSlider(value=0.0, min=-0.2, max=0.2, step=0.01, readout_format="+.0%",
                                                     description=f"{s.name} win rate", continuous_update=False,
                                                     style=style, layout=layout) for s in scenario.stages}
        self.version = widgets.ToggleButtons(options=[("as is", "as_is"), ("as planned", "planned")], value="as_is",
                                             description="simulate the plan", style=style,
                                             tooltips=["the controls' budgets and headcounts",
                                                       "leads bought month by month and hires as the plan asks"])
        self._apply_saved_choices(scenario)
        self.figures = widgets.HTML()
        self.status = widgets.HTML()
        self.chart = widgets.Output()
        self.lag = widgets.Output()
        self.caption = widgets.HTML(f"<p style='font-size:0.9em;color:#555'>{band_caption()}</p>")
        self.details = widgets.Output()
        self.save_name = widgets.Text(value=self._default_save_name(), description="file", style=style,
                                      layout=widgets.Layout(width="32em"))
        self.overwrite = widgets.Checkbox(value=False, description="overwrite if the file exists", style=style)
        self.save_button = widgets.Button(description="save plan", button_style="success")
        self.load_button = widgets.Button(description="load plan")
        self.export_button = widgets.Button(description="export to Excel")
        self.save_message = widgets.HTML()
        self.save_button.on_click(lambda _: self.save())
        self.load_button.on_click(lambda _: self.load())
        self.export_button.on_click(lambda _: self.export())
        self.plan: pd.DataFrame | None = None
        self.odds: Odds | None = None
        self.months: list[dict] = []
        self._holding = False
        for control in self.controls():
            control.observe(lambda _: self.update(), names="value")
        self.update()

    def controls(self) -> list[widgets.Widget]:
        """The editing widgets, in display order."""
        return [self.target, self.method, self.reserve_month, *self.headcount.values(), *self.budget.values(),
                *self.win_rate.values(), self.version]

    @staticmethod
    def _monthly_budget(channel) -> float:
        return channel.leads_per_day * channel.cost_per_lead * 365 / 12

    def _apply_saved_choices(self, scenario: Scenario) -> None:
        saved = scenario.targets
        if saved is not None and saved.split is not None:
            self.method.value = saved.split
        if saved is not None and saved.reserve_month is not None:
            self.reserve_month.value = saved.reserve_month

    def _default_save_name(self) -> str:
        if self.source is None:
            return "edited_plan.yaml"
        return str(self.source.with_name(f"{self.source.stem}_plan.yaml"))

    def edited(self) -> Scenario:
        """The scenario with the panel's target, split, headcounts, channel budgets and each stage's win
        rate moved by its lever (in points, every tier alike)."""
        teams = tuple(t.model_copy(update={"headcount": self.headcount[t.name].value}) for t in self.base.teams)
        channels = tuple(
            c.model_copy(update={"leads_per_day": self.budget[c.name].value * 12 / 365 / c.cost_per_lead})
            if c.name in self.budget else c for c in self.base.channels)
        targets = {"annual_revenue": float(self.target.value), "split": self.method.value,
                   **({"reserve_month": self.reserve_month.value} if self.method.value == "reserve" else {})}
        resourced = Scenario.model_validate({**self.base.model_dump(by_alias=True),
                                             "teams": [t.model_dump(by_alias=True) for t in teams],
                                             "channels": [c.model_dump(by_alias=True) for c in channels],
                                             "targets": targets})
        return with_conversion_change(resourced, {name: lever.value for name, lever in self.win_rate.items()})

    def _problem(self, scenario: Scenario) -> str | None:
        """Why the controls cannot be planned, in words (None when they can)."""
        if all(c.leads_per_day == 0 for c in scenario.channels):
            return "Every channel's budget is 0: no leads come in, so there is no revenue to plan. Give a channel a budget."
        return None

    def update(self) -> None:
        """Re-plan and re-simulate; redraw figures, chart and tables (or say why the plan cannot be made)."""
        if self._holding:
            return
        self.reserve_month.disabled = self.method.value != "reserve"
        try:
            scenario = self.edited()
            problem = self._problem(scenario)
            if problem is None:
                options = {"reserve_month": self.reserve_month.value} if self.method.value == "reserve" else {}
                plan = plan_table(scenario, self.target.value, self.method.value, **options)
        except (ValueError, ScenarioError) as error:
            problem = f"This plan cannot be made: {error}"
        if problem is not None:
            self.refiner.cancel()
            self._clear(problem)
            return
        self.plan = plan
        timed = schedule(scenario, company_targets(plan))
        planned = self.version.value == "planned"
        gaps = staffing_gaps(staffing(scenario, plan, timed=timed))
        empty = [t.name for t in scenario.teams if t.headcount == 0]
        notes = [f"The {name} team has no reps: every lead it should work waits, and no deal passes it."
                 for name in empty] + ([] if planned else gaps) + [f"The plan cannot: {p}" for p in timed.problems]
        if planned:
            notes += [f"Planned hires, {team}: " + ", ".join(f"{count} on day {day}" for day, count in hires)
                      for team, hires in timed.hires.items() if hires]
        show(self.lag, lag_chart(timed))
        notes_html = _WARN.format("<br>".join(html.escape(n) for n in notes)) if notes else "<p>No staffing gap.</p>"
        show(self.details, styled(self.activity_targets(scenario, plan), money_columns=["revenue target"],
                                  count_columns=["leads"], decimals_columns=[*self._activity_columns(scenario), "deals"]))
        self.status.value = "<p><i>Simulating…</i></p>"
        simulated = planned_scenario(scenario, timed) if planned else scenario
        label = "as planned" if planned else "as is"
        self.refiner.start(simulated, lambda results, final: self._draw(results, plan, notes_html, final, label))

    def _draw(self, results: Results, plan: pd.DataFrame, notes: str, final: bool, label: str = "as is") -> None:
        figures = chances(results, plan)
        revenue = results.replications.revenue
        self.odds = Odds.of(revenue >= float(plan[plan.level == "company"].revenue_target.sum()))
        self.months = figures["months"]
        annual = figures["annual_revenue"]
        self.figures.value = (
            f"<p class='sp-figures'>Probability of reaching the annual target {label}: <b>{self.odds}</b>"
            f" · simulated revenue P10 <b>{money(annual['p10'])}</b> · P50 <b>{money(annual['p50'])}</b>"
            f" · P90 <b>{money(annual['p90'])}</b></p>" + notes)
        count = len(revenue)
        self.status.value = (f"<p style='color:#555'>From {count:,} replications (seed {self.refiner.policy.seed}),"
                             " final.</p>" if final else
                             f"<p style='color:#555'><i>Refining: {count:,} of {self.refiner.policy.replications:,}"
                             " replications so far…</i></p>")
        show(self.chart, plan_chart(figures["months"]))

    def _clear(self, message: str) -> None:
        """Say ``message`` in place of the figures; clear the chart and table so nothing stale stays."""
        self.plan, self.odds, self.months = None, None, []
        self.figures.value = _WARN.format(html.escape(message))
        self.status.value = ""
        show(self.chart)
        show(self.lag)
        show(self.details)

    def _show_error(self, error: Exception) -> None:
        self._clear(f"The refinement stopped: {error}")

    @staticmethod
    def _activity_columns(scenario: Scenario) -> list[str]:
        return [f"{team.name}: per rep per {unit}" for team in scenario.teams for unit in ("working day", "week")]

    @staticmethod
    def activity_targets(scenario: Scenario, plan: pd.DataFrame) -> pd.DataFrame:
        """Per month: the revenue target, deals and leads, and each team's activities (leads worked:
        calls, meetings, visits) per rep per working day and per week (blank for a team without reps)."""
        company = plan[plan.level == "company"].set_index("period")
        per_revenue = reverse_funnel(scenario, 1.0).worked
        table = pd.DataFrame({"revenue target": company.revenue_target, "deals": company.deals.round(1),
                              "leads": company.leads.round(0)})
        for i, team in enumerate(scenario.teams):
            calendar = scenario.calendar_of(i)
            days = [working_days(pd.Period(p, "M"), calendar) for p in company.index]
            reps = team.headcount if team.headcount > 0 else float("nan")
            per_rep_day = company.revenue_target * per_revenue[team.name] / reps / days
            table[f"{team.name}: per rep per working day"] = per_rep_day.round(1)
            table[f"{team.name}: per rep per week"] = (per_rep_day * days_per_week(calendar)).round(1)
        return table.rename_axis("month")

    def _writable(self, path: Path) -> bool:
        if path.exists() and not self.overwrite.value:
            self.save_message.value = _WARN.format(f"{html.escape(str(path))} exists: tick 'overwrite' to replace it.")
            return False
        return True

    def save(self) -> Path | None:
        """Write the edited scenario, with its split and reserve month, to a new YAML file (an existing
        file only when ``overwrite`` is ticked); :meth:`load` reads every choice back."""
        path = Path(self.save_name.value)
        if not self._writable(path):
            return None
        dump(self.edited(), path)
        self.save_message.value = f"Saved <code>{html.escape(str(path))}</code>."
        return path

    def load(self) -> Scenario | None:
        """Set every control from the plan saved at the file name (a scenario of the same teams and channels)."""
        path = Path(self.save_name.value)
        try:
            scenario = load(path)
        except (OSError, ScenarioError) as error:
            self.save_message.value = _WARN.format(html.escape(f"Cannot load {path}: {error}"))
            return None
        if [t.name for t in scenario.teams] != list(self.headcount) or \
                {c.name for c in scenario.channels if c.cost_per_lead > 0} != set(self.budget) or \
                [s.name for s in scenario.stages] != list(self.win_rate):
            self.save_message.value = _WARN.format(html.escape(
                f"{path} has other teams or channels than this page's plan: open it on a page of its own."))
            return None
        self._holding = True  # one re-simulation for the whole plan, not one per control
        try:
            self.base = scenario
            if scenario.targets is not None:
                self.target.max = max(self.target.max, round(scenario.targets.annual_revenue))
                self.target.value = round(scenario.targets.annual_revenue)
            self._apply_saved_choices(scenario)
            for team in scenario.teams:
                self.headcount[team.name].max = max(self.headcount[team.name].max, team.headcount)
                self.headcount[team.name].value = team.headcount
            for lever in self.win_rate.values():
                lever.value = 0.0  # the loaded plan's win rates are its stages' own
            for channel in scenario.channels:
                if channel.name in self.budget:
                    budget = round(self._monthly_budget(channel))
                    self.budget[channel.name].max = max(self.budget[channel.name].max, budget)
                    self.budget[channel.name].value = budget
        finally:
            self._holding = False
        self.update()
        self.save_message.value = f"Loaded <code>{html.escape(str(path))}</code>."
        return scenario

    def export(self) -> Path | None:
        """Write the plan by level and month, the odds by month and the activities to an Excel file
        beside the save name (``.xlsx``), text escaped against formulas."""
        path = Path(self.save_name.value).with_suffix(".xlsx")
        if self.plan is None:
            self.save_message.value = _WARN.format("There is no plan to export: change the controls first.")
            return None
        if not self._writable(path):
            return None
        odds = pd.DataFrame(self.months)
        write_xlsx(path, {"plan": self.plan.assign(period=self.plan.period.astype(str)),
                          "odds by month": odds.assign(period=odds.period.astype(str)),
                          "activities": self.activity_targets(self.edited(), self.plan).reset_index()
                          .assign(month=lambda t: t.month.astype(str))})
        self.save_message.value = f"Exported <code>{html.escape(str(path))}</code>."
        return path

    def widget(self) -> widgets.Widget:
        """The whole panel: controls on the left, figures, chart and table beside them, saving below."""
        saving = widgets.VBox([widgets.HBox([self.save_name, self.save_button, self.load_button, self.export_button]),
                               self.overwrite, self.save_message])
        results = widgets.VBox([self.figures, self.status, self.chart, self.caption, self.lag, self.details])
        return widgets.VBox([widgets.AppLayout(left_sidebar=widgets.VBox(self.controls()), center=results,
                                               pane_widths=["340px", "1fr", "0fr"], pane_heights=["0px", "1fr", "0px"],
                                               grid_gap="1em"), saving])

