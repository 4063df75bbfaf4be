"""The director's annual-plan panel: edit target, split, resources and levers; see the plan re-simulated.

Every control is declared as data, a dotted scenario path and its widgets (:class:`Control`, as
Mesa's ``model_params`` declare a model's), and the panel's scenario is the base scenario changed
through the one validated way, :meth:`sim.scenario.Scenario.replace`: the target and its split,
headcount, budget, hires (month and count) and attrition per team or channel, and the levers
directors debate -- each stage's win rate (points), deal size and the customer-side time (multipliers)
and how long a first contact may wait before the lead goes cold (the stages' ``patience_days``).

Every change answers at once from the run policy's quick batch and refines to its full count
in the background (:class:`sim.widgets.refine.Refiner`), each probability with its interval;
a control combination the model cannot plan (no leads at all, say) is said in the panel, and
the figures of the last plan are cleared rather than left standing. The plan in time (when the
leads for each month's revenue must be bought, :mod:`sim.schedule`) is drawn beside the odds,
solved once per change and shared with the plan table; the odds are those of the scenario **as
is** (the controls' budgets and headcounts) or **as planned** (the scenario that carries the plan
out: leads bought month by month, hires dated so ramp-up ends in time,
:func:`sim.schedule.planned_scenario`). **Compare with the saved plan** simulates the plan as
loaded or last saved on the same replications (common random numbers) and gives the paired
difference in revenue and in the chance of reaching the target, with 95% intervals.

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
>>> panel.paths["teams.solutions.headcount"].widgets == (panel.headcount["solutions"],)
True
>>> panel.deal_size.value = 1.5
>>> round(panel.edited().deal_value["A"].median)
60000
>>> "%" in panel.odds.text()
True
>>> panel.compare.value = True
>>> "Against the saved plan" in panel.comparison.value
True
>>> panel.version.value = "planned"
>>> "as planned" in panel.figures.value
True
"""

from __future__ import annotations

import html
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Callable, Iterator

import ipywidgets as widgets
import pandas as pd

from sim.allocation import buyable
from sim.calendar import month_of_day, month_starts
from sim.costs import leads_per_day_bought, marketing_budget
from sim.engine import simulate
from sim.errors import ScenarioError
from sim.experiments import Comparison, Strategy
from sim.feasibility import chances, staffing, staffing_gaps
from sim.formatting import band_caption, money, styled
from sim.odds import Odds
from sim.overrides import moved_conversion
from sim.plots.plan import plan_chart
from sim.plots.schedule import lag_chart
from sim.results import Results
from sim.scenario import Scenario, dump, load
from sim.schedule import Schedule, planned_scenario, schedule
from sim.settings import Answer
from sim.spreadsheet import write_xlsx
from sim.targets import METHODS, days_per_week, monthly_targets, plan_table, reverse_funnel, working_days
from sim.widgets import WARN, refinement_status, show
from sim.widgets.refine import Refiner

__all__ = ["Control", "PlanPanel"]

_STYLE = {"description_width": "initial"}

# The parameters of each distribution that carry its scale: multiplying them all by f multiplies
# every draw by f (its mean by f, its shape unchanged).
_SCALE = {
    "fixed": ("value",),
    "exponential": ("mean",),
    "lognormal": ("median", "mean", "sd"),
    "gamma": ("mean", "sd"),
    "triangular": ("low", "mode", "high"),
    "uniform": ("low", "high"),
    "empirical": ("values",),
}


def _scaled(distribution: Any, factor: float) -> dict:
    """``distribution`` (as a scenario writes it) with every draw multiplied by ``factor``."""
    data = distribution.model_dump(mode="json", by_alias=True, exclude_none=True)
    for name in _SCALE[data["dist"]]:
        if name in data:
            data[name] = [v * factor for v in data[name]] if name == "values" else data[name] * factor
    return data


def _slider(kind: type, value: Any, description: str, **options) -> widgets.ValueWidget:
    return kind(
        value=value,
        description=description,
        continuous_update=False,
        style=_STYLE,
        layout=widgets.Layout(width="100%"),
        **options,
    )


@dataclass(frozen=True)
class Control:
    """A dotted scenario path (:meth:`sim.scenario.Scenario.replace`) and the widgets that set it.

    ``value(base, *values)`` is the path's new value from the base scenario and the widgets' values
    (default: the one widget's value). ``shows(scenario)`` gives the widgets' values that show a
    scenario's own, so a loaded plan sets them; a lever relative to the base (a multiplier, points)
    has none and shows ``neutral`` on a loaded plan, whose values already hold the change. A path is
    written only when its widgets differ from what the base shows, so an untouched control leaves
    the scenario exactly as it was; ``always`` writes it anyway (the targets, which a saved plan keeps).
    """

    widgets: tuple[widgets.ValueWidget, ...]
    value: Callable[..., Any] = lambda base, value: value
    shows: Callable[[Scenario], tuple] | None = None
    neutral: tuple = ()
    always: bool = False

    def values(self) -> tuple:
        """The widgets' values."""
        return tuple(w.value for w in self.widgets)

    def shown(self, scenario: Scenario) -> tuple:
        """The values that show ``scenario`` unchanged."""
        return self.shows(scenario) if self.shows is not None else self.neutral

    def change(self, base: Scenario) -> tuple[bool, Any]:
        """Whether the path is written, and its value (None when it is not)."""
        values = self.values()
        if not self.always and values == self.shown(base):
            return False, None
        return True, self.value(base, *values)


def _reason(error: Exception) -> str:
    """An error in words for the page: a scenario's problems as ``field: message``, without the
    file name the panel's changes do not have."""
    if isinstance(error, ScenarioError):
        return "; ".join(f"{p.field}: {p.message}" for p in error.problems)
    return str(error)


def _first(results: Results, count: int) -> Results:
    """The first ``count`` replications of ``results``."""

    def kept(table: pd.DataFrame) -> pd.DataFrame:
        return table[table.replication < count].reset_index(drop=True)

    return Results(
        results.scenario,
        results.engine,
        results.seed,
        kept(results.replications),
        kept(results.stage_stats),
        kept(results.monthly),
        {},
        results.notes,
    )


def _months(scenario: Scenario) -> int:
    """The calendar months the horizon touches: a budget per month is the horizon's budget over them."""
    return len(month_starts(scenario.start_date, scenario.horizon_days))


def _monthly_budget(scenario: Scenario, name: str) -> float:
    """What channel ``name`` spends a month: its budget over the horizon (:func:`sim.costs.marketing_budget`,
    the working days and seasonality counted) spread evenly over the horizon's months."""
    return marketing_budget(scenario, _channel(scenario, name)) / _months(scenario)


def _leads_per_day(base: Scenario, monthly: float, name: str) -> float:
    """The ``leads_per_day`` a budget per month buys from channel ``name`` (:func:`sim.costs.leads_per_day_bought`)."""
    return leads_per_day_bought(base, _channel(base, name), monthly * _months(base))


def _channel(scenario: Scenario, name: str):
    return next(c for c in scenario.channels if c.name == name)


def _stage(scenario: Scenario, name: str):
    return next(s for s in scenario.stages if s.name == name)


def _hire_month(scenario: Scenario, name: str) -> tuple[int, int]:
    """The team's hires as one batch: the month (1 = the plan's first) of the first, and how many in all."""
    hires = scenario.team(name).hires
    if not hires:
        return 1, 0
    day = min(int(hires[0].day), scenario.horizon_days - 1)
    months = month_of_day(scenario.start_date, scenario.horizon_days)
    return int((months[day] - months[0]) % 12) + 1, sum(h.count for h in hires)


def _hires(base: Scenario, month: int, count: int) -> list[dict]:
    starts = month_starts(base.start_date, base.horizon_days)
    return [{"day": float(starts[min(month, len(starts)) - 1]), "count": count}] if count else []


def _planned(scenario: Scenario) -> tuple[pd.DataFrame, Schedule]:
    """The plan table of the scenario's targets and its schedule, solved once for both."""
    targets = scenario.targets
    method = targets.split or "reserve"
    options = {"reserve_month": targets.reserve_month or 12} if method == "reserve" else {}
    months = monthly_targets(scenario, method=method, **options)
    timed = schedule(scenario, months)
    return plan_table(scenario, monthly=months, lagged=timed), timed


class PlanPanel:
    """Widgets for the annual target and split, resources (headcount, budget, hires, attrition) and levers
    (win rate per stage, deal size, customer-side time, first-contact patience), declared as data:
    :attr:`paths` maps each dotted scenario path to its :class:`Control`."""

    def __init__(
        self, scenario: Scenario, policy: Answer | None = None, source: str | Path | None = None, workers: int = 1
    ):
        self.base = scenario
        self.saved = scenario  # the plan as loaded or last saved: what "compare with the saved plan" compares with
        self.source = Path(source) if source else None
        self.refiner = Refiner(policy, workers=workers, on_error=self._show_error)
        target = scenario.targets.annual_revenue if scenario.targets else 1_000_000
        self.target = _slider(
            widgets.IntSlider,
            round(target),
            "annual target",
            min=round(target * 0.5),
            max=round(target * 1.5),
            step=max(1, round(target / 100)),
            readout_format=".3s",
        )
        # width auto, not 100%: the dropdown and its margins stay inside the controls' column
        self.method = widgets.Dropdown(
            options=METHODS,
            value="reserve",
            description="split over months",
            style=_STYLE,
            layout=widgets.Layout(width="auto"),
        )
        self.reserve_month = _slider(widgets.IntSlider, 12, "reserve month", min=1, max=12)
        months = _months(scenario)
        self.headcount, self.hire_month, self.hire_count, self.attrition = {}, {}, {}, {}
        for t in scenario.teams:
            self.headcount[t.name] = _slider(
                widgets.IntSlider, t.headcount, f"{t.name} reps", min=0, max=max(10, 2 * t.headcount)
            )
            month, count = _hire_month(scenario, t.name)
            self.hire_month[t.name] = _slider(
                widgets.IntSlider, month, f"{t.name} hires start in month", min=1, max=months
            )
            self.hire_count[t.name] = _slider(
                widgets.IntSlider, count, f"{t.name} hires", min=0, max=max(10, 2 * count)
            )
            self.attrition[t.name] = _slider(
                widgets.FloatSlider,
                t.attrition.annual_rate if t.attrition else 0.0,
                f"{t.name} attrition per year",
                min=0.0,
                max=1.0,
                step=0.01,
                readout_format=".0%",
            )
        self.budget = {}
        for name in buyable(scenario):  # money cannot buy a fixed_volume channel (referrals): no slider for it
            budget = _monthly_budget(scenario, name)
            self.budget[name] = _slider(
                widgets.IntSlider,
                round(budget),
                f"{name} budget per month",
                min=0,
                max=max(1, round(budget * 2)),
                step=max(1, round(budget / 50)),
                readout_format=",d",
            )
        self.win_rate = {
            s.name: _slider(
                widgets.FloatSlider, 0.0, f"{s.name} win rate", min=-0.2, max=0.2, step=0.01, readout_format="+.0%"
            )
            for s in scenario.stages
        }
        self.deal_size = _slider(
            widgets.FloatSlider, 1.0, "deal size ×", min=0.5, max=2.0, step=0.05, readout_format=".2f"
        )
        self.cycle = _slider(
            widgets.FloatSlider, 1.0, "customer-side time ×", min=0.5, max=2.0, step=0.05, readout_format=".2f"
        )
        self.patience = {}
        for s in scenario.stages:
            if s.patience_days is not None:
                mean = round(s.patience_days.mean, 1)
                self.patience[s.name] = _slider(
                    widgets.FloatSlider,
                    mean,
                    f"{s.name}: leads stay warm (days)",
                    min=max(0.1, round(mean / 4, 1)),
                    max=round(mean * 4, 1),
                    step=0.1,
                    readout_format=".1f",
                )
        self.version = widgets.ToggleButtons(
            options=[("as is", "as_is"), ("as planned", "planned")],
            value="as_is",
            description="simulate the plan",
            style=_STYLE,
            tooltips=["the controls' budgets and headcounts", "leads bought month by month and hires as the plan asks"],
        )
        self.compare = widgets.Checkbox(value=False, description="compare with the saved plan", style=_STYLE)
        self.paths = self._declare(scenario)
        self._apply_saved_choices(scenario)
        self.figures = widgets.HTML()
        self.comparison = widgets.HTML()
        self.status = widgets.HTML()
        self.chart = widgets.Output()
        self.lag = widgets.Output()
        self.caption = widgets.HTML(f"<p style='font-size:0.9em;color:#555'>{band_caption()}</p>")
        self.details = widgets.Output()
        self.save_name = widgets.Text(
            value=self._default_save_name(), description="file", style=_STYLE, layout=widgets.Layout(width="32em")
        )
        self.overwrite = widgets.Checkbox(value=False, description="overwrite if the file exists", style=_STYLE)
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
        self.difference: pd.DataFrame | None = None  # paired differences from the saved plan, when compared
        # the saved plan, the version, what is simulated for it (or why it cannot be) and its results so far
        self._reference: tuple[Scenario, bool, Scenario | str, list[Results]] | None = None
        self._holding = False
        for control in self.controls():
            control.observe(lambda _: self.update(), names="value")
        self.update()

    def _declare(self, scenario: Scenario) -> dict[str, Control]:
        """Every control as data: dotted scenario path → :class:`Control` (one widget may set several paths)."""
        paths = {
            "targets.annual_revenue": Control((self.target,), lambda base, v: float(v), always=True),
            "targets.split": Control((self.method,), always=True),
            "targets.reserve_month": Control(
                (self.reserve_month, self.method),
                always=True,
                value=lambda base, month, method: month if method == "reserve" else None,
            ),
        }
        for t in scenario.teams:
            paths[f"teams.{t.name}.headcount"] = Control(
                (self.headcount[t.name],), shows=lambda s, name=t.name: (s.team(name).headcount,)
            )
            paths[f"teams.{t.name}.hires"] = Control(
                (self.hire_month[t.name], self.hire_count[t.name]), _hires, shows=partial(_hire_month, name=t.name)
            )
            paths[f"teams.{t.name}.attrition.annual_rate"] = Control(
                (self.attrition[t.name],),
                shows=lambda s, name=t.name: (s.team(name).attrition.annual_rate if s.team(name).attrition else 0.0,),
            )
        for name, slider in self.budget.items():
            paths[f"channels.{name}.leads_per_day"] = Control(
                (slider,),
                partial(_leads_per_day, name=name),
                shows=lambda s, name=name: (round(_monthly_budget(s, name)),),
            )
        for s in scenario.stages:
            paths[f"stages.{s.name}.conversion"] = Control(
                (self.win_rate[s.name],),
                lambda base, v, name=s.name: moved_conversion(_stage(base, name).conversion, v),
                neutral=(0.0,),
            )
            if s.wait_days is not None:
                paths[f"stages.{s.name}.wait_days"] = Control(
                    (self.cycle,), lambda base, v, name=s.name: _scaled(_stage(base, name).wait_days, v), neutral=(1.0,)
                )
            if s.name in self.patience:
                paths[f"stages.{s.name}.patience_days"] = Control(
                    (self.patience[s.name],),
                    shows=lambda sc, name=s.name: (round(_stage(sc, name).patience_days.mean, 1),),
                    value=lambda base, v, name=s.name: _scaled(
                        _stage(base, name).patience_days, v / _stage(base, name).patience_days.mean
                    ),
                )
        paths["deal_value"] = Control(
            (self.deal_size,),
            neutral=(1.0,),
            value=lambda base, v: (
                {tier: _scaled(d, v) for tier, d in base.deal_value.items()}
                if isinstance(base.deal_value, dict)
                else _scaled(base.deal_value, v)
            ),
        )
        return paths

    def sections(self) -> dict[str, list[widgets.Widget]]:
        """The editing widgets by heading, in display order."""
        return {
            "Target": [self.target, self.method, self.reserve_month],
            "Resources": [*self.headcount.values(), *self.budget.values()],
            "Hires and attrition": [
                *[w for name in self.hire_count for w in (self.hire_count[name], self.hire_month[name])],
                *self.attrition.values(),
            ],
            "Levers": [*self.win_rate.values(), self.deal_size, self.cycle, *self.patience.values()],
            "Simulate": [self.version, self.compare],
        }

    def controls(self) -> list[widgets.Widget]:
        """The editing widgets, in display order."""
        return [w for section in self.sections().values() for w in section]

    @contextmanager
    def holding(self) -> Iterator[None]:
        """Change several controls with one re-plan and re-simulation, when the block ends."""
        self._holding = True
        try:
            yield
        finally:
            self._holding = False
        self.update()

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
        """The base scenario with every control's path that the panel changed, through the one validated
        path (:meth:`sim.scenario.Scenario.replace`); raises :class:`ScenarioError` for values it refuses."""
        changes = {}
        for path, control in self.paths.items():
            changed, value = control.change(self.base)
            if changed:
                changes[path] = value
        return self.base.replace(changes)

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
                plan, timed = _planned(scenario)
        except (ValueError, ScenarioError) as error:
            problem = f"This plan cannot be made: {_reason(error)}"
        if problem is not None:
            self.refiner.cancel()
            self._clear(problem)
            return
        self.plan = plan
        planned = self.version.value == "planned"
        gaps = staffing_gaps(staffing(scenario, plan, timed=timed))
        empty = [t.name for t in scenario.teams if t.headcount == 0]
        notes = (
            [f"The {name} team has no reps: every lead it should work waits, and no deal passes it." for name in empty]
            + ([] if planned else gaps)
            + [f"The plan cannot: {p}" for p in timed.problems]
        )
        if planned:
            notes += [
                f"Planned hires, {team}: " + ", ".join(f"{count} on day {day}" for day, count in hires)
                for team, hires in timed.hires.items()
                if hires
            ]
        notes_html = WARN.format("<br>".join(html.escape(n) for n in notes)) if notes else "<p>No staffing gap.</p>"
        self.status.value = "<p class='sp-status'><i>Simulating…</i></p>"
        self.comparison.value = ""
        simulated = planned_scenario(scenario, timed) if planned else scenario
        label = "as planned" if planned else "as is"
        self.refiner.start(simulated, lambda results, _: self._draw(results, plan, notes_html, label, simulated))
        # the odds first, then what does not depend on the simulation
        show(self.lag, lag_chart(timed))
        show(
            self.details,
            styled(
                self.activity_targets(scenario, plan),
                money_columns=["revenue target"],
                count_columns=["leads"],
                decimals_columns=[*self._activity_columns(scenario), "deals"],
            ),
        )

    def _draw(self, results: Results, plan: pd.DataFrame, notes: str, label: str, simulated: Scenario) -> None:
        figures = chances(results, plan)
        revenue = results.replications.revenue
        target = float(plan[plan.level == "company"].revenue_target.sum())
        self.odds = Odds.of(revenue >= target)
        self.months = figures["months"]
        annual = figures["annual_revenue"]
        self.figures.value = (
            f"<p class='sp-figures'>Probability of reaching the annual target {label}: <b>{self.odds}</b>"
            f" · simulated revenue P10 <b>{money(annual['p10'])}</b> · P50 <b>{money(annual['p50'])}</b>"
            f" · P90 <b>{money(annual['p90'])}</b></p>" + notes
        )
        self.status.value = refinement_status(len(revenue), self.refiner.policy.replications, self.refiner.policy.seed)
        self.difference, saved_months = None, None
        if self.compare.value:
            try:
                self.comparison.value, saved_months = self._compared(results, simulated, plan)
            except (ValueError, ScenarioError) as error:  # drawn from the refinement's thread too: said, not raised
                self.comparison.value = WARN.format(html.escape(f"No comparison: {_reason(error)}."))
        show(self.chart, plan_chart(figures["months"], saved=saved_months))

    def _reference_results(self, count: int) -> tuple[Scenario | str, Results | None]:
        """The saved plan, simulated the way the page simulates (as is or as planned) on the same seed and
        replications 0 to ``count`` - 1 (common random numbers), extended as the refinement goes; or why
        it cannot be."""
        planned = self.version.value == "planned"
        if self._reference is None or self._reference[0] is not self.saved or self._reference[1] != planned:
            try:
                reference = planned_scenario(self.saved, _planned(self.saved)[1]) if planned else self.saved
            except (ValueError, ScenarioError) as error:
                reference = f"the saved plan cannot be planned: {_reason(error)}"
            self._reference = (self.saved, planned, reference, [])  # one saved plan at a time
        _, _, reference, parts = self._reference
        if isinstance(reference, str):
            return reference, None
        done = sum(len(p.replications) for p in parts)
        if done < count:
            parts.append(
                simulate(
                    reference,
                    replications=count - done,
                    seed=self.refiner.policy.seed,
                    engine=self.refiner.engine,
                    detail=False,
                    progress=False,
                    workers=self.refiner.workers,
                    start=done,
                )
            )
        results = Results.concat(parts) if len(parts) > 1 else parts[0]
        return reference, results

    def _compared(self, results: Results, simulated: Scenario, plan: pd.DataFrame) -> tuple[str, list[dict] | None]:
        """The change against the saved plan in words: revenue and P(target) of both on the same simulated
        years, and the paired difference's 95% interval (:meth:`sim.experiments.Comparison.differences`);
        and the saved plan's months against this plan's targets, for the chart."""
        target = float(plan[plan.level == "company"].revenue_target.sum())
        count = len(results.replications)
        reference, saved = self._reference_results(count)
        if saved is None:
            return WARN.format(html.escape(f"No comparison: {reference}.")), None
        if len(saved.replications) > count:  # the saved plan ran further for an earlier change
            saved = _first(saved, count)
        saved_rows = saved.replications
        frame = pd.concat(
            [
                rows.assign(strategy=name, hit_target=(rows.revenue >= target).astype(float))
                for name, rows in (("saved", saved_rows), ("edited", results.replications))
            ]
        )
        comparison = Comparison(
            [Strategy("saved", reference), Strategy("edited", simulated)],
            frame,
            self.refiner.policy.seed,
            self.refiner.engine,
        )
        revenue, hit = (comparison.differences(f).iloc[0] for f in ("revenue", "hit_target"))
        self.difference = pd.DataFrame([revenue, hit], index=["revenue", "hit_target"])
        saved_odds = Odds.of(saved_rows.revenue >= target)

        def signed(value: float) -> str:
            return ("+" if value >= 0 else "−") + money(abs(value))

        def points(value: float) -> str:
            return f"{value * 100:+.0f}".replace("-", "−")

        return (
            f"<p class='sp-comparison'>Against the saved plan, on the same {count:,} simulated years: revenue "
            f"<b>{signed(revenue['mean'])}</b> (95% interval {signed(revenue.ci_low)} to {signed(revenue.ci_high)})"
            f" · probability of reaching the target <b>{points(hit['mean'])} points</b> (95% interval "
            f"{points(hit.ci_low)} to {points(hit.ci_high)}): {self.odds} against {saved_odds} saved.</p>",
            chances(saved, plan)["months"],
        )

    def _clear(self, message: str) -> None:
        """Say ``message`` in place of the figures; clear the chart and table so nothing stale stays."""
        self.plan, self.odds, self.months = None, None, []
        self.figures.value = WARN.format(html.escape(message))
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
        table = pd.DataFrame(
            {"revenue target": company.revenue_target, "deals": company.deals.round(1), "leads": company.leads.round(0)}
        )
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
            self.save_message.value = WARN.format(f"{html.escape(str(path))} exists: tick 'overwrite' to replace it.")
            return False
        return True

    def save(self) -> Path | None:
        """Write the edited scenario, with its split, reserve month and every lever, to a new YAML file (an
        existing file only when ``overwrite`` is ticked); :meth:`load` reads every choice back. The
        saved scenario becomes the one the page compares with."""
        path = Path(self.save_name.value)
        if not self._writable(path):
            return None
        try:
            scenario = self.edited()
        except ScenarioError as error:
            self.save_message.value = WARN.format(
                html.escape(f"Nothing saved: this plan cannot be made: {_reason(error)}")
            )
            return None
        dump(scenario, path)
        self.saved = scenario
        self.save_message.value = f"Saved <code>{html.escape(str(path))}</code>."
        if self.compare.value:
            self.update()
        return path

    @staticmethod
    def _shape(scenario: Scenario) -> tuple:
        """What the page's controls are made for: teams, bought channels, stages, and the stages with
        customer-side time and with patience."""
        return (
            [t.name for t in scenario.teams],
            sorted(buyable(scenario)),
            [s.name for s in scenario.stages],
            [s.name for s in scenario.stages if s.wait_days is not None],
            [s.name for s in scenario.stages if s.patience_days is not None],
            _months(scenario),
        )

    def load(self) -> Scenario | None:
        """Set every control from the plan saved at the file name (a scenario of the same teams, channels
        and stages): the absolute ones (target, split, headcounts, budgets, hires, attrition, patience) to
        the plan's values, the relative levers (win rates, deal size, customer-side time) to no change,
        the plan's values already holding them; the edited scenario is then the plan itself."""
        path = Path(self.save_name.value)
        try:
            scenario = load(path)
        except (OSError, ScenarioError) as error:
            self.save_message.value = WARN.format(html.escape(f"Cannot load {path}: {error}"))
            return None
        if self._shape(scenario) != self._shape(self.base):
            self.save_message.value = WARN.format(
                html.escape(
                    f"{path} has other teams, channels or stages than this page's plan: open it on a page of its own."
                )
            )
            return None
        with self.holding():  # one re-simulation for the whole plan, not one per control
            self.base = self.saved = scenario
            if scenario.targets is not None:
                self.target.max = max(self.target.max, round(scenario.targets.annual_revenue))
                self.target.min = min(self.target.min, round(scenario.targets.annual_revenue))
                self.target.value = round(scenario.targets.annual_revenue)
            self._apply_saved_choices(scenario)
            for control in self.paths.values():
                if control.always:
                    continue
                for widget, value in zip(control.widgets, control.shown(scenario)):
                    widget.max, widget.min = max(widget.max, value), min(widget.min, value)
                    widget.value = value
        self.save_message.value = f"Loaded <code>{html.escape(str(path))}</code>."
        return scenario

    def export(self) -> Path | None:
        """Write the plan by level and month, the odds by month, the activities and, when compared, the
        paired differences from the saved plan to an Excel file beside the save name (``.xlsx``), text
        escaped against formulas."""
        path = Path(self.save_name.value).with_suffix(".xlsx")
        if self.plan is None:
            self.save_message.value = WARN.format("There is no plan to export: change the controls first.")
            return None
        if not self._writable(path):
            return None
        odds = pd.DataFrame(self.months)
        sheets = {
            "plan": self.plan.assign(period=self.plan.period.astype(str)),
            "odds by month": odds.assign(period=odds.period.astype(str)),
            "activities": self.activity_targets(self.edited(), self.plan)
            .reset_index()
            .assign(month=lambda t: t.month.astype(str)),
        }
        if self.difference is not None:
            sheets["against saved plan"] = (
                self.difference.drop(columns="strategy")
                .rename_axis("figure")
                .rename(index={"hit_target": "reaches the target"})
                .reset_index()
            )
        write_xlsx(path, sheets)
        self.save_message.value = f"Exported <code>{html.escape(str(path))}</code>."
        return path

    def widget(self) -> widgets.Widget:
        """The whole panel: controls on the left, figures, chart and table beside them, saving below."""
        saving = widgets.VBox(
            [
                widgets.HBox([self.save_name, self.save_button, self.load_button, self.export_button]),
                self.overwrite,
                self.save_message,
            ]
        )
        results = widgets.VBox(
            [self.figures, self.comparison, self.status, self.chart, self.caption, self.lag, self.details]
        )
        sidebar = widgets.VBox(
            [w for heading, section in self.sections().items() for w in (widgets.HTML(f"<b>{heading}</b>"), *section)]
        )
        return widgets.VBox(
            [
                widgets.AppLayout(
                    left_sidebar=sidebar,
                    center=results,
                    pane_widths=["340px", "1fr", "0fr"],
                    pane_heights=["0px", "1fr", "0px"],
                    grid_gap="1em",
                ),
                saving,
            ]
        )
