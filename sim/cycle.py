"""The sales cycle in time: when a lead reaches each stage, when a rep starts on it, when it is won.

A plan in months must know *when* the leads bought in one month turn into work and revenue: a
lead bought in March of a two-month cycle brings its revenue in May. This module describes the
cycle by sampled paths, per customer tier, through the stages as the engines run them:

- at each stage a lead first waits for its team's next working day, then for a rep (an M/M/c wait at the team's load, when a load is
  given: waits with the Erlang C probability, then for an exponential time of mean
  ``work / (reps - load)``), then the rep works (working days, stretched to calendar days by the
  team's calendar), then the customer side takes its ``wait_days``;
- it moves on with the stage's conversion (team skill included), lowered by going cold: a lead
  whose patience runs out before a rep starts is lost, and conversion decays with the wait.

Paths are weighted, not cut: each carries the probability of being still in the funnel, so every
sampled path contributes to every stage. :meth:`Cycle.monthly` turns the paths into the expected
number of events in each month per lead bought in each month (or any day intervals). The
samples come from their own stream (:data:`sim.streams.CYCLE`), so the same scenario always gives
the same cycle. Simplifications, named: a lead reaches a team at a random moment of the year
(its wait for the next working day is drawn accordingly); queue waits use the year's average load.

Examples
--------
>>> import sim
>>> w1 = sim.load("benchmarks/w1.yaml")
>>> cycle = sales_cycle(w1)
>>> round(float(cycle.win_probability() @ cycle.share), 4)   # 0.3 x 0.5 x 0.5 x 0.8 x 0.95
0.057
>>> within = cycle.monthly("won", arrivals=[(0, 31)], edges=[0, 31, 59, 90, 120, 151, 181])
>>> round(float(within.sum() / (cycle.win_probability() @ cycle.share)), 2)  # won within six months
1.0
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Callable, Literal, Mapping, Sequence

import numpy as np
from numpy.typing import ArrayLike

from sim.model.arrivals import daily_rates
from sim.queueing import erlang_c
from sim.scenario import Scenario
from sim.streams import CYCLE, generator
from sim.worktime import working_days

__all__ = ["Queue", "Cycle", "sales_cycle", "lead_mix", "calendar_stretch", "calendar_wait"]

Event = Literal["enter", "start", "won"]


@dataclass(frozen=True)
class Queue:
    """A team's queue for planning: ``reps`` productive reps, ``load`` reps' worth of work arriving and
    ``work_days`` the mean rep time per lead it works."""

    reps: float
    load: float
    work_days: float


@dataclass(frozen=True)
class Cycle:
    """Sampled paths through the funnel, per tier (see the module docs).

    ``share`` is each tier's share of leads, ``value`` its mean deal value. For tier ``t``, path ``n``
    and stage ``k``: ``enter[t, n, k]`` is the days from the lead's arrival to its entering stage
    ``k`` (``k = stages``: won), ``start[t, n, k]`` to a rep starting its work there, ``reach[t, n, k]``
    the probability that it gets that far. ``team[t, k]`` is the team (index) working stage ``k``
    for tier ``t`` and ``work[t, k]`` the rep days that takes, on average.
    """

    share: np.ndarray
    value: np.ndarray
    enter: np.ndarray
    start: np.ndarray
    reach: np.ndarray
    team: np.ndarray
    work: np.ndarray

    def win_probability(self) -> np.ndarray:
        """Per tier, the probability that a lead is won."""
        return self.reach[:, :, -1].mean(axis=1)

    def monthly(
        self,
        event: Event,
        arrivals: Sequence[tuple[float, float]],
        edges: Sequence[float],
        stage: int | None = None,
        weights: np.ndarray | None = None,
    ) -> np.ndarray:
        """Expected events in each interval ``[edges[i], edges[i + 1])`` per lead arriving evenly over each
        interval of ``arrivals`` (days from day 0), a ``(len(edges) - 1, len(arrivals))`` matrix.

        ``event`` is ``"enter"`` or ``"start"`` of ``stage`` (index), or ``"won"``. Each path counts
        with its probability of getting there, times ``weights[t, k]`` when given (e.g. deal value
        per tier: the matrix is then revenue), times the tier's share of leads.
        """
        times = {"enter": self.enter, "start": self.start, "won": self.enter}[event]
        k = self.enter.shape[2] - 1 if event == "won" else stage
        w = self.share[:, None] * self.reach[:, :, k]
        if weights is not None:
            w = w * np.asarray(weights)[:, None]
        offsets = times[:, :, k].ravel()
        mass = w.ravel() / self.reach.shape[1]
        days = np.floor(offsets)
        top = int(days.max(initial=0)) + 1
        pmf = np.bincount(days.astype(np.int64), weights=mass, minlength=top)  # events by whole day of delay
        delay = np.arange(top) + 0.5  # each day's mass at its middle
        lo = np.array([a for a, _ in arrivals], dtype=float)
        hi = np.array([b for _, b in arrivals], dtype=float)
        edges = np.asarray(edges, dtype=float)
        # Expected arrivals in [lo, hi) whose event falls before x, per unit of arrival density: for a
        # delay d, the part of [lo, hi) below x - d.
        below = (
            np.clip(edges[:, None, None] - delay[None, None, :], lo[None, :, None], hi[None, :, None])
            - lo[None, :, None]
        )
        before = (below * pmf).sum(axis=2) / (hi - lo)[None, :]
        return np.diff(before, axis=0)

    def from_stage(
        self,
        event: Event,
        tier: int,
        entry: int,
        edges: Sequence[float],
        stage: int | None = None,
        weight: ArrayLike = 1.0,
        conversion: ArrayLike = np.nan,
        age: ArrayLike = 0.0,
    ) -> np.ndarray:
        """Expected events in each interval ``[edges[i], edges[i + 1])`` for deals of ``tier`` that stand at
        stage ``entry`` on day 0 (listed opening deals), summed over the deals: the paths that reach
        ``entry``, from there on.

        ``event`` is as in :meth:`monthly` (stages before ``entry`` are behind the deals: none). Per deal
        (or one value for all): ``weight`` multiplies its count (e.g. its value for ``"won"``);
        ``conversion``, unless NaN, replaces its chance of passing ``entry``; a deal ``age`` days into
        its stage continues on the paths whose time in the stage is longer than that, less the age
        (the engines condition the customer-side time alone; the rep's start at ``entry`` is counted
        from day 0, as there).

        >>> import sim
        >>> cycle = sales_cycle(sim.load("playbooks/b2b_saas.yaml"))  # tier A, at the proposal stage:
        >>> new = cycle.from_stage("won", 0, 2, [0, 30, 365])
        >>> aged = cycle.from_stage("won", 0, 2, [0, 30, 365], age=20.0)
        >>> bool(aged[0] > new[0])  # a deal already 20 days into its stage closes sooner
        True
        >>> bool(np.allclose(cycle.from_stage("won", 0, 2, [0, 30, 365], age=[0.0, 20.0]), new + aged))
        True
        """
        edges = np.asarray(edges, dtype=float)
        times = {"enter": self.enter, "start": self.start, "won": self.enter}[event]
        k = self.enter.shape[2] - 1 if event == "won" else stage
        if k < entry:
            return np.zeros(len(edges) - 1)
        weight, conversion, age = np.broadcast_arrays(
            *(np.atleast_1d(np.asarray(v, dtype=float)) for v in (weight, conversion, age))
        )
        offsets = times[tier, :, k] - self.enter[tier, :, entry]
        reached, arrived = self.reach[tier, :, entry], self.reach[tier, :, k]
        if k == entry:  # nothing to condition: every deal spreads alike
            return _binned(offsets, edges, arrived / max(reached.sum(), 1e-300) * weight.sum())
        # An aged deal keeps the paths longer in the stage than its age, shifted back by it (a kept path's
        # offset is at least its time in the stage, so never negative). With the paths in order of offset,
        # the events before ``x`` are a prefix sum up to ``x + age``: no sort or histogram per deal.
        order = np.argsort(offsets, kind="stable")
        offsets, reached, arrived = offsets[order], reached[order], arrived[order]
        in_stage = (self.enter[tier, :, entry + 1] - self.enter[tier, :, entry])[order]
        passing = self.reach[tier, order, entry + 1]
        total = np.zeros(len(edges))
        for lo in range(0, len(weight), _DEALS_AT_ONCE):  # bounded memory: deals x paths at a time
            w, c, a = (v[lo : lo + _DEALS_AT_ONCE, None] for v in (weight, conversion, age))
            longer = in_stage > a
            aged = (a > 0) & ((reached * longer).sum(axis=1, keepdims=True) > 0)  # else no sampled path lasts
            keep = np.where(aged, longer, True)  # so long: it goes on as new
            share = np.maximum((keep * reached).sum(axis=1, keepdims=True), 1e-300)
            scale = w / share
            passed = (keep * passing).sum(axis=1, keepdims=True) / share
            scale = scale * np.where(np.isnan(c), 1.0, np.divide(c, passed, out=np.zeros_like(c), where=passed > 0))
            before = np.concatenate([np.zeros((len(w), 1)), np.cumsum(keep * arrived, axis=1)], axis=1)
            shift = np.where(aged, a, 0.0)
            at = np.searchsorted(offsets, edges + shift, side="left")
            at[:, -1] = np.searchsorted(offsets, edges[-1] + shift[:, 0], side="right")  # the last bin is closed
            total += (np.take_along_axis(before, at, axis=1) * scale).sum(axis=0)
        return np.diff(total)


_DEALS_AT_ONCE = 64


def _binned(x: np.ndarray, edges: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """``np.histogram(x, edges, weights=weights)[0]`` (last bin closed) by searching the few edges
    rather than sorting the many values."""
    bins = np.searchsorted(edges, x, side="right") - 1
    bins[x == edges[-1]] = len(edges) - 2
    inside = (bins >= 0) & (bins < len(edges) - 1)
    return np.bincount(bins[inside], weights=weights[inside], minlength=len(edges) - 1)


def lead_mix(scenario: Scenario) -> tuple[np.ndarray, np.ndarray]:
    """Per channel its share of the year's leads, and per channel and tier the tier's share of its leads."""
    tiers = scenario.tiers
    volume = np.array([daily_rates(c, scenario).sum() for c in scenario.channels])
    if volume.sum() <= 0:
        raise ValueError("the scenario brings no leads: cannot plan from its rates")
    mix = np.array([[(c.tiers or {tiers[0]: 1.0}).get(t, 0.0) for t in tiers] for c in scenario.channels])
    return volume / volume.sum(), mix


def calendar_stretch(scenario: Scenario, team: int) -> float:
    """Calendar days per working day of team ``team`` over the horizon's first year (1 without a calendar)."""
    calendar = scenario.calendar_of(team)
    if calendar is None:
        return 1.0
    days = min(max(scenario.horizon_days, 365), 3 * 365)
    worked = int(working_days(calendar, scenario.start_date or dt.date(2027, 1, 1), 0, days).sum())
    return days / max(worked, 1)


def calendar_wait(
    scenario: Scenario, team: int, queue: Queue | None = None
) -> Callable[[np.random.Generator, int], np.ndarray]:
    """A sampler of the days a lead reaching team ``team`` at a random moment of the year waits for its
    calendar: for the next working day (a lead that comes in on Friday evening is first called on
    Monday), then, with a ``queue``, for the work that piled up while nobody worked (the weekend's
    leads) to be cleared. The waits over the year are worked out once; each call draws ``samples``.

    The pile-up is a fluid queue: work arrives evenly in calendar time (``queue.load`` reps' worth a
    working day, spread over every day) and ``queue.reps`` clear it on working days only.
    """
    calendar = scenario.calendar_of(team)
    flags = (
        None if calendar is None else working_days(calendar, scenario.start_date or dt.date(2027, 1, 1), 0, 365 + 60)
    )
    if flags is None or not flags.any():
        return lambda rng, samples: np.zeros(samples)
    steps = 20  # grid points a day
    works = np.repeat(flags, steps)
    grid = np.arange(len(works)) / steps
    following = np.minimum.accumulate(np.where(works, grid, np.inf)[::-1])[::-1]  # next working moment
    ahead = np.zeros(len(works))  # rep days of work waiting at each moment
    if queue is not None and queue.reps > 0 and queue.load > 0:
        inflow = queue.load * flags[:365].mean() / steps
        outflow = queue.reps / steps
        pile = 0.0
        for i, working in enumerate(works):
            ahead[i] = pile
            pile = max(0.0, pile + inflow - (outflow if working else 0.0))
    cleared = ahead / queue.reps if queue is not None and queue.reps > 0 else ahead  # within the working day

    def draw(rng: np.random.Generator, samples: int) -> np.ndarray:
        at = rng.random(samples) * 365
        i = np.minimum((at * steps).astype(np.int64), len(works) - 1)
        return np.maximum(following[i], at) - at + cleared[i]

    return draw


def sales_cycle(scenario: Scenario, queues: Mapping[str, Queue] | None = None, samples: int = 20_000) -> Cycle:
    """Sample ``samples`` paths per tier through the scenario's funnel (see the module docs).

    ``queues`` gives, per team name, its planned reps and load; teams not in it (and every team
    without ``queues``) start each lead at once.
    """
    tiers = scenario.tiers
    stages = scenario.stages
    teams = [t.name for t in scenario.teams]
    channel_share, mix = lead_mix(scenario)
    stretch = [calendar_stretch(scenario, i) for i in range(len(teams))]
    enter = np.zeros((len(tiers), samples, len(stages) + 1))
    start = np.zeros((len(tiers), samples, len(stages)))
    reach = np.ones((len(tiers), samples, len(stages) + 1))
    team = np.zeros((len(tiers), len(stages)), dtype=np.int64)
    work = np.zeros((len(tiers), len(stages)))
    waits_of_team: dict[int, Callable[[np.random.Generator, int], np.ndarray]] = {}
    for t, tier in enumerate(tiers):
        for k, stage in enumerate(stages):
            rng = generator(0, t, CYCLE, k)
            name = stage.team_for(tier)
            i = teams.index(name)
            team[t, k], work[t, k] = i, stage.work_days.mean
            queue = (queues or {}).get(name)
            if i not in waits_of_team:
                waits_of_team[i] = calendar_wait(scenario, i, queue)
            wait = waits_of_team[i](rng, samples)
            if queue is not None and queue.reps > 0 and queue.load > 0 and queue.work_days > 0:
                spare = queue.reps - queue.load
                waits = erlang_c(queue.load / queue.work_days, queue.work_days, max(1, round(queue.reps)))
                mean = queue.work_days / max(spare, 0.05 * queue.reps)  # an overloaded team: long, not endless, waits
                wait += np.where(rng.random(samples) < waits, rng.exponential(mean * stretch[i], samples), 0.0)
            convert = scenario.conversion_of(k, tier)
            keep = np.full(samples, convert)
            if stage.patience_days is not None:
                keep *= stage.patience_days.sample(rng, samples) > wait
            if stage.decay_half_life_days is not None:
                keep *= 0.5 ** (wait / stage.decay_half_life_days)
            start[t, :, k] = enter[t, :, k] + wait
            done = start[t, :, k] + stage.work_days.sample(rng, samples) * stretch[i]
            if stage.wait_days is not None:
                done += stage.wait_days.sample(rng, samples)
            enter[t, :, k + 1] = done
            reach[t, :, k + 1] = reach[t, :, k] * keep
    value = np.array([scenario.deal_value_for(t).mean for t in tiers])
    return Cycle(share=channel_share @ mix, value=value, enter=enter, start=start, reach=reach, team=team, work=work)
