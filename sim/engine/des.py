"""The reference engine: a SimPy discrete-event simulation, one process per lead.

Each team is a FIFO pool of identified reps (a ``simpy.Store`` of rep numbers rather than a
``simpy.Resource``, because a rep's identity matters: new hires work slower while they
ramp up, reps leave and are replaced, and incentives pay individual reps). At each stage a
lead waits for the longest-idle rep of the stage's team, takes ``work_days`` of that rep's
time (divided by the rep's productivity), then ``wait_days`` of customer-side time, then
converts or is lost. The queue-independent draws come from :func:`sim.model.fates.draw_fates`,
so this engine and :mod:`sim.engine.fast` agree lead for lead.

Examples
--------
>>> from sim.scenario import load
>>> timeline = run_replication(load("benchmarks/w1.yaml"), seed=1, replication=0)
>>> int((~np.isnan(timeline.arrive[0])).sum()) == len(timeline.fates.arrivals)
True
"""

from __future__ import annotations

import numpy as np
import simpy

from sim.model.fates import Fates, draw_fates
from sim.model.staffing import Roster
from sim.model.timeline import Timeline
from sim.scenario import Scenario

__all__ = ["run_replication", "simulate_fates"]


def run_replication(scenario: Scenario, seed: int, replication: int) -> Timeline:
    """Simulate replication ``replication`` of a run seeded ``seed``."""
    return simulate_fates(draw_fates(scenario, seed, replication), scenario.horizon_days)


def simulate_fates(fates: Fates, horizon: float) -> Timeline:
    """Play out the given fates through the teams' queues until the horizon."""
    env = simpy.Environment()
    timeline = Timeline.empty(fates, horizon)
    stores = [simpy.Store(env) for _ in fates.rosters]
    for store, roster in zip(stores, fates.rosters):
        env.process(_staffing(env, store, roster))
    env.process(_source(env, fates, stores, timeline))
    env.run(until=horizon)
    return timeline.censor()


def _staffing(env: simpy.Environment, store: simpy.Store, roster: Roster):
    """Reps join the pool on their start day and, if idle, leave it on their end day."""
    events = sorted([(s, 1, rep) for rep, s in enumerate(roster.start)]
                    + [(e, 0, rep) for rep, e in enumerate(roster.end) if np.isfinite(e)])
    for time, joins, rep in events:
        if time > env.now:
            yield env.timeout(time - env.now)
        if joins:
            store.put(rep)
        elif rep in store.items:  # a busy rep leaves when the job in hand is done (see _lead)
            store.items.remove(rep)


def _source(env: simpy.Environment, fates: Fates, stores: list, timeline: Timeline):
    for lead, time in enumerate(fates.arrivals.time):
        if time > env.now:
            yield env.timeout(time - env.now)
        env.process(_lead(env, lead, fates, stores, timeline))


def _lead(env: simpy.Environment, j: int, fates: Fates, stores: list, timeline: Timeline):
    """One lead's way through the funnel; ``j`` is its position among the stage's entrants."""
    for k in range(len(fates.entrants)):
        team = fates.team_of_stage[k]
        store, roster = stores[team], fates.rosters[team]
        timeline.arrive[k][j] = env.now
        rep = yield store.get()
        timeline.start[k][j] = env.now
        timeline.rep[k][j] = rep
        yield env.timeout(fates.work[k][j] / roster.productivity(rep, env.now))
        timeline.end_work[k][j] = env.now
        if env.now < roster.end[rep]:
            store.put(rep)
        if fates.wait[k][j] > 0:
            yield env.timeout(fates.wait[k][j])
        timeline.end[k][j] = env.now
        if not fates.converts[k][j]:
            return
        j = fates.next_index[k][j]
