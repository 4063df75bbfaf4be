"""The scenario: a validated, immutable description of a sales organisation and its plan.

A scenario names where leads come from (``channels``), the funnel they pass through
(``stages``, each worked by a ``team``), what a won deal is worth (``deal_value``) and how
long it takes to be paid (``collection_days``). Scenarios live in YAML files under
``playbooks/``; :func:`load` reads one and reports *every* problem at once, one line each,
naming file, line and field::

    playbooks/x.yaml:14: stages[2].conversion: 1.3 is not a probability (0 to 1)

Examples
--------
>>> s = loads('''
... name: Tiny
... horizon_days: 30
... channels: [{name: web, leads_per_day: 5}]
... stages:
...   - {name: qualify, team: sdr, work_days: {dist: exponential, mean: 0.1}, conversion: 0.4}
... teams: [{name: sdr, headcount: 2}]
... deal_value: {dist: fixed, value: 1000}
... ''')
>>> s.stages[0].conversion_for("")
0.4
>>> loads("name: Tiny\\nhorizon_days: -3\\n", file="x.yaml")
Traceback (most recent call last):
...
sim.errors.ScenarioError: x.yaml:2: horizon_days: -3 is not a positive whole number
x.yaml:1: channels: missing (required)
x.yaml:1: stages: missing (required)
x.yaml:1: teams: missing (required)
x.yaml:1: deal_value: missing (required)
"""

from __future__ import annotations

import datetime as dt
import difflib
from pathlib import Path
from typing import Annotated, Any, Iterable, Literal, Mapping, Union

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Discriminator, Field, Tag, field_validator, model_validator

from sim.constraints import NonNegativeFloat, NonNegativeInt, PositiveFloat, PositiveInt, Probability
from sim.distributions import Distribution
from sim.errors import Problem, ScenarioError
from sim.outputs import write_text
from sim.yaml_io import parse_yaml, read_text, validate

__all__ = [
    "Scenario",
    "Channel",
    "Stage",
    "Team",
    "Hire",
    "Ramp",
    "Attrition",
    "Targets",
    "Calendar",
    "Holidays",
    "Opening",
    "OpenDeal",
    "load",
    "loads",
    "dump",
]

_TIERED, _FLAT = "by_tier", "flat"


def _tiered_or_flat(value: Any) -> str:
    return _TIERED if isinstance(value, dict) and "dist" not in value else _FLAT


def _by_tier(flat_type: Any, description: str) -> Any:
    """A value that is either one for all leads, or a mapping tier → value."""
    return Annotated[
        Union[Annotated[flat_type, Tag(_FLAT)], Annotated[dict[str, flat_type], Tag(_TIERED)]],
        Discriminator(_tiered_or_flat),
        Field(description=description),
    ]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class Holidays(_Model):
    """Public holidays of a country, from the `holidays` package (weekend days that a country makes
    working days, as China does around its golden weeks, are working days)."""

    country: str = Field(min_length=2, description="ISO 3166 country code, e.g. `CN` or `US`.")
    subdivision: str | None = Field(None, description="State or province code where holidays differ by region.")

    @model_validator(mode="after")
    def _known(self) -> "Holidays":
        import holidays

        supported = holidays.list_supported_countries()
        if self.country not in supported:
            close = difflib.get_close_matches(self.country, list(supported), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise ValueError(f"'{self.country}' is not a country the holidays package knows{hint}")
        if self.subdivision is not None and self.subdivision not in supported[self.country]:
            raise ValueError(f"'{self.subdivision}' is not a subdivision of {self.country}")
        return self


class Calendar(_Model):
    """The days reps work: weekdays, minus public holidays."""

    working_days: tuple[Weekday, ...] = Field(
        ("mon", "tue", "wed", "thu", "fri"),
        min_length=1,
        description="Weekdays on which reps work, e.g. `[mon, tue, wed, thu, fri]` (the default).",
    )
    holidays: tuple[dt.date, ...] | Holidays = Field(
        (),
        description="Days off besides the weekly ones: a list of dates, or a country's public holidays, "
        "e.g. `{country: CN}` (Spring Festival, National Day golden week). Default: none.",
    )

    @field_validator("working_days")
    @classmethod
    def _distinct(cls, days: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(days)) != len(days):
            raise ValueError("a weekday is listed twice")
        return days


class LeadFlow(_Model):
    """A channel's lead volume before the year starts (see `Opening.lead_flow`)."""

    leads_per_day: NonNegativeFloat = Field(description="Mean leads per calendar day, before seasonality.")
    seasonality: tuple[NonNegativeFloat, ...] | None = Field(
        None, min_length=12, max_length=12, description="12 monthly multipliers of `leads_per_day`, January first."
    )


class OpenDeal(_Model):
    """Deals open at day 0 in one stage (see `Opening.pipeline`)."""

    stage: str = Field(min_length=1, description="The stage the deals stand in at day 0.")
    count: PositiveInt = Field(1, description="How many such deals. Default: 1.")
    age_days: NonNegativeFloat = Field(
        0.0,
        description="Days the deals have spent in the stage by day 0: taken off the stage's customer-side "
        "time (`wait_days`), which continues from its distribution given that it exceeds the "
        "age. Default: 0 (just entered).",
    )
    tier: str | None = Field(None, description="Customer tier of the deals; required when the channels give tiers.")
    value: NonNegativeFloat | None = Field(
        None, description="Value of each deal if won, where known. Default: drawn from `deal_value`."
    )
    conversion: Probability | None = Field(
        None,
        description="Chance that the deals convert at their stage, where their age makes it differ from "
        "the stage's (`calibrate` writes it from the export's competing risks). "
        "Default: the stage's conversion for the tier.",
    )


class Opening(_Model):
    """How the year opens: an organisation that already exists carries leads in every stage."""

    warmup_days: NonNegativeFloat | None = Field(
        None,
        description="Days simulated before day 0, with the scenario's own rates and staff, so that the "
        "funnel holds its usual pipeline when the year starts; nothing from them is counted, "
        "the leads still in the funnel at day 0 carry on. `0`: a start-up with an empty "
        "funnel. Default: long enough for 99% of leads to pass through the funnel and be "
        "paid; none when `pipeline` lists the open deals.",
    )
    pipeline: tuple[OpenDeal, ...] = Field(
        (),
        description="The deals open at day 0, instead of a warm-up's: by stage, with their age in the stage, "
        "tier and value where known, e.g. `[{stage: negotiate, count: 12, age_days: 20}]` "
        "(`calibrate` writes the export's own). They wait for a rep at their stage like any lead "
        "and never go cold there. Default: none.",
    )
    lead_flow: dict[str, LeadFlow] = Field(
        {},
        description="Channels whose leads before day 0 came at other rates than the year's, e.g. a plan that "
        "buys more leads this year opens with last year's pipeline: "
        "`{inbound: {leads_per_day: 40, seasonality: [...]}}`. Default: the year's own rates.",
    )


class Channel(_Model):
    """A source of leads: Poisson arrivals at a rate that may vary by month."""

    name: str = Field(min_length=1, description="Channel name, unique in the scenario (e.g. `inbound`).")
    leads_per_day: NonNegativeFloat = Field(description="Mean leads per calendar day, before seasonality.")
    cost_per_lead: NonNegativeFloat = Field(0.0, description="Marketing cost of one lead, in currency units.")
    seasonality: tuple[NonNegativeFloat, ...] | None = Field(
        None,
        min_length=12,
        max_length=12,
        description="12 monthly multipliers of `leads_per_day`, January first (months follow `start_date`).",
    )
    tiers: dict[str, Probability] | None = Field(
        None,
        description="Mix of customer tiers among this channel's leads, e.g. `{A: 0.2, B: 0.5, C: 0.3}`; sums to 1.",
    )
    working_days_only: bool = Field(
        False,
        description="Leads arrive only on the scenario calendar's working days, `leads_per_day` of them "
        "per working day (outbound prospecting, say). Default: every calendar day.",
    )
    fixed_volume: bool = Field(
        False,
        description="Money does not buy more of this channel's leads (referrals, say): `allocate` keeps its "
        "volume as it is. A channel without a `cost_per_lead` is fixed too. Default: bought.",
    )

    @field_validator("tiers")
    @classmethod
    def _mix_sums_to_one(cls, tiers: dict[str, float] | None) -> dict[str, float] | None:
        if tiers is not None and any(not name.strip() for name in tiers):
            raise ValueError("every tier needs a name (one is empty)")
        if tiers is not None and abs(sum(tiers.values()) - 1.0) > 1e-6:
            raise ValueError(f"shares add up to {sum(tiers.values()):g}, not 1")
        return tiers


class Stage(_Model):
    """One step of the funnel: wait for a rep, rep work, customer-side time, then convert or be lost."""

    name: str = Field(min_length=1, description="Stage name, unique in the scenario (any language, e.g. `线索获取`).")
    team: str = Field(min_length=1, description="Name of the team whose reps work this stage.")
    work_days: Distribution = Field(description="Rep time per lead, in days; uses the team's capacity.")
    wait_days: Distribution | None = Field(
        None, description="Customer-side time after the rep's work, in days; no rep needed. Default: none."
    )
    conversion: _by_tier(
        Probability, "Probability that a lead moves on (or is won, at the last stage); one value or one per tier."
    )
    routes: dict[str, str] = Field(
        {},
        description="Tiers whose leads another team works at this stage, e.g. `{A: senior_aes}`: high-value "
        "leads routed to senior reps. Other tiers go to `team`. Default: none.",
    )
    patience_days: Distribution | None = Field(
        None,
        description="How long a lead waits for a rep before it goes cold, in calendar days; a lead that no "
        "rep has started by then is lost at this stage. Default: leads wait for ever.",
    )
    decay_half_life_days: PositiveFloat | None = Field(
        None,
        description="Speed to lead: a lead's conversion here is multiplied by `0.5 ** (wait / half_life)`, "
        "`wait` being its calendar days from reaching the stage to a rep starting it. "
        "Default: waiting does not lower conversion.",
    )

    def conversion_for(self, tier: str) -> float:
        """The stage's conversion probability for a lead of ``tier`` (before the team's skill)."""
        return self.conversion[tier] if isinstance(self.conversion, dict) else self.conversion

    def team_for(self, tier: str) -> str:
        """The team that works this stage's leads of ``tier``."""
        return self.routes.get(tier, self.team)


class Hire(_Model):
    """Reps joining a team on a given day."""

    day: NonNegativeFloat = Field(description="Day of the horizon (0 = first day) the new reps start.")
    count: PositiveInt = Field(description="How many reps start that day.")


class Ramp(_Model):
    """Productivity of a new rep, rising linearly to full over `days`."""

    days: NonNegativeFloat = Field(description="Days from start to full productivity.")
    initial_productivity: Annotated[Probability, Field(gt=0)] = Field(
        0.5, description="Productivity on the first day, as a share of a seasoned rep's (work takes 1/p as long)."
    )


class Attrition(_Model):
    """Reps leaving, each replaced after a delay (the replacement ramps up like any new hire)."""

    annual_rate: NonNegativeFloat = Field(description="Expected share of reps leaving per year (0.2 = 20%).")
    replacement_days: NonNegativeFloat = Field(60.0, description="Days from a rep leaving to the replacement starting.")


class Team(_Model):
    """Reps who work one or more stages; headcount may change over the horizon."""

    name: str = Field(min_length=1, description="Team name, unique in the scenario.")
    headcount: NonNegativeInt = Field(description="Seasoned reps on day 0.")
    hires: tuple[Hire, ...] = Field((), description="Planned hires, e.g. `[{day: 90, count: 3}]`.")
    ramp: Ramp | None = Field(
        None, description="Ramp-up of new hires and replacements. Default: fully productive at once."
    )
    attrition: Attrition | None = Field(None, description="Reps leaving and being replaced. Default: nobody leaves.")
    skill: PositiveFloat = Field(
        1.0,
        description="Conversion of this team's leads relative to the stage's rates (seniors above 1, "
        "e.g. 1.2), capped at certainty. Default: 1.",
    )
    priority: tuple[str, ...] = Field(
        (),
        description="Tiers whose waiting leads this team serves first, in this order (the 80/20 focus rule), "
        "e.g. `[A]`; other tiers after them; first come, first served within a tier. "
        "Default: first come, first served.",
    )
    calendar: Calendar | None = Field(
        None, description="This team's working days, where they differ from the scenario's `calendar`."
    )
    cost_per_rep_year: NonNegativeFloat | None = Field(
        None,
        description="What one rep costs a year, salary and on-costs (social charges, benefits, tools), in "
        "currency units; counted for the days each rep is on the team, so hires and leavers cost "
        "their part of the year. Default: not given (profit leaves staff out and says so).",
    )
    cost_per_hire: NonNegativeFloat | None = Field(
        None,
        description="What filling a seat costs (recruiting fees, onboarding), for each planned hire and "
        "replacement who starts in the year. Default: not given.",
    )
    commission_rate: Probability | None = Field(
        None,
        description="Commission this team's reps earn on the value of the deals won that passed through "
        "their hands (the tiers the team works at any stage), e.g. `0.05`: a flat rate, used "
        "where the scenario attaches no incentive plan to the team (`incentives`) or a run "
        "cannot apply it. Default: none paid; a scenario where no team has a rate or a plan says "
        "commission is not given.",
    )


class Targets(_Model):
    """What the plan must achieve."""

    annual_revenue: PositiveFloat = Field(description="Revenue (value of deals won within the horizon) to reach.")
    split: Literal["even", "seasonal", "reserve", "front_loaded"] | None = Field(
        None,
        description="How the annual target is split over the months, as the plan was saved. Default: the "
        "command's `--method`.",
    )
    reserve_month: int | None = Field(
        None, ge=1, le=12, description="With the `reserve` split: the month held in reserve (1-12). Default: 12."
    )


def _plan_as_given(value: Any) -> Any:
    return value  # read into a plan with the team it pays by Scenario._plans


_plan_as_given.label = "plan file (path) or plan (mapping)"  # the type's name in the field reference


class Scenario(_Model):
    """A sales organisation and its plan, as one validated, immutable value."""

    name: str = Field(min_length=1, description="Scenario name, shown in reports.")
    description: str = Field("", description="Free text: what the scenario represents and where its numbers come from.")
    horizon_days: PositiveInt = Field(description="Length of the simulated period in days (365 = a year).")
    start_date: dt.date | None = Field(
        None, description="Calendar date of day 0, for months and weekdays. Default: 1 January of a non-leap year."
    )
    channels: tuple[Channel, ...] = Field(min_length=1, description="Lead sources.")
    stages: tuple[Stage, ...] = Field(
        min_length=1, description="Funnel stages, in order; converting at the last one wins the deal."
    )
    teams: tuple[Team, ...] = Field(min_length=1, description="Teams of reps that work the stages.")
    deal_value: _by_tier(Distribution, "Value of a won deal, in currency units; one distribution or one per tier.")
    collection_days: Distribution | None = Field(
        None, description="Days from winning a deal to its payment. Default: paid the day it is won."
    )
    bad_debt: Probability = Field(0.0, description="Share of won deals that are never paid.")
    targets: Targets | None = Field(None, description="Targets of the plan, e.g. `{annual_revenue: 90000000}`.")
    calendar: Calendar | None = Field(
        None,
        description="Working days of every team (a team may have its own). Reps work only on working days: "
        "work left at a day's end resumes with the same rep on the next working day; customer-side "
        "waits and arrivals run on calendar days. Default: every day is a working day.",
    )
    opening: Opening | None = Field(
        None,
        description="How the year opens. Default: the funnel already holds its usual pipeline (a warm-up "
        "before day 0; see `warmup_days`).",
    )
    incentives: dict[Annotated[str, "team"], Annotated[Any, AfterValidator(_plan_as_given)]] = Field(
        {},
        description="Incentive plans by team, priced into the commission cost: a plan file (relative to the "
        "scenario file; see the incentive plan reference) or the plan written out, e.g. "
        "`{account_execs: incentives/tiered.yaml}`. A team's commission is then what its plan pays "
        "beyond base salary on the run's own deals, reps not responding (the response is an "
        "assumption `salesplay incentives` prices apart); a team without a plan, or a run that "
        "records no reps (the flow engine, service-level searches), falls back to the flat "
        "`commission_rate`, and `summary.json` says which was used. Default: none.",
    )

    @field_validator("incentives")
    @classmethod
    def _plans(cls, plans: dict[str, Any]) -> dict[str, Any]:
        from sim.incentives import attached_plan  # the plans' module builds on this one

        out: dict[str, Any] = {}
        for team, value in plans.items():
            try:
                out[team] = attached_plan(team, value)
            except ScenarioError as exc:  # told with the cross-field problems, after the other fields' own
                out[team] = exc
        return out

    @model_validator(mode="after")
    def _consistent(self) -> "Scenario":
        problems = list(_cross_field_problems(self))
        if problems:
            raise ScenarioError(problems)
        return self

    def replace(self, changes: Mapping[str, Any]) -> Scenario:
        """This scenario with ``changes`` (dotted path → value) applied and validated again: the one
        way to change a scenario (:func:`sim.overrides.apply_overrides` gives the rules and the errors).

        >>> s = load("playbooks/b2b_saas.yaml").replace({"teams.solutions.headcount": 14, "horizon_days": 90})
        >>> s.team("solutions").headcount, s.horizon_days
        (14, 90)
        """
        from sim.overrides import apply_overrides  # overrides builds on this module

        return apply_overrides(self, changes)

    @property
    def tiers(self) -> tuple[str, ...]:
        """Customer tiers named by the channels, in first-seen order; ``("",)`` when none."""
        seen: dict[str, None] = {}
        for channel in self.channels:
            seen.update(dict.fromkeys(channel.tiers or {}))
        return tuple(seen) or ("",)

    def team(self, name: str) -> Team:
        """The team called ``name``."""
        return next(t for t in self.teams if t.name == name)

    def conversion_of(self, stage: int, tier: str) -> float:
        """Probability that a lead of ``tier`` converts at stage ``stage`` (index): the stage's rate
        times the skill of the team that works it, capped at 1."""
        s = self.stages[stage]
        return min(1.0, s.conversion_for(tier) * self.team(s.team_for(tier)).skill)

    def calendar_of(self, team: int) -> Calendar | None:
        """The working calendar of team ``team`` (index): its own, else the scenario's; ``None``: every day."""
        return self.teams[team].calendar or self.calendar

    def deal_value_for(self, tier: str):
        """The deal-value distribution for a lead of ``tier``."""
        return self.deal_value[tier] if isinstance(self.deal_value, dict) else self.deal_value


def _unknown(name: str, known: Iterable[str], what: str) -> str:
    known = list(known)
    close = difflib.get_close_matches(name, known, n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else f" (known: {', '.join(known)})"
    return f"{what} '{name}' does not exist{hint}"


def _cross_field_problems(s: Scenario) -> Iterable[Problem]:
    for field, items in (("channels", s.channels), ("stages", s.stages), ("teams", s.teams)):
        seen: set[str] = set()
        for i, item in enumerate(items):
            if item.name in seen:
                yield Problem(f"{field}[{i}].name", f"'{item.name}' is used twice")
            seen.add(item.name)
    team_names = [t.name for t in s.teams]
    channel_names = [c.name for c in s.channels]
    for name in s.opening.lead_flow if s.opening is not None else ():
        if name not in channel_names:
            yield Problem(f"opening.lead_flow.{name}", _unknown(name, channel_names, "channel"))
    tiers = [t for t in s.tiers if t]
    yield from _pipeline_problems(s, tiers)
    if s.incentives:
        from sim.incentives import attached_plan_problems  # the plans' module builds on this one

        yield from attached_plan_problems(s)
    for i, stage in enumerate(s.stages):
        if stage.team not in team_names:
            yield Problem(f"stages[{i}].team", _unknown(stage.team, team_names, "team"))
        for tier, team in stage.routes.items():
            if tier not in tiers:
                yield Problem(f"stages[{i}].routes.{tier}", _unknown(tier, tiers, "tier"))
            if team not in team_names:
                yield Problem(f"stages[{i}].routes.{tier}", _unknown(team, team_names, "team"))
    for i, team in enumerate(s.teams):
        for j, tier in enumerate(team.priority):
            if tier not in tiers:
                yield Problem(f"teams[{i}].priority[{j}]", _unknown(tier, tiers, "tier"))
            elif tier in team.priority[:j]:
                yield Problem(f"teams[{i}].priority[{j}]", f"'{tier}' is listed twice")
    tiered_channels = [c for c in s.channels if c.tiers is not None]
    if tiered_channels and len(tiered_channels) != len(s.channels):
        for i, channel in enumerate(s.channels):
            if channel.tiers is None:
                yield Problem(f"channels[{i}].tiers", "missing: other channels give a tier mix, so every channel must")
    by_tier = [(f"stages[{i}].conversion", st.conversion) for i, st in enumerate(s.stages)]
    by_tier.append(("deal_value", s.deal_value))
    for field, value in by_tier:
        if not isinstance(value, dict):
            continue
        if not tiers:
            yield Problem(field, "is given by tier, but no channel has a tier mix")
            continue
        for tier in value:
            if tier not in tiers:
                yield Problem(f"{field}.{tier}", _unknown(tier, tiers, "tier"))
        for tier in tiers:
            if tier not in value:
                yield Problem(field, f"has no value for tier '{tier}'")


def _pipeline_problems(s: Scenario, tiers: list[str]) -> Iterable[Problem]:
    if s.opening is None or not s.opening.pipeline:
        return
    if s.opening.warmup_days:
        yield Problem("opening.warmup_days", "a warm-up and an explicit pipeline both fill the funnel: give one")
    stage_names = [stage.name for stage in s.stages]
    for i, deal in enumerate(s.opening.pipeline):
        if deal.stage not in stage_names:
            yield Problem(f"opening.pipeline[{i}].stage", _unknown(deal.stage, stage_names, "stage"))
        if deal.tier is not None and deal.tier not in tiers:
            yield Problem(
                f"opening.pipeline[{i}].tier",
                _unknown(deal.tier, tiers, "tier") if tiers else "is given, but no channel has a tier mix",
            )
        elif deal.tier is None and tiers:
            yield Problem(
                f"opening.pipeline[{i}].tier", "missing: the channels give a tier mix, so every deal needs one"
            )


# --------------------------------------------------------------------------- YAML I/O


def load(path: str | Path) -> Scenario:
    """Read and validate a scenario file; raise :class:`ScenarioError` listing every problem.

    Incentive plans named by path are read from beside the file.
    """
    return loads(read_text(path), str(path))


def _plans_beside(data: Any, folder: Path) -> Any:
    """``data`` with the relative paths of its incentive plans made relative to ``folder``."""
    plans = data.get("incentives") if isinstance(data, dict) else None
    if not isinstance(plans, dict):
        return data
    return {
        **data,
        "incentives": {
            team: str(folder / value) if isinstance(value, str) and not Path(value).is_absolute() else value
            for team, value in plans.items()
        },
    }


def loads(text: str, file: str = "<string>") -> Scenario:
    """Validate a scenario given as YAML text; ``file`` names it in error messages, and incentive plans named by
    path are read from beside it (the working folder for the default name)."""
    data, lines = parse_yaml(text, file)
    return validate(Scenario, _plans_beside(data, Path(file).parent), file, lines)


def dump(scenario: Scenario, path: str | Path | None = None) -> str:
    """The scenario as YAML text (written to ``path`` when given); ``load`` reads it back equal."""
    data = scenario.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    if path is not None:
        write_text(path, text)
    return text
