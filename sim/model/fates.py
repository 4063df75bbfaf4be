"""Everything random about a replication that does not depend on queues: the leads' fates.

Whether a lead converts at a stage, how much rep work and customer-side time it needs,
what its deal is worth and when it will be paid depend only on the lead, never on how
busy the reps are. So they are drawn up front, stage by stage, each purpose and stage
from its own stream (:mod:`sim.streams`). Engines only decide *when* things happen; two
engines given the same :class:`Fates` must agree lead for lead, and strategies that
change capacity keep the same leads and outcomes (common random numbers).

Stage ``k``'s arrays are aligned with ``entrants[k]``: the ids (ascending) of the leads
that would reach stage ``k`` if the horizon were endless and nobody waited. Waiting is the
one thing the queues decide about a lead's way: a lead that no rep starts within its
``patience`` goes cold, and at a stage with a ``decay_half_life_days`` a lead converts only if
its draw ``slack = u / p`` (``u`` the conversion's uniform, ``p`` its probability) is below
``0.5 ** (wait / half_life)``. Both are drawn here, so the engines still make no draw.

The warm-up's leads (:mod:`sim.model.opening`) come first and draw from streams of their own; so do
the deals of an explicit opening pipeline, which are entrants of every stage up to their own: they pass
the stages before it at day 0 (converting, taking no time and no rep; ``held_all``), and the engines
forward them without a queue.

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
from sim.model.opening import remaining, warmup_days
from sim.model.staffing import Roster, draw_rosters
from sim.scenario import Scenario
from sim.streams import COLLECTION, CONVERSION, OPENING, PATIENCE, VALUE, WAIT, WARMUP, WORK, generator
from sim.worktime import Calendars, WorkCalendar, team_calendars

__all__ = ["Fates", "by_stage", "compress", "draw_fates", "routes_and_levels"]


class Fates:
    """The queue-independent draws of one replication (see the module docs).

    Per-stage arrays are views of flat ones that hold every stage one after the other
    (``offsets[k]:offsets[k+1]`` is stage ``k``), which the compiled engines take whole.
    """

    __slots__ = (
        "replication",
        "arrivals",
        "offsets",
        "entrants_all",
        "converts_all",
        "work_all",
        "wait_all",
        "entrants",
        "converts",
        "work",
        "wait",
        "value",
        "collection",
        "rosters",
        "team_of_stage",
        "team_of_tier",
        "level_of_tier",
        "team_levels",
        "routed",
        "_team_all",
        "_levels_all",
        "_next_index",
        "patience_all",
        "slack_all",
        "half_life",
        "calendars",
        "first_day",
        "_calendar_arrays",
        "held_all",
    )

    def __init__(
        self,
        replication,
        arrivals,
        offsets,
        entrants_all,
        converts_all,
        work_all,
        wait_all,
        value,
        collection,
        rosters,
        team_of_stage,
        team_of_tier,
        level_of_tier,
        team_levels,
        patience_all=None,
        slack_all=None,
        half_life=None,
        calendars=None,
        first_day=0,
        held_all=None,
    ):
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
        n_stages = len(offsets) - 1
        # per entrant: days it waits for a rep before going cold (inf: for ever); its conversion draw over
        # its probability (see the module docs); per stage: the half-life of conversion in waiting (inf: none)
        self.patience_all: np.ndarray = np.full(offsets[-1], np.inf) if patience_all is None else patience_all
        self.slack_all: np.ndarray = np.zeros(offsets[-1]) if slack_all is None else slack_all
        self.half_life: np.ndarray = np.full(n_stages, np.inf) if half_life is None else half_life
        self.calendars: list[WorkCalendar] = calendars or [WorkCalendar(first_day, None) for _ in rosters]
        self.first_day: int = first_day  # the warm-up's first day (0 without one)
        # per entrant: 1 an opening deal passing a stage before its own (at day 0, taking no time and no
        # rep), 2 an opening deal at its own stage (there since before day 0), else 0
        self.held_all: np.ndarray = np.zeros(offsets[-1], dtype=np.int8) if held_all is None else held_all
        self._calendar_arrays: tuple | None = None
        self._team_all: np.ndarray | None = None
        self._levels_all: np.ndarray | None = None
        self._next_index: list[np.ndarray] | None = None

    @property
    def waiting_matters(self) -> bool:
        """Can waiting change a lead's way (patience or decay at some stage)?"""
        return bool(np.isfinite(self.half_life).any() or np.isfinite(self.patience_all).any())

    @property
    def calendar_arrays(self) -> tuple:
        """The teams' calendars stacked for the compiled code (:class:`sim.worktime.Calendars`), made once
        for the engine and the aggregator alike."""
        if self._calendar_arrays is None:
            self._calendar_arrays = Calendars(self.calendars).arrays
        return self._calendar_arrays

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
            part = out[self.offsets[k] : self.offsets[k + 1]]
            part[:] = row[0] if (row == row[0]).all() else row[self.arrivals.tier[ids]]
        return out

    @property
    def next_index(self) -> list[np.ndarray]:
        """``next_index[k][j]``: position of stage k's entrant j among stage k+1's entrants (if it converts)."""
        if self._next_index is None:
            self._next_index = [np.cumsum(c) - 1 for c in self.converts]
        return self._next_index


def draw_fates(scenario: Scenario, seed: int, replication: int) -> Fates:
    """Draw the fates of one replication from its own streams (the warm-up's leads and the opening
    pipeline's deals from theirs)."""
    arrivals = draw_arrivals(scenario, seed, replication)
    n_before = arrivals.warmup + arrivals.opening
    offset_before = WARMUP if arrivals.warmup else OPENING
    blocks = [(0, n_before, offset_before), (n_before, len(arrivals), 0)] if n_before else [(0, len(arrivals), 0)]
    opening = _OpenDeals(scenario, arrivals.warmup) if arrivals.opening else None
    stages = scenario.stages
    entrants, converts, slack, held, sizes = [], [], [], [], []
    current = [np.arange(first, stop) for first, stop, _ in blocks]
    for k in range(len(stages)):
        p = np.array([scenario.conversion_of(k, t) for t in scenario.tiers])
        entrants.append(np.concatenate(current) if n_before else current[0])
        sizes.append([len(c) for c in current])  # each stage's entrants: the warm-up's (or opening's), then the year's
        parts_c, parts_s, parts_h = [], [], []
        for b, (_, _, offset) in enumerate(blocks):
            u = generator(seed, replication, offset + CONVERSION, k).random(len(current[b]))
            p_lead = p[0] if len(p) == 1 else p[arrivals.tier[current[b]]]
            status = opening.status(current[b], k) if offset == OPENING else np.zeros(len(u), dtype=np.int8)
            if offset == OPENING:
                p_lead = opening.conversion(current[b], status, p_lead)
            converted = u < p_lead
            converted |= status == _PASSING
            parts_c.append(converted)
            parts_h.append(status)
            if stages[k].decay_half_life_days is not None:
                with np.errstate(divide="ignore", over="ignore"):  # a conversion of 0 (or next to it): never (inf)
                    parts_s.append(np.where(status == _PASSING, 0.0, u / p_lead))
            current[b] = compress(current[b], converted)
        converts.append(np.concatenate(parts_c))
        held.append(np.concatenate(parts_h))
        slack.append(np.concatenate(parts_s) if parts_s else np.zeros(len(converts[-1])))
    offsets = np.zeros(len(entrants) + 1, dtype=np.int64)
    np.cumsum([len(e) for e in entrants], out=offsets[1:])
    held_all, entrants_all = np.concatenate(held), np.concatenate(entrants)
    work, wait, patience = np.empty(offsets[-1]), np.zeros(offsets[-1]), np.full(offsets[-1], np.inf)
    for k, stage in enumerate(stages):
        first = offsets[k]
        for b, (_, _, offset) in enumerate(blocks):
            part = slice(first, first + sizes[k][b])
            stage.work_days.fill(generator(seed, replication, offset + WORK, k), work[part])
            if stage.wait_days is not None:
                stage.wait_days.fill(generator(seed, replication, offset + WAIT, k), wait[part])
            if stage.patience_days is not None:
                stage.patience_days.fill(generator(seed, replication, offset + PATIENCE, k), patience[part])
            if offset == OPENING:
                opening.hold(
                    entrants_all[part],
                    held_all[part],
                    k,
                    work[part],
                    wait[part],
                    patience[part],
                    generator(seed, replication, offset + WAIT, k),
                )
            first += sizes[k][b]

    value = np.full(len(arrivals), np.nan)
    collection = np.full(len(arrivals), np.inf)
    for b, (_, _, offset) in enumerate(blocks):
        won = current[b]
        won_tiers = arrivals.tier[won]
        rng = generator(seed, replication, offset + VALUE)
        for t in range(len(scenario.tiers)):  # one stream; tiers drawn in a fixed order
            chosen = won[won_tiers == t]
            value[chosen] = scenario.deal_value_for(scenario.tiers[t]).sample(rng, len(chosen))
        if offset == OPENING:
            opening.known_values(won, value)
        rng = generator(seed, replication, offset + COLLECTION)
        days = scenario.collection_days.sample(rng, len(won)) if scenario.collection_days else np.zeros(len(won))
        paid = rng.random(len(won)) >= scenario.bad_debt
        collection[won] = np.where(paid, days, np.inf)

    first_day = -warmup_days(scenario)
    calendars = team_calendars(scenario, first_day, scenario.horizon_days)
    half_life = np.array([s.decay_half_life_days or np.inf for s in stages])
    team_of_stage, team_of_tier, level_of_tier, team_levels = routes_and_levels(scenario)
    return Fates(
        replication,
        arrivals,
        offsets,
        entrants_all,
        np.concatenate(converts),
        work,
        wait,
        value,
        collection,
        draw_rosters(scenario, seed, replication, calendars),
        team_of_stage,
        team_of_tier,
        level_of_tier,
        team_levels,
        patience,
        np.concatenate(slack),
        half_life,
        calendars,
        first_day,
        held_all if arrivals.opening else None,
    )


_PASSING, _AT_ITS_STAGE = 1, 2  # an opening deal at a stage before its own, at its own (Fates.held_all)


class _OpenDeals:
    """The deals of ``opening.pipeline`` (leads ``first`` on): each deal's stage, age, known value and
    chance to convert."""

    def __init__(self, scenario: Scenario, first: int):
        deals = scenario.opening.pipeline
        counts = [deal.count for deal in deals]
        names = [stage.name for stage in scenario.stages]
        self.first = first
        self.stages = scenario.stages
        self.stage = np.repeat([names.index(deal.stage) for deal in deals], counts)
        self.age = np.repeat([deal.age_days for deal in deals], counts)
        self.value = np.repeat([np.nan if deal.value is None else deal.value for deal in deals], counts)
        self.p = np.repeat([np.nan if deal.conversion is None else deal.conversion for deal in deals], counts)

    def conversion(self, leads: np.ndarray, status: np.ndarray, p: np.ndarray | float) -> np.ndarray:
        """The leads' chances to convert: a deal's own (``conversion``) at its stage where the pipeline gives
        one, else ``p``."""
        own = np.where(status == _AT_ITS_STAGE, self.p[leads - self.first], np.nan)
        return np.where(np.isnan(own), p, own)

    def status(self, leads: np.ndarray, k: int) -> np.ndarray:
        """Per lead: passing stage ``k`` (before its own), at its own stage, or past it (0)."""
        own = self.stage[leads - self.first]
        return np.where(own > k, _PASSING, np.where(own == k, _AT_ITS_STAGE, 0)).astype(np.int8)

    def hold(self, leads, status, k, work, wait, patience, rng) -> None:
        """Stage ``k``'s draws of the deals, changed where they stand: a stage before a deal's own takes no
        time; at its own stage a deal does not go cold, and what is left of its customer-side time
        follows its age (:func:`sim.model.opening.remaining`, drawn after the stage's own draws)."""
        passing = status == _PASSING
        work[passing] = wait[passing] = 0.0
        patience[status > 0] = np.inf
        at = np.flatnonzero(status == _AT_ITS_STAGE)
        if self.stages[k].wait_days is None or len(at) == 0:
            return
        ages = self.age[leads[at] - self.first]
        for age in np.unique(ages):  # in order of age: one stream, a fixed order
            same = at[ages == age]
            wait[same] = remaining(self.stages[k].wait_days, float(age), rng, len(same))

    def known_values(self, won: np.ndarray, value: np.ndarray) -> None:
        """Deals won whose value the pipeline gives keep it."""
        known = self.value[won - self.first]
        value[won[~np.isnan(known)]] = known[~np.isnan(known)]


def routes_and_levels(scenario: Scenario) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each stage's own team; by stage and tier, the team that works a lead and the priority level it
    waits at there; and each team's number of priority levels."""
    names = [t.name for t in scenario.teams]
    team_of_stage = np.array([names.index(s.team) for s in scenario.stages], dtype=np.int64)
    team_levels = np.array([len(t.priority) + 1 if t.priority else 1 for t in scenario.teams], dtype=np.int64)
    # rank[team, tier]: the level of a lead of that tier in that team's queue
    rank = np.array(
        [
            [t.priority.index(tier) if tier in t.priority else len(t.priority) for tier in scenario.tiers]
            for t in scenario.teams
        ],
        dtype=np.int64,
    )
    team_of_tier = np.array(
        [[names.index(stage.team_for(tier)) for tier in scenario.tiers] for stage in scenario.stages], dtype=np.int64
    )
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
