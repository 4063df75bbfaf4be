"""Results of a run: tidy tables of what happened, and the summary analysts quote.

Every engine's :class:`~sim.model.timeline.Timeline` is reduced here, the same way, to

- ``replications``: one row per replication (the year's leads, the opening pipeline's leads in
  the funnel at day 0, won, lost, open at the horizon -- ``leads + opening == won + lost + open`` --,
  revenue, collected, marketing, staff, hiring and commission cost (:mod:`sim.costs`), total days
  from arrival to win);
- ``stage_stats``: one row per replication and stage (entered, started, converted, lost, of
  them abandoned -- gone cold waiting for a rep --, total wait, work and time in stage, the
  team's busy and available rep-days, in working days where the team keeps a calendar);
- ``monthly``: one row per replication and calendar month: deals won, their value, and
  cash collected in the month;

and, unless a run asks for ``detail=False``, to the per-lead tables

- ``leads``: replication, lead, channel, tier, arrival, outcome (won/lost/open/cold), the stage
  where it ended or stands, won day, value, paid day;
- ``stage_times``: one row per lead and stage entered: arrive, start, end_work, end, wait
  (for a rep), rep, converted, cold (join with ``leads`` on replication and lead);
- ``daily``: per replication, day and stage at the end of each day: leads queueing for a
  rep, in rep work, in customer-side time, and the team's reps on hand;
- ``reps``: per replication and team, each rep's start and end day.

Times are in days from the start of the horizon; what had not happened by the horizon is
missing (NaN). Money is in the scenario's currency unit. The year opens with the pipeline of
its warm-up (:mod:`sim.model.opening`): figures count what happens from day 0 (a stage's
entrants, the deals won and the cash collected in the year; ``leads`` and marketing cost the
year's own leads), and the per-lead tables keep the warm-up's leads still in the funnel at day 0,
with negative times. ``open`` counts the leads still in the funnel at the horizon.

Examples
--------
>>> import sim
>>> results = sim.simulate(sim.load("benchmarks/w1.yaml"), replications=2, seed=1)
>>> sorted(results.summary())[:4]
['collected', 'costs', 'engine', 'leads']
>>> len(results.replications)
2
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Iterable, Mapping

import numba
import numpy as np
import pandas as pd

from sim.calendar import months_of_horizon
from sim.costs import (
    COLUMNS as COST_COLUMNS,
    add_profit,
    commission_basis,
    given,
    not_given,
    plan_commission,
    plan_inputs,
    replication_costs,
)
from sim.model.timeline import Timeline
from sim.outputs import output_dir, remove_stale, write_json, write_with
from sim.scenario import Scenario
from sim.stats import spread
from sim.worktime import to_work

__all__ = ["Results", "Aggregator", "detail_tables"]

OUTCOMES = ("won", "lost", "open", "cold")


def _lead_outcomes(timeline: Timeline) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per lead: the last stage reached, the outcome code (0 won, 1 lost, 2 open, 3 cold) and the day it
    was decided (NaN while open)."""
    fates = timeline.fates
    n = len(fates.arrivals)
    last = np.full(n, -1, dtype=np.int32)
    outcome = np.full(n, 2, dtype=np.int8)
    decided_day = np.full(n, np.nan)
    final = len(fates.entrants) - 1
    for k, ids in enumerate(fates.entrants):
        reached = ~np.isnan(timeline.arrive[k])
        last[ids[reached]] = k
        done = ~np.isnan(timeline.end[k])
        cold = done & np.isnan(timeline.start[k])
        decided = np.where(timeline.converted[k], 0 if k == final else 2, np.where(cold, 3, 1))
        outcome[ids[reached]] = np.where(done[reached], decided[reached], 2)
        decided_day[ids[reached]] = np.where(decided[reached] == 2, np.nan, timeline.end[k][reached])
    return last, outcome, decided_day


def _won_days(timeline: Timeline) -> np.ndarray:
    """Per lead, the day its deal was won (NaN if not won within the horizon)."""
    fates = timeline.fates
    won = np.full(len(fates.arrivals), np.nan)
    final = len(fates.entrants) - 1
    converted = timeline.converted[final]
    won[fates.entrants[final][converted]] = timeline.end[final][converted]
    return won


class Aggregator:
    """Reduces replications to the rows of ``replications``, ``stage_stats`` and ``monthly``.

    What depends only on the scenario (the (stage, team) slots, costs per lead, the calendar
    months of the horizon) is worked out once per run; each replication adds one compiled pass
    over its leads (:func:`_sums`) and a few arrays; the tables are built once, at the end.

    >>> from sim.scenario import load
    >>> from sim.engine.fast import run_replication
    >>> scenario = load("benchmarks/w1.yaml").replace({"horizon_days": 20})
    >>> aggregator = Aggregator(scenario)
    >>> aggregator.add(run_replication(scenario, 1, 0))
    >>> replications, stage_stats, monthly = aggregator.tables()
    >>> len(replications), len(stage_stats), list(monthly.month)
    (1, 5, ['2025-01'])
    """

    def __init__(self, scenario: Scenario):
        self.scenario = scenario
        self.slots = stage_slots(scenario)
        self.slot_team = np.array([t for _, t in self.slots], dtype=np.int64)
        self.slot_stage = np.array([k for k, _ in self.slots], dtype=np.int64)
        self.cost_per_lead = np.array([c.cost_per_lead for c in scenario.channels])
        self.commission = any(t.commission_rate for t in scenario.teams)  # else no need to split revenue by tier
        self.priced = False  # whether the attached incentive plans priced the commission (they need the reps)
        self.plan_inputs: list[dict[str, pd.DataFrame]] = []  # what they are paid on, per replication
        self.month_labels, self.month_of_day = months_of_horizon(
            scenario.start_date, int(np.ceil(scenario.horizon_days))
        )
        self.rows: list[tuple] = []
        self.by_slot: list[np.ndarray] = []
        self.busy: list[np.ndarray] = []
        self.rep_days: list[np.ndarray] = []
        self.months: list[np.ndarray] = []

    def add(self, timeline: Timeline, tables: dict[str, pd.DataFrame] | None = None) -> None:
        """Reduce one replication (``tables``: its per-lead tables, where already built)."""
        fates, horizon = timeline.fates, timeline.horizon
        by_slot, busy, months, (won, lost, revenue, collected, win_days, decided, decided_before) = _sums(
            fates.offsets,
            fates.entrants_all,
            timeline.converted_all,
            timeline.arrive_all,
            timeline.start_all,
            timeline.end_work_all,
            timeline.end_all,
            fates.routed,
            fates.team_all if fates.routed.any() else _NO_ROUTES,
            self.slot_stage,
            self.slot_team,
            len(self.scenario.teams),
            horizon,
            fates.arrivals.time,
            fates.value,
            fates.collection,
            self.month_of_day,
            len(self.month_labels),
            fates.held_all,
            *fates.calendar_arrays,
        )
        leads = len(fates.arrivals) - fates.arrivals.warmup - fates.arrivals.opening
        cost = float(fates.arrivals.per_channel @ self.cost_per_lead)
        self.priced = bool(self.scenario.incentives) and timeline.rep is not None
        staff, hiring, commission = replication_costs(
            self.scenario,
            fates.rosters,
            _revenue_by_tier(timeline, len(self.scenario.tiers))
            if self.commission
            else np.zeros(len(self.scenario.tiers)),
            priced=self.scenario.incentives if self.priced else (),
        )
        if self.priced:  # paid with the block's other replications, in tables()
            self.plan_inputs.append(plan_inputs(self.scenario, tables or detail_tables(timeline, self.scenario)))
        # the warm-up's leads still in the funnel at day 0, or the opening pipeline's deals
        opening = fates.arrivals.warmup - int(decided_before) + fates.arrivals.opening
        self.rows.append(
            (
                fates.replication,
                leads,
                opening,
                int(won),
                int(lost),
                len(fates.arrivals) - int(decided),
                float(revenue),
                float(collected),
                cost,
                staff,
                hiring,
                commission,
                float(win_days),
            )
        )
        self.by_slot.append(by_slot)
        self.busy.append(busy)
        self.rep_days.append(np.array([r.available_days(horizon, c) for r, c in zip(fates.rosters, fates.calendars)]))
        self.months.append(months)

    def tables(self) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        """``replications``, ``stage_stats`` and ``monthly`` of the replications added."""
        scenario, n_slots, n_months = self.scenario, len(self.slots), len(self.month_labels)
        replication = np.array([row[0] for row in self.rows], dtype=np.int64)
        replications = pd.DataFrame(self.rows, columns=list(_REPLICATION_COLUMNS))
        if self.plan_inputs:
            paid = plan_commission(scenario, self.plan_inputs)
            replications["commission_cost"] += paid.reindex(replications["replication"], fill_value=0.0).to_numpy()
        sums = np.concatenate(self.by_slot) if self.by_slot else np.zeros((0, len(STAGE_SUMS)))
        teams = self.slot_team
        stage_stats = pd.DataFrame(
            {
                "replication": np.repeat(replication, n_slots),
                "stage": np.tile([scenario.stages[k].name for k, _ in self.slots], len(self.rows)),
                "team": np.tile([scenario.teams[t].name for t in teams], len(self.rows)),
                **{
                    name: sums[:, i].astype(np.int64) if name in _COUNTS else sums[:, i]
                    for i, name in enumerate(STAGE_SUMS)
                },
                "team_busy_days": np.concatenate([b[teams] for b in self.busy]) if self.busy else np.zeros(0),
                "team_rep_days": np.concatenate([d[teams] for d in self.rep_days]) if self.rep_days else np.zeros(0),
            }
        )
        months = np.concatenate(self.months, axis=1) if self.months else np.zeros((3, 0))
        monthly = pd.DataFrame(
            {
                "replication": np.repeat(replication, n_months).astype(np.int32),
                "month": np.tile(self.month_labels, len(self.rows)),
                "won": months[0].astype(np.int64),
                "revenue": months[1],
                "collected": months[2],
            }
        )
        return replications, stage_stats, monthly


_REPLICATION_COLUMNS = (
    "replication",
    "leads",
    "opening",
    "won",
    "lost",
    "open",
    "revenue",
    "collected",
    *COST_COLUMNS.values(),
    "win_days_total",
)


def _revenue_by_tier(timeline: Timeline, n_tiers: int) -> np.ndarray:
    """Value of the deals won in the year, per tier (the revenue of ``_sums``, split)."""
    fates = timeline.fates
    final = len(fates.entrants) - 1
    won = timeline.converted[final] & (timeline.end[final] >= 0.0)  # NaN (not decided) compares false
    leads = fates.entrants[final][won]
    return np.bincount(fates.arrivals.tier[leads], weights=fates.value[leads], minlength=n_tiers)


def stage_slots(scenario: Scenario) -> list[tuple[int, int]]:
    """The (stage, team) pairs of ``stage_stats``, by index: each stage with its own team, then the
    teams its routed tiers go to. A scenario without routes has one pair per stage."""
    names = [t.name for t in scenario.teams]
    slots = []
    for k, stage in enumerate(scenario.stages):
        for team in dict.fromkeys([stage.team, *stage.routes.values()]):
            slots.append((k, names.index(team)))
    return slots


_NO_ROUTES = np.empty(0, dtype=np.int64)  # every lead worked by its stage's team: no per-lead teams needed
STAGE_SUMS = (
    "entered",
    "started",
    "converted",
    "lost",
    "abandoned",
    "wait_total",
    "work_total",
    "worked",
    "in_stage_total",
)
"""The sums per replication and stage every engine reports, in the order of their columns."""
_COUNTS = {"entered", "started", "converted", "lost", "abandoned", "worked"}
_N_SUMS = len(STAGE_SUMS)


@numba.njit(cache=True)
def _sums(
    offsets,
    entrants,
    converted,
    arrive,
    start,
    end_work,
    end,
    routed,
    team_all,
    slot_stage,
    slot_team,
    n_teams,
    horizon,
    arrival,
    value,
    collection,
    month_of_day,
    n_months,
    held,
    first_day,
    working,
    before,
    days,
    always,
):
    """The sums behind ``stage_stats``, one row per (stage, team) slot, each team's busy days, the
    deals won, their value and the cash collected in each calendar month (three rows), and the money
    of the replication: deals won and lost in the year, their value, the cash collected in it, the
    days from arrival to win, how many leads were decided (won or lost) by the horizon, and how many
    before day 0.

    A lead is worked by its stage's team, or, at a ``routed`` stage, by ``team_all[i]``.
    """
    n_sums = _N_SUMS
    by_slot = np.zeros((len(slot_team), n_sums))
    busy = np.zeros(n_teams)
    lost = decided = lost_before = 0
    for slot in range(len(slot_team)):
        k, team = slot_stage[slot], slot_team[slot]
        sums = _slot_sums(
            offsets[k],
            offsets[k + 1],
            converted,
            arrive,
            start,
            end_work,
            end,
            team_all if routed[k] else team_all[:0],
            team,
            horizon,
            held,
            first_day,
            working,
            before,
            days,
            always,
        )
        for column in range(n_sums):
            by_slot[slot, column] = sums[column]
        busy[team] += sums[n_sums]
        lost += sums[n_sums + 1]
        decided += sums[n_sums + 2]
        lost_before += sums[n_sums + 2] - sums[n_sums + 1]
    months = np.zeros((3, n_months))
    won = won_before = 0
    revenue = collected = win_days = 0.0
    final = len(offsets) - 2
    for i in range(offsets[final], offsets[final + 1]):
        e = end[i]
        if converted[i] and not np.isnan(e):
            lead = entrants[i]
            decided += 1
            paid = e + collection[lead]
            if 0.0 <= paid < horizon:
                collected += value[lead]
                months[2, month_of_day[int(paid)]] += value[lead]
            if e < 0.0:  # won in the warm-up
                won_before += 1
                continue
            won += 1
            revenue += value[lead]
            win_days += e - arrival[lead]
            month = month_of_day[int(e)]
            months[0, month] += 1
            months[1, month] += value[lead]
    return by_slot, busy, months, (won, lost, revenue, collected, win_days, decided, won_before + lost_before)


@numba.njit(cache=True)
def _slot_sums(
    first,
    stop,
    converted,
    arrive,
    start,
    end_work,
    end,
    teams,
    team,
    horizon,
    held,
    first_day,
    working,
    before,
    days,
    always,
):
    """The ``STAGE_SUMS`` of leads ``first`` to ``stop - 1`` (those of them that ``team`` works,
    if ``teams`` gives each lead's team) that reached the stage in the year; the working days
    ``team`` spent on them within the year (on any lead, the warm-up's too); and how many of
    them were lost in the year, and lost at all (by the horizon). The opening pipeline's deals (``held``)
    did not reach their stage, nor the stages before it, in the year.

    The sums are numbers, not an array's cells, so they stay in registers.
    """
    entered = started = n_converted = lost = abandoned = worked = lost_in_year = lost_ever = 0
    wait_total = work_total = in_stage_total = busy = 0.0
    for i in range(first, stop):
        a = arrive[i]
        if np.isnan(a) or (len(teams) > 0 and teams[i] != team):
            continue
        s = start[i]
        w = end_work[i]
        if not np.isnan(s):  # busy within [0, horizon), in working time
            lo = to_work(max(s, 0.0), team, first_day, working, before, days, always)
            hi = to_work(horizon if np.isnan(w) else w, team, first_day, working, before, days, always)
            if hi > lo:
                busy += hi - lo
        e = end[i]
        c = converted[i]  # counted without a branch: converting or not is a coin toss the processor cannot predict
        if not np.isnan(e):
            lost_ever += 1 - c
            lost_in_year += (1 - c) * (e >= 0.0)
        if a < 0.0 or held[i] > 0:  # reached the stage in the warm-up, or before day 0 (an opening deal)
            continue
        entered += 1
        if not np.isnan(s):
            started += 1
            wait_total += s - a
            if not np.isnan(w):
                work_total += to_work(w, team, first_day, working, before, days, always) - to_work(
                    s, team, first_day, working, before, days, always
                )
                worked += 1
        if np.isnan(e):
            continue
        in_stage_total += e - a
        n_converted += c
        lost += 1 - c
        abandoned += np.isnan(s)
    return (
        float(entered),
        float(started),
        float(n_converted),
        float(lost),
        float(abandoned),
        wait_total,
        work_total,
        float(worked),
        in_stage_total,
        busy,
        float(lost_in_year),
        float(lost_ever),
    )


def detail_tables(timeline: Timeline, scenario: Scenario) -> dict[str, pd.DataFrame]:
    """The per-lead tables of one replication: ``leads``, ``stage_times``, ``daily``, ``reps``."""
    fates, horizon = timeline.fates, timeline.horizon
    r = fates.replication
    last, outcome, decided_day = _lead_outcomes(timeline)
    kept = ~(decided_day < 0)  # the warm-up's leads decided before day 0 are no part of the year
    won_day = _won_days(timeline)
    paid_day = won_day + fates.collection
    stage_names = pd.CategoricalDtype([s.name for s in scenario.stages])
    n = int(kept.sum())
    leads = pd.DataFrame(
        {
            "replication": np.full(n, r, dtype=np.int32),
            "lead": np.flatnonzero(kept).astype(np.int32),
            "channel": pd.Categorical.from_codes(fates.arrivals.channel[kept], [c.name for c in scenario.channels]),
            "tier": pd.Categorical.from_codes(fates.arrivals.tier[kept], list(scenario.tiers)),
            "arrival": fates.arrivals.time[kept],
            "outcome": pd.Categorical.from_codes(outcome[kept], list(OUTCOMES)),
            "stage": pd.Categorical.from_codes(last[kept], dtype=stage_names),
            "won_day": won_day[kept],
            "value": np.where(np.isnan(won_day), np.nan, fates.value)[kept],
            "paid_day": np.where(paid_day < horizon, paid_day, np.nan)[kept],
        }
    )
    steps = []
    team_names = [t.name for t in scenario.teams]
    teams = np.split(fates.team_all, fates.offsets[1:-1])
    held = np.split(fates.held_all, fates.offsets[1:-1])  # opening deals pass the stages before their own: no rows
    for k in range(len(scenario.stages)):
        reached = ~np.isnan(timeline.arrive[k]) & kept[fates.entrants[k]] & (held[k] != 1)
        done = ~np.isnan(timeline.end[k])
        cold = done & np.isnan(timeline.start[k])
        steps.append(
            pd.DataFrame(
                {
                    "replication": np.full(int(reached.sum()), r, dtype=np.int32),
                    "lead": fates.entrants[k][reached].astype(np.int32),
                    "stage": pd.Categorical.from_codes(np.full(int(reached.sum()), k), dtype=stage_names),
                    "arrive": timeline.arrive[k][reached],
                    "start": timeline.start[k][reached],
                    "end_work": timeline.end_work[k][reached],
                    "end": timeline.end[k][reached],
                    "wait": (timeline.start[k] - timeline.arrive[k])[reached],
                    "team": pd.Categorical.from_codes(teams[k][reached], team_names),
                    "rep": timeline.rep[k][reached],
                    "converted": pd.array(np.where(done, timeline.converted[k], pd.NA)[reached], dtype="boolean"),
                    "cold": cold[reached],
                }
            )
        )
    stage_times = pd.concat(steps, ignore_index=True)
    days = np.arange(1, int(np.ceil(horizon)) + 1, dtype=float)
    daily = []
    for k, stage in enumerate(scenario.stages):
        ended, cold = timeline.end[k], np.isnan(timeline.start[k])
        arrived, started, worked, served, gone_cold = (
            _count_at(days, times)
            for times in (
                timeline.arrive[k],
                timeline.start[k],
                timeline.end_work[k],
                np.where(cold, np.nan, ended),
                np.where(cold, ended, np.nan),
            )
        )
        roster = fates.rosters[fates.team_of_stage[k]]
        daily.append(
            pd.DataFrame(
                {
                    "replication": np.full(len(days), r, dtype=np.int32),
                    "day": days.astype(np.int32) - 1,
                    "stage": pd.Categorical.from_codes(np.full(len(days), k), dtype=stage_names),
                    "queue": arrived - started - gone_cold,
                    "in_work": started - worked,
                    "customer_wait": worked - served,
                    "team_reps": roster.headcount(np.minimum(days, horizon - 1e-9)),
                }
            )
        )
    reps = pd.concat(
        [
            pd.DataFrame(
                {
                    "replication": r,
                    "team": team.name,
                    "rep": np.arange(len(roster), dtype=np.int32),
                    "start_day": roster.start,
                    "end_day": roster.end,
                    "seasoned": roster.seasoned,
                }
            )
            for team, roster in zip(scenario.teams, fates.rosters)
        ],
        ignore_index=True,
    )
    return {"leads": leads, "stage_times": stage_times, "daily": pd.concat(daily, ignore_index=True), "reps": reps}


def _count_at(days: np.ndarray, times: np.ndarray) -> np.ndarray:
    """How many of ``times`` (NaN = never) are at or before each of ``days``."""
    return np.searchsorted(np.sort(times[~np.isnan(times)]), days, side="right")


@dataclass(frozen=True, eq=False)  # compared by identity: its tables have no single truth value
class Results:
    """What a run produced: per-replication and per-stage figures, and optionally per-lead ``tables`` (by name,
    see ``TABLES``; empty when the run kept none); ``notes`` are read into ``summary.json``."""

    TABLES: ClassVar[tuple[str, ...]] = ("leads", "stage_times", "daily", "reps")

    scenario: Scenario
    engine: str
    seed: int
    replications: pd.DataFrame
    stage_stats: pd.DataFrame
    monthly: pd.DataFrame
    tables: Mapping[str, pd.DataFrame] = field(default_factory=dict, repr=False)
    notes: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "tables", dict(self.tables or {}))  # None, from a run that kept no tables
        object.__setattr__(self, "notes", dict(self.notes or {}))

    @classmethod
    def from_timelines(
        cls,
        scenario: Scenario,
        timelines: Iterable[Timeline],
        engine: str,
        seed: int,
        detail: bool = True,
        notes: dict[str, Any] | None = None,
    ) -> "Results":
        """Reduce timelines (consumed one at a time, so they need not all be held) to results."""
        aggregator, parts = Aggregator(scenario), {name: [] for name in cls.TABLES}
        for timeline in timelines:
            one = detail_tables(timeline, scenario) if detail else None
            aggregator.add(timeline, one)
            for name, table in (one or {}).items():
                parts[name].append(table)
        tables = {name: pd.concat(p, ignore_index=True) for name, p in parts.items()} if detail else None
        notes = {**(notes or {}), "commission_basis": commission_basis(scenario, aggregator.priced)}
        return cls(scenario, engine, seed, *aggregator.tables(), tables, notes)

    @classmethod
    def concat(cls, parts: list["Results"]) -> "Results":
        """Results of consecutive blocks of replications of one run, as one."""
        first = parts[0]
        tables = {name: pd.concat([p.tables[name] for p in parts], ignore_index=True) for name in first.tables}
        return cls(
            first.scenario,
            first.engine,
            first.seed,
            pd.concat([p.replications for p in parts], ignore_index=True),
            pd.concat([p.stage_stats for p in parts], ignore_index=True),
            pd.concat([p.monthly for p in parts], ignore_index=True),
            tables,
            first.notes,
        )

    def _table(self, name: str) -> pd.DataFrame:
        if name not in self.tables:
            raise AttributeError(f"this run kept no per-lead tables ({name!r}); simulate with detail=True")
        return self.tables[name]

    @property
    def leads(self) -> pd.DataFrame:
        """One row per lead and replication."""
        return self._table("leads")

    @property
    def stage_times(self) -> pd.DataFrame:
        """One row per lead and stage entered."""
        return self._table("stage_times")

    @property
    def daily(self) -> pd.DataFrame:
        """One row per replication, day and stage: queue, in work, customer wait, team reps."""
        return self._table("daily")

    @property
    def reps(self) -> pd.DataFrame:
        """One row per replication, team and rep: start and end day."""
        return self._table("reps")

    def summary(self) -> dict[str, Any]:
        """Headline figures across replications (the content of ``summary.json``)."""
        reps, stages = self.replications, self.stage_stats
        target = self.scenario.targets.annual_revenue if self.scenario.targets else None

        def ratio(num: float, den: float) -> float | None:
            return float(num / den) if den else None

        money = add_profit(reps)
        by_stage = stages.groupby("stage", sort=False, observed=True).sum(numeric_only=True)
        stage_list = []
        for stage in self.scenario.stages:
            s = by_stage.loc[stage.name]
            n = len(reps)
            stage_list.append(
                {
                    "name": stage.name,
                    "team": stage.team,
                    "entered": float(s["entered"] / n),
                    "converted": float(s["converted"] / n),
                    "abandoned": float(s["abandoned"] / n),
                    "abandon_rate": ratio(s["abandoned"], s["entered"]),
                    "conversion_rate": ratio(s["converted"], s["converted"] + s["lost"]),
                    "mean_wait_days": ratio(s["wait_total"], s["started"]),
                    "mean_work_days": ratio(s["work_total"], s["worked"]),
                    "mean_days_in_stage": ratio(s["in_stage_total"], s["converted"] + s["lost"]),
                    "utilisation": ratio(s["team_busy_days"], s["team_rep_days"]),
                }
            )
        return {
            "scenario": self.scenario.name,
            "engine": self.engine,
            "replications": int(len(reps)),
            "seed": self.seed,
            **{key: note for key, note in self.notes.items() if key != "commission_basis"},
            "leads": spread(reps["leads"]),
            "opening": spread(reps["opening"]),
            "won": spread(reps["won"]),
            "revenue": spread(reps["revenue"]),
            "collected": spread(reps["collected"]),
            "marketing_cost": spread(reps["marketing_cost"]),
            "costs": {
                **{
                    part: spread(reps[column]) if part in given(self.scenario) else None
                    for part, column in COST_COLUMNS.items()
                },
                "total": spread(money["total_cost"]),
                "not_given": not_given(self.scenario),
                "commission_basis": self.notes.get("commission_basis", commission_basis(self.scenario, priced=False)),
            },
            "profit": spread(money["profit"]),
            "target": target,
            "p_hit_target": float((reps["revenue"] >= target).mean()) if target else None,
            "mean_days_to_win": ratio(reps["win_days_total"].sum(), reps["won"].sum()),
            "stages": stage_list,
            "teams": self._team_utilisation(),
        }

    def _team_utilisation(self) -> list[dict[str, Any]]:
        """Each team that worked a stage: its busy share of the rep-days it had, over all replications."""
        per_team = (
            self.stage_stats.drop_duplicates(["replication", "team"])
            .groupby("team", sort=False)[["team_busy_days", "team_rep_days"]]
            .sum()
        )
        return [
            {"name": team, "utilisation": float(row.team_busy_days / row.team_rep_days) if row.team_rep_days else None}
            for team, row in per_team.iterrows()
        ]

    def summary_table(self) -> pd.DataFrame:
        """The per-stage part of :meth:`summary` as a table, for printing."""
        return pd.DataFrame(self.summary()["stages"]).set_index("name")

    SAVED = (
        "summary.json",
        *(
            f"{name}.parquet"
            for name in ("replications", "stage_stats", "monthly", "leads", "stage_times", "daily", "reps")
        ),
    )
    """Every file :meth:`save` may write; an earlier run's files that this one does not write are removed."""

    def save(self, directory: str | Path) -> Path:
        """Write ``summary.json`` (strict JSON) and every table as Parquet into ``directory``; return it.

        Each file is written whole or not at all; files of :attr:`SAVED` that this run does not
        write (per-lead tables after a summary-only run) are removed, any other file is left alone.
        """
        directory = output_dir(directory)
        write_json(directory / "summary.json", self.summary())
        tables = {
            "replications": self.replications,
            "stage_stats": self.stage_stats,
            "monthly": self.monthly,
            **self.tables,
        }
        for name, table in tables.items():
            write_with(directory / f"{name}.parquet", lambda tmp, table=table: table.to_parquet(tmp, index=False))
        remove_stale(directory, self.SAVED, ["summary.json", *(f"{name}.parquet" for name in tables)])
        return directory
