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

__all__ = ["Fates", "by_stage", "compress", "draw_fates", "routes_and_levels"]


class Fates:
    """The queue-independent draws of one replication (see the module docs).

    Per-stage arrays are views of flat ones that hold every stage one after the other
    (``offsets[k]:offsets[k+1]`` is stage ``k``), which the compiled engines take whole.
    """

    __slots__ = ("replication", "arrivals", "offsets", "entrants_all", "converts_all", "work_all", "wait_all",
                 "entrants", "converts", "work", "wait", "value", "collection", "rosters", "team_of_stage",
                 "team_of_tier", "level_of_tier", "team_levels", "routed", "_team_all", "_levels_all", "_next_index")

    def __init__(self, replication, arrivals, offsets, entrants_all, converts_all, work_all, wait_all, value,
                 collection, rosters, team_of_stage, team_of_tier, level_of_tier, team_levels):
        self.replication: int = replication
        self.arrivals: Arrivals = arrivals
        self.offsets: np.ndarray = offsets
        self.entrants_all: np.ndarray = entrants_all
        self.converts_all: np.ndarray = converts_all
        self.work_all: np.ndarray = work_all
        self.wait_all: np.ndarray = wait_all
        self.entrants: list[np.ndarray] = by_stage(entrants_all, offsets)
        self.converts: list[np.ndarray] = by_stage(converts_all, offsets)
        self.work: list[np.ndarray] = by_stage(work_all, offsets)
        self.wait: list[np.ndarray] = by_stage(wait_all, offsets)
        self.value: np.ndarray = value  # per lead; NaN unless it converts at every stage
        self.collection: np.ndarray = collection  # per lead: days from win to payment; inf = never paid
        self.rosters: list[Roster] = rosters
        self.team_of_stage: np.ndarray = team_of_stage  # the stage's own team
        # team_of_tier[k, t]: the team that works stage k's leads of tier t (another than the stage's
        # for a routed tier), at level level_of_tier[k, t] of its queue (0 first). Team t's queue has
        # team_levels[t] levels (1 = first come, first served).
        self.team_of_tier: np.ndarray = team_of_tier
        self.level_of_tier: np.ndarray = level_of_tier
        self.team_levels: np.ndarray = team_levels
        self.routed: np.ndarray = (team_of_tier != team_of_stage[:, None]).any(axis=1)  # per stage
        self._team_all: np.ndarray | None = None
        self._levels_all: np.ndarray | None = None
        self._next_index: list[np.ndarray] | None = None

    @property
    def prioritised(self) -> bool:
        """Does some team serve waiting leads by tier?"""
        return bool(self.team_levels.max() > 1)

    @property
    def team_all(self) -> np.ndarray:
        """The team that works each entrant of each stage (flat, like ``entrants_all``)."""
        if self._team_all is None:
            self._team_all = self._per_entrant(self.team_of_tier)
        return self._team_all

    @property
    def levels_all(self) -> np.ndarray:
        """The priority level at which each entrant of each stage waits (flat, like ``entrants_all``)."""
        if self._levels_all is None:
            self._levels_all = self._per_entrant(self.level_of_tier)
        return self._levels_all

    def _per_entrant(self, of_tier: np.ndarray) -> np.ndarray:
        """``of_tier[k, tier of the lead]`` for every entrant of every stage; a stage whose tiers all
        have the same value (the usual case) is filled with it without looking up the leads' tiers."""
        out = np.empty(self.offsets[-1], dtype=np.int64)
        for k, ids in enumerate(self.entrants):
            row = of_tier[k]
            part = out[self.offsets[k]:self.offsets[k + 1]]
            part[:] = row[0] if (row == row[0]).all() else row[self.arrivals.tier[ids]]
        return out

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
    entrants, converts = [], []
    current = np.arange(len(arrivals))
    for k in range(len(scenario.stages)):
        p = np.array([scenario.conversion_of(k, t) for t in scenario.tiers])
        u = generator(seed, replication, CONVERSION, k).random(len(current))
        converted = u < (p[0] if len(p) == 1 else p[arrivals.tier[current]])
        entrants.append(current)
        converts.append(converted)
        current = compress(current, converted)
    offsets = np.zeros(len(entrants) + 1, dtype=np.int64)
    np.cumsum([len(e) for e in entrants], out=offsets[1:])
    work, wait = np.empty(offsets[-1]), np.zeros(offsets[-1])
    for k, stage in enumerate(scenario.stages):
        stage.work_days.fill(generator(seed, replication, WORK, k), work[offsets[k]:offsets[k + 1]])
        if stage.wait_days is not None:
            stage.wait_days.fill(generator(seed, replication, WAIT, k), wait[offsets[k]:offsets[k + 1]])

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

    team_of_stage, team_of_tier, level_of_tier, team_levels = routes_and_levels(scenario)
    return Fates(replication, arrivals, offsets, np.concatenate(entrants), np.concatenate(converts), work, wait,
                 value, collection, draw_rosters(scenario, seed, replication), team_of_stage, team_of_tier,
                 level_of_tier, team_levels)


def routes_and_levels(scenario: Scenario) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each stage's own team; by stage and tier, the team that works a lead and the priority level it
    waits at there; and each team's number of priority levels."""
    names = [t.name for t in scenario.teams]
    team_of_stage = np.array([names.index(s.team) for s in scenario.stages], dtype=np.int64)
    team_levels = np.array([len(t.priority) + 1 if t.priority else 1 for t in scenario.teams], dtype=np.int64)
    # rank[team, tier]: the level of a lead of that tier in that team's queue
    rank = np.array([[t.priority.index(tier) if tier in t.priority else len(t.priority) for tier in scenario.tiers]
                     for t in scenario.teams], dtype=np.int64)
    team_of_tier = np.array([[names.index(stage.team_for(tier)) for tier in scenario.tiers]
                             for stage in scenario.stages], dtype=np.int64)
    level_of_tier = rank[team_of_tier, np.arange(len(scenario.tiers))]
    return team_of_stage, team_of_tier, level_of_tier, team_levels


def by_stage(flat: np.ndarray, offsets: np.ndarray) -> list[np.ndarray]:
    """Stage ``k``'s part (``offsets[k]:offsets[k+1]``) of an array holding every stage one after the
    other, for each stage: views, not copies."""
    bounds = offsets.tolist()
    return [flat[first:stop] for first, stop in zip(bounds[:-1], bounds[1:])]


@numba.njit(cache=True)
def compress(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``values[mask]``, branch-free: several times faster than numpy's boolean indexing on a random mask."""
    out = np.empty(np.count_nonzero(mask) + 1, dtype=values.dtype)  # + 1: the slot written after the last kept value
    n = 0
    for i in range(len(values)):
        out[n] = values[i]
        n += mask[i]
    return out[:n]
