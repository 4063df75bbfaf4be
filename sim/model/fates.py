"""Everything random about a replication that does not depend on queues: the leads' fates.

Whether a lead converts at a stage, how much rep work and customer-side time it needs,
what its deal is worth and when it will be paid depend only on the lead, never on how
busy the reps are. So they are drawn up front, stage by stage, each purpose and stage
from its own stream (:mod:`sim.streams`). Engines only decide *when* things happen; two
engines given the same :class:`Fates` must agree lead for lead, and strategies that
change capacity keep the same leads and outcomes (common random numbers).

Stage ``k``'s arrays are aligned with ``entrants[k]``: the ids (ascending) of the leads
that would reach stage ``k`` if the horizon were endless.

Examples
--------
>>> from sim.scenario import load
>>> fates = draw_fates(load("benchmarks/w1.yaml"), seed=1, replication=0)
>>> len(fates.entrants[1]) == int(fates.converts[0].sum())
True
"""

from __future__ import annotations

import numba
import numpy as np

from sim.model.arrivals import Arrivals, draw_arrivals
from sim.model.staffing import Roster, draw_rosters
from sim.scenario import Scenario
from sim.streams import COLLECTION, CONVERSION, VALUE, WAIT, WORK, generator

__all__ = ["Fates", "compress", "draw_fates"]


class Fates:
    """The queue-independent draws of one replication (see the module docs)."""

    __slots__ = ("replication", "arrivals", "entrants", "converts", "work", "wait",
                 "value", "collection", "rosters", "team_of_stage", "routed", "team_all", "team_levels", "levels_all",
                 "offsets", "entrants_all", "converts_all", "_next_index")

    def __init__(self, replication, arrivals, entrants, converts, work, wait, value, collection, rosters, team_of_stage,
                 routed, team_all, team_levels, levels_all):
        self.replication: int = replication
        self.arrivals: Arrivals = arrivals
        self.entrants: list[np.ndarray] = entrants
        self.converts: list[np.ndarray] = converts
        self.work: list[np.ndarray] = work
        self.wait: list[np.ndarray] = wait
        self.value: np.ndarray = value  # per lead; NaN unless it converts at every stage
        self.collection: np.ndarray = collection  # per lead: days from win to payment; inf = never paid
        self.rosters: list[Roster] = rosters
        self.team_of_stage: np.ndarray = team_of_stage  # the stage's own team
        self.routed: np.ndarray = routed  # per stage: does a tier go to another team?
        # The team that works each entrant of each stage (another than the stage's for a routed tier).
        self.team_all: np.ndarray = team_all
        # Priority: team t's queue has team_levels[t] levels (1 = first come, first served); a lead
        # waiting at stage k is served at level levels_all[offsets[k] + j] (0 first).
        self.team_levels: np.ndarray = team_levels
        self.levels_all: np.ndarray = levels_all
        self._next_index: list[np.ndarray] | None = None
        # offsets[k]:offsets[k+1] is stage k in arrays that hold every stage one after the other
        self.offsets: np.ndarray = np.zeros(len(entrants) + 1, dtype=np.int64)
        np.cumsum([len(e) for e in entrants], out=self.offsets[1:])
        self.entrants_all: np.ndarray = np.concatenate(entrants)
        self.converts_all: np.ndarray = np.concatenate(converts)

    @property
    def prioritised(self) -> bool:
        """Does some team serve waiting leads by tier?"""
        return bool(self.team_levels.max() > 1)

    @property
    def next_index(self) -> list[np.ndarray]:
        """``next_index[k][j]``: position of stage k's entrant j among stage k+1's entrants (if it converts)."""
        if self._next_index is None:
            self._next_index = [np.cumsum(c) - 1 for c in self.converts]
        return self._next_index


def draw_fates(scenario: Scenario, seed: int, replication: int) -> Fates:
    """Draw the fates of one replication from its own streams."""
    arrivals = draw_arrivals(scenario, seed, replication)
    n_tiers = len(scenario.tiers)
    entrants, converts, work, wait = [], [], [], []
    current = np.arange(len(arrivals))
    for k, stage in enumerate(scenario.stages):
        p = np.array([scenario.conversion_of(k, t) for t in scenario.tiers])
        u = generator(seed, replication, CONVERSION, k).random(len(current))
        converted = u < (p[0] if len(p) == 1 else p[arrivals.tier[current]])
        entrants.append(current)
        converts.append(converted)
        work.append(stage.work_days.sample(generator(seed, replication, WORK, k), len(current)))
        if stage.wait_days is None:
            wait.append(np.zeros(len(current)))
        else:
            wait.append(stage.wait_days.sample(generator(seed, replication, WAIT, k), len(current)))
        current = compress(current, converted)

    value = np.full(len(arrivals), np.nan)
    won_tiers = arrivals.tier[current]
    rng = generator(seed, replication, VALUE)
    for t in range(n_tiers):  # one stream; tiers drawn in a fixed order
        chosen = current[won_tiers == t]
        value[chosen] = scenario.deal_value_for(scenario.tiers[t]).sample(rng, len(chosen))

    collection = np.full(len(arrivals), np.inf)
    rng = generator(seed, replication, COLLECTION)
    days = scenario.collection_days.sample(rng, len(current)) if scenario.collection_days else np.zeros(len(current))
    paid = rng.random(len(current)) >= scenario.bad_debt
    collection[current] = np.where(paid, days, np.inf)

    team_names = [t.name for t in scenario.teams]
    rosters = draw_rosters(scenario, seed, replication)
    team_of_stage = np.array([team_names.index(s.team) for s in scenario.stages], dtype=np.int32)
    routed = np.array([any(s.team_for(tier) != s.team for tier in scenario.tiers) for s in scenario.stages])
    team_all, team_levels, levels_all = _teams_and_levels(scenario, arrivals, entrants)
    return Fates(replication, arrivals, entrants, converts, work, wait, value, collection, rosters, team_of_stage,
                 routed, team_all, team_levels, levels_all)


def _teams_and_levels(scenario: Scenario, arrivals: Arrivals,
                      entrants: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The team that works every entrant of every stage (routes by tier), each team's number of
    priority levels, and the level at which every entrant waits.

    A stage whose tiers all go to one team at one level (no routes, no priority: the usual case)
    fills its part with that constant instead of looking up each entrant's tier.
    """
    names = [t.name for t in scenario.teams]
    team_levels = np.array([len(t.priority) + 1 if t.priority else 1 for t in scenario.teams], dtype=np.int64)
    # rank[team, tier]: the level of a lead of that tier in that team's queue
    rank = np.array([[t.priority.index(tier) if tier in t.priority else len(t.priority) for tier in scenario.tiers]
                     for t in scenario.teams], dtype=np.int64)
    total = sum(len(ids) for ids in entrants)
    teams, levels = np.empty(total, dtype=np.int64), np.empty(total, dtype=np.int64)
    first = 0
    for stage, ids in zip(scenario.stages, entrants):
        stop = first + len(ids)
        team_of_tier = np.array([names.index(stage.team_for(tier)) for tier in scenario.tiers], dtype=np.int64)
        level_of_tier = rank[team_of_tier, np.arange(len(team_of_tier))]
        if (team_of_tier == team_of_tier[0]).all() and (level_of_tier == level_of_tier[0]).all():
            teams[first:stop], levels[first:stop] = team_of_tier[0], level_of_tier[0]
        else:
            tiers = arrivals.tier[ids]
            teams[first:stop], levels[first:stop] = team_of_tier[tiers], level_of_tier[tiers]
        first = stop
    return teams, team_levels, levels


@numba.njit(cache=True)
def compress(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``values[mask]``, branch-free: several times faster than numpy's boolean indexing on a random mask."""
    out = np.empty(np.count_nonzero(mask) + 1, dtype=values.dtype)  # + 1: the slot written after the last kept value
    n = 0
    for i in range(len(values)):
        out[n] = values[i]
        n += mask[i]
    return out[:n]
