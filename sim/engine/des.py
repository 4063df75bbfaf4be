"""The reference engine: a SimPy discrete-event simulation, one process per lead.

Each team is a pool of identified reps (a ``simpy.Store`` of rep numbers rather than a
``simpy.Resource``, because a rep's identity matters: new hires work slower while they
ramp up, reps leave and are replaced, and incentives pay individual reps). At each stage a
lead waits for the longest-idle rep of the stage's team (or of the team its tier is routed to;
first come, first served, or by tier when the team has a ``priority``), takes ``work_days`` of that rep's
time (divided by the rep's productivity), then ``wait_days`` of customer-side time, then
converts or is lost. A lead that no rep starts within its patience goes cold (the request for a
rep is withdrawn); at a stage with a decay its conversion survives its wait or not. A deal of the
opening pipeline passes the stages before its own at once. A team with a
working calendar starts work at the next working moment and works in working time
(:mod:`sim.worktime`). The clock starts on the warm-up's first day. The queue-independent draws
come from :func:`sim.model.fates.draw_fates`, so this engine and :mod:`sim.engine.fast` agree lead
for lead.

Examples
--------
>>> from sim.scenario import load
>>> timeline = run_replication(load("benchmarks/w1.yaml"), seed=1, replication=0)
>>> int((~np.isnan(timeline.arrive[0])).sum()) == len(timeline.fates.arrivals)
True
"""

from __future__ import annotations

import bisect

import numpy as np
import simpy
from simpy.core import BoundClass
from simpy.resources.store import StoreGet

from sim.model.fates import Fates, draw_fates
from sim.model.staffing import Roster, ramp_productivity
from sim.model.timeline import Timeline
from sim.scenario import Scenario
from sim.worktime import end_at, start_at, to_work

__all__ = ["run_replication", "simulate_fates"]


def run_replication(scenario: Scenario, seed: int, replication: int, reps: bool = True) -> Timeline:
    """Simulate replication ``replication`` of a run seeded ``seed``.

    The reference always knows which rep worked each lead: ``reps`` (the exact engines' common
    signature; see :func:`sim.engine.fast.simulate_fates`) changes nothing."""
    return simulate_fates(draw_fates(scenario, seed, replication), scenario.horizon_days)


def simulate_fates(fates: Fates, horizon: float) -> Timeline:
    """Play out the given fates through the teams' queues until the horizon."""
    env = simpy.Environment(initial_time=fates.first_day)
    # With a priority anywhere, every pool takes a level (0 for a team without priority).
    stores = [_PriorityPool(env) if fates.prioritised else simpy.Store(env) for _ in fates.rosters]
    for store, roster in zip(stores, fates.rosters):
        env.process(_staffing(env, store, roster))
    record = _Record(fates)
    env.process(_source(env, fates, stores, record))
    env.run(until=horizon)
    return record.timeline(fates, horizon)


class _LevelGet(StoreGet):
    """A request for a rep at a priority level (0 is served first)."""

    def __init__(self, store: "_PriorityPool", level: int):
        self.level = level
        super().__init__(store)


class _ByLevel(list):
    """Waiting requests by level; first come, first served within a level."""

    def append(self, request: _LevelGet) -> None:
        bisect.insort_right(self, request, key=lambda r: r.level)


class _PriorityPool(simpy.Store):
    """A team's pool of reps whose waiting leads are served by priority level."""

    GetQueue = _ByLevel
    get = BoundClass(_LevelGet)


class _Record:
    """Plain Python lists for the hot loop (much faster to index than numpy arrays), per stage."""

    def __init__(self, fates: Fates):
        nan = float("nan")
        sizes = [len(e) for e in fates.entrants]
        self.arrive, self.start, self.end_work, self.end = ([[nan] * n for n in sizes] for _ in range(4))
        self.rep = [[-1] * n for n in sizes]
        self.work = [w.tolist() for w in fates.work]
        self.wait = [w.tolist() for w in fates.wait]
        self.converts = [c.tolist() for c in fates.converts]
        self.next_index = [i.tolist() for i in fates.next_index]
        split = fates.offsets[1:-1]
        teams = np.split(fates.team_all, split)
        # Per stage: the team of each entrant when a tier is routed elsewhere, else None (the stage's team).
        self.team_of = [t.tolist() if routed else None for t, routed in zip(teams, fates.routed)]
        levels = np.split(fates.levels_all, split)
        self.levels = [level.tolist() if fates.prioritised else None for level in levels]
        self.team = fates.team_of_stage.tolist()
        # A team without ramp-up works at full speed: skip the productivity call.
        self.ramps = [r.ramp_days > 0 and not r.seasoned.all() for r in fates.rosters]
        self.rep_end = [r.end.tolist() for r in fates.rosters]
        self.patience = [p.tolist() for p in np.split(fates.patience_all, split)]
        self.slack = [x.tolist() for x in np.split(fates.slack_all, split)]
        self.half_life = fates.half_life.tolist()
        self.calendars = fates.calendar_arrays
        self.passing = [(h == 1).tolist() for h in np.split(fates.held_all, split)]

    def stages(self, fates: Fates, stores: list) -> list[tuple]:
        """Per stage, everything the hot loop touches, as one tuple (see ``_lead``)."""
        pools = [
            (stores[t], fates.rosters[t], self.ramps[t], self.rep_end[t], _Clock(t, self.calendars))
            for t in range(len(stores))
        ]
        return [
            (
                pools[t],
                pools,
                self.team_of[k],
                self.arrive[k],
                self.start[k],
                self.end_work[k],
                self.end[k],
                self.rep[k],
                self.work[k],
                self.wait[k],
                self.converts[k],
                self.next_index[k],
                self.levels[k],
                self.patience[k],
                self.slack[k],
                self.half_life[k],
                self.passing[k],
            )
            for k, t in enumerate(self.team)
        ]

    def timeline(self, fates: Fates, horizon: float) -> Timeline:
        flat = [
            np.fromiter((t for stage in field for t in stage), dtype=float, count=int(fates.offsets[-1]))
            for field in (self.arrive, self.start, self.end_work, self.end)
        ]
        reps = np.fromiter((r for stage in self.rep for r in stage), dtype=np.int32, count=int(fates.offsets[-1]))
        return Timeline(fates, horizon, *flat, reps)


class _Clock:
    """A team's working time (:mod:`sim.worktime`); ``None`` attributes when every day is worked."""

    def __init__(self, team: int, calendars: tuple):
        self.team, self.calendars = team, calendars
        self.always = bool(calendars[4][team])

    def to_work(self, t: float) -> float:
        return t if self.always else to_work(t, self.team, *self.calendars)

    def start_at(self, w: float) -> float:
        return w if self.always else start_at(w, self.team, *self.calendars)

    def end_at(self, w: float) -> float:
        return w if self.always else end_at(w, self.team, *self.calendars)


def _give_back(store: simpy.Store, rep: int) -> None:
    """Return a rep that a lead gone cold did not use, first in line as before, to the next waiting lead."""
    store.items.insert(0, rep)
    store._trigger_get(None)


def _staffing(env: simpy.Environment, store: simpy.Store, roster: Roster):
    """Reps join the pool on their start day and, if idle, leave it on their end day."""
    events = sorted(
        [(s, 1, rep) for rep, s in enumerate(roster.start)]
        + [(e, 0, rep) for rep, e in enumerate(roster.end) if np.isfinite(e)]
    )
    for time, joins, rep in events:
        if time > env.now:
            yield env.timeout(time - env.now)
        if joins:
            store.put(rep)
        elif rep in store.items:  # a busy rep leaves when the job in hand is done (see _lead)
            store.items.remove(rep)


def _source(env: simpy.Environment, fates: Fates, stores: list, record: _Record):
    stages = record.stages(fates, stores)
    for lead, time in enumerate(fates.arrivals.time.tolist()):
        if time > env.now:
            yield env.timeout(time - env.now)
        env.process(_lead(env, lead, stages))


def _lead(env: simpy.Environment, j: int, stages: list[tuple]):
    """One lead's way through the funnel; ``j`` is its position among the stage's entrants."""
    inf = float("inf")
    for (
        pool,
        pools,
        team_of,
        arrive,
        start,
        end_work,
        end,
        reps,
        work,
        wait,
        converts,
        next_index,
        levels,
        patience,
        slack,
        half_life,
        passing,
    ) in stages:
        if passing[j]:  # an opening deal passing a stage before its own: at once, no rep
            arrive[j] = start[j] = end_work[j] = end[j] = env.now
            j = next_index[j]
            continue
        store, roster, ramps, rep_end, clock = pool if team_of is None else pools[team_of[j]]
        now = arrive[j] = env.now
        request = store.get() if levels is None else store.get(levels[j])
        if patience[j] == inf:
            rep = yield request
        else:
            yield request | env.timeout(patience[j])
            if not request.triggered:  # cold: nobody started it in time
                request.cancel()
                end[j] = now + patience[j]
                return
            rep = request.value
        now = env.now
        at = clock.to_work(now)
        begin = max(clock.start_at(at), now)  # max: the map's rounding never starts work before now
        if begin > arrive[j] + patience[j]:  # the next working moment comes too late: cold
            _give_back(store, rep)
            end[j] = arrive[j] + patience[j]
            return
        start[j] = begin
        reps[j] = rep
        pace = 1.0
        if ramps and not roster.seasoned[rep] and roster.ramp_days > 0:
            tenure = at - clock.to_work(roster.start[rep])
            pace = float(ramp_productivity(tenure, roster.ramp_days, roster.initial_productivity))
        if clock.always:  # the delay itself, as SimPy adds it to its clock
            yield env.timeout(work[j] / pace)
        else:
            yield env.timeout(max(clock.end_at(at + work[j] / pace), begin) - now)
        now = end_work[j] = env.now
        if clock.to_work(now) < clock.to_work(rep_end[rep]):
            store.put(rep)
        if wait[j] > 0:
            yield env.timeout(wait[j])
        end[j] = env.now
        if not converts[j] or (half_life < inf and not slack[j] < 0.5 ** ((start[j] - arrive[j]) / half_life)):
            return
        j = next_index[j]
