"""The fast engine: the reference model compiled with numba, lead for lead the same as ``des``.

The reference engine spends its time in SimPy's generic event machinery. This engine runs
the same model -- per team a FIFO pool of identified reps handed out longest-idle first,
a queue of waiting leads across all the stages the team works (first come, first served, or by
tier when the team has a ``priority``), work slowed by a new
rep's ramp-up, customer-side waits, reps joining on their start day and leaving on their
end day (after the job in hand) -- as one compiled event loop over flat arrays, fed by the
same :class:`~sim.model.fates.Fates`. Given the same seed it produces the same timelines as
``des``, lead for lead (to rounding: SimPy's clock adds delays, so a time may differ in the
last bit), wherever no two events fall on the same instant; at exactly equal times both
engines serve first come, first served, but simultaneous events of different kinds may be
taken in another order. It approximates nothing.

Examples
--------
>>> import numpy as np
>>> from sim.scenario import load
>>> from sim.engine import des
>>> scenario = load("benchmarks/w1.yaml").replace({"horizon_days": 5})
>>> a, b = run_replication(scenario, 1, 0), des.run_replication(scenario, 1, 0)
>>> bool(np.allclose(a.end_all, b.end_all, rtol=1e-12, equal_nan=True))
True
"""

from __future__ import annotations

from typing import NamedTuple

import numba
import numpy as np

from sim.model.arrivals import arrival_order
from sim.model.fates import Fates, by_stage, compress, draw_fates
from sim.model.staffing import ramp_productivity
from sim.model.timeline import Timeline, converted
from sim.scenario import Scenario
from sim.worktime import end_at, start_at, to_work

__all__ = ["run_replication", "simulate_fates", "Stages", "Staff", "Queues", "Times"]


class Stages(NamedTuple):
    """Every stage's entrants for the compiled kernels, flat: stage ``k``'s are ``offsets[k]:offsets[k + 1]``
    (:class:`~sim.model.fates.Fates`), with the per-stage arrays the kernels read beside them."""

    offsets: np.ndarray  # per stage and one more: where each stage's entrants begin
    work: np.ndarray  # per entrant: rep work, days at full pace
    wait: np.ndarray  # per entrant: customer-side days after the work
    converts: np.ndarray  # per entrant: its fate converts
    patience: np.ndarray  # per entrant: days it waits for a rep before going cold
    slack: np.ndarray  # per entrant: its conversion draw over its probability (decay)
    held: np.ndarray  # per entrant: 1 an opening deal passing a stage before its own
    team_of_stage: np.ndarray  # per stage: its own team
    half_life: np.ndarray  # per stage: the half-life of conversion in waiting (inf: none)


class Staff(NamedTuple):
    """Every team's reps, flat: team ``t``'s are ``offsets[t]:offsets[t + 1]``, in roster order."""

    offsets: np.ndarray
    start: np.ndarray  # per rep: the day they join
    end: np.ndarray  # per rep: the day they leave (inf: never)
    seasoned: np.ndarray  # per rep: at full pace from the start
    ramp_days: np.ndarray  # per team
    initial_productivity: np.ndarray  # per team


class Queues(NamedTuple):
    """How the event loop routes entrants: where each goes next and the lane it waits in (one lane per
    team and priority level, a team's lanes in priority order)."""

    next_index: np.ndarray  # per entrant: its position among the next stage's entrants
    team: np.ndarray  # per entrant: the team that works it
    lane: np.ndarray  # per entrant: the lane it waits in
    team_lanes: np.ndarray  # per team and one more: its first lane
    lane_offsets: np.ndarray  # per lane and one more: its slots in the ring buffer of waiting leads


class Times(NamedTuple):
    """The timeline's arrays the kernels fill, per entrant (flat like :class:`Stages`)."""

    arrive: np.ndarray
    start: np.ndarray
    end_work: np.ndarray
    end: np.ndarray
    rep: np.ndarray  # the rep's number in its team; -1 none


_WORK_DONE, _WAIT_DONE, _REP_JOINS, _REP_LEAVES = 0, 1, 2, 3

# In the stage-by-stage path, a team of at most this many reps keeps its pool in a sorted array,
# a larger one in a heap. Putting a rep back into a sorted array shifts the reps free before
# it -- about half a small team, in a loop whose branches the processor predicts -- where a heap
# takes log2(team) unpredictable branches, so the sorted array wins for W1's teams of 15 to 40 reps;
# the two are even somewhere between 80 and 160 reps.
_SORTED_UP_TO = 64


def run_replication(scenario: Scenario, seed: int, replication: int, reps: bool = True) -> Timeline:
    """Simulate replication ``replication`` of a run seeded ``seed``; ``reps=False``: see :func:`simulate_fates`."""
    return simulate_fates(draw_fates(scenario, seed, replication), scenario.horizon_days, reps)


def simulate_fates(fates: Fates, horizon: float, reps: bool = True) -> Timeline:
    """Play out the given fates through the teams' queues until the horizon.

    Stages from the first that are each worked by a team of their own (no other stage, no routed
    tiers, no priority) are FIFO multi-server queues computed one after the other, in order of
    arrival, over the reps' free times (a sorted array for teams of up to 64 reps, a heap beyond).
    From the first stage whose team works other stages too, teams interleave stages in time, and
    the general event loop runs the rest, fed with that stage's arrivals. On W1 every stage is
    computed on its own; on b2b_saas the SDRs' qualification is, then the loop runs.

    ``reps=False`` does not record which rep worked each lead (``Timeline.rep`` is ``None``; the
    times are the same). A team whose reps are interchangeable -- none ramping up, none leaving
    before the horizon -- then serves its stage by free times alone, several times faster than by
    named reps.
    """
    rosters = fates.rosters
    stages = Stages(
        fates.offsets,
        fates.work_all,
        fates.wait_all,
        fates.converts_all,
        fates.patience_all,
        fates.slack_all,
        fates.held_all,
        fates.team_of_stage,
        fates.half_life,
    )
    staff = Staff(
        np.r_[0, np.cumsum([len(r) for r in rosters])].astype(np.int64),
        np.concatenate([r.start for r in rosters]),
        np.concatenate([r.end for r in rosters]),
        np.concatenate([r.seasoned for r in rosters]),
        np.array([r.ramp_days for r in rosters], dtype=np.float64),
        np.array([r.initial_productivity for r in rosters], dtype=np.float64),
    )
    calendars = fates.calendar_arrays
    alone = _leading_stages_alone(fates)
    times, order = _by_stage(fates, stages, staff, calendars, reps, horizon, alone)
    if alone < len(fates.offsets) - 1:
        team_lanes = np.r_[0, np.cumsum(fates.team_levels)].astype(np.int64)
        lane_of = team_lanes[fates.team_all] + fates.levels_all
        lane_offsets = np.r_[0, np.cumsum(np.bincount(lane_of, minlength=team_lanes[-1]))].astype(np.int64)
        queues = Queues(np.concatenate(fates.next_index), fates.team_all, lane_of, team_lanes, lane_offsets)
        _simulate(alone, order, times, stages, staff, queues, float(horizon), float(fates.first_day), calendars)
    return Timeline(fates, horizon, times.arrive, times.start, times.end_work, times.end, times.rep if reps else None)


def _leading_stages_alone(fates: Fates) -> int:
    """How many stages, from the first, are each worked by a team that works no other stage, takes no
    routed tiers and serves first come, first served."""
    teams = fates.team_of_tier  # by stage and tier
    for k, team in enumerate(fates.team_of_stage):
        if fates.routed[k] or fates.team_levels[team] > 1 or (teams == team).sum() > teams.shape[1]:
            return k
    return len(fates.team_of_stage)


# ----------------------------------------------------------------------------- one stage at a time


def _by_stage(
    fates: Fates, stages: Stages, staff: Staff, calendars: tuple, reps: bool, horizon: float, alone: int
) -> tuple[Times, np.ndarray]:
    """Serve the first ``stages`` stages, each worked by a team of its own, one after the other: each
    is a FIFO queue served by the longest-idle free rep.

    Each team's reps wait in a pool kept in order of (free time, rep number) -- a sorted array for
    a small team, a heap for a large one: either hands out the same rep. When reps need not be
    named and are interchangeable, a small team's pool is its sorted free times alone.

    A team with a working calendar serves its queue in working time (:mod:`sim.worktime`); a lead
    whose start would come after its patience ran out goes cold and takes no rep.

    Returns the timeline's arrays (the later stages' times NaN and reps -1, but for the arrival times
    of stage ``alone``) and the positions of that stage's entrants in order of arrival.
    """
    offsets, converts = stages.offsets, stages.converts
    total, rest = offsets[-1], offsets[alone]
    arrive, start, end_work, end = (np.empty(total) for _ in range(4))
    rep_of = np.empty(total, dtype=np.int32)
    for times in (arrive, start, end_work, end):
        times[rest:] = np.nan
    rep_of[rest:] = -1
    times = Times(arrive, start, end_work, end, rep_of)
    arrive[offsets[0] : offsets[1]] = fates.arrivals.time
    order = fates.entrants[0]  # every lead, numbered in order of arrival
    patience = by_stage(fates.patience_all, offsets)
    impatient = [bool(np.isfinite(p).any()) for p in patience]
    for k in range(min(alone + 1, len(offsets) - 1)):
        first, stop = offsets[k], offsets[k + 1]
        if k > 0:  # the converters of stage k-1 arrive as they leave it, in lead order
            before = slice(offsets[k - 1], first)
            leaving = end[before]
            if impatient[k - 1] or np.isfinite(fates.half_life[k - 1]):  # only those a wait left in the running
                moved_on = converted(
                    np.array([0, first - offsets[k - 1]]),
                    converts[before],
                    fates.slack_all[before],
                    fates.half_life[k - 1 : k],
                    arrive[before],
                    start[before],
                )
                leaving = np.where(moved_on, leaving, np.inf)
            arrive[first:stop] = compress(leaving, converts[before])
            order = arrival_order(arrive[first:stop])
        if k == alone:  # the event loop's first stage
            break
        if not fates.arrivals.opening:
            _serve_alone(k, order, times, stages, staff, calendars, reps, horizon)
            continue
        passing = first + np.flatnonzero(fates.held_all[first:stop] == 1)  # opening deals before their own stage
        _serve_alone(k, order[fates.held_all[first + order] != 1], times, stages, staff, calendars, reps, horizon)
        start[passing] = end_work[passing] = end[passing] = arrive[passing]  # passed at once, by no rep
        rep_of[passing] = -1
    return times, order


def _serve_alone(
    k: int, order: np.ndarray, times: Times, stages: Stages, staff: Staff, calendars: tuple, reps: bool, horizon: float
) -> None:
    """Serve stage ``k``, worked by a team of its own, to the leads in ``order`` of arrival (see
    :func:`_by_stage`)."""
    first, stop = stages.offsets[k], stages.offsets[k + 1]
    impatient = bool(np.isfinite(stages.patience[first:stop]).any())
    team = stages.team_of_stage[k]
    roster = slice(staff.offsets[team], staff.offsets[team + 1])
    small = roster.stop - roster.start <= _SORTED_UP_TO
    interchangeable = (staff.ramp_days[team] <= 0 or staff.seasoned[roster].all()) and (
        staff.end[roster] >= horizon
    ).all()
    if small and not reps and interchangeable and impatient:
        free = np.append(np.sort(_to_working_time(staff.start[roster], team, calendars)), np.inf)
        _serve_impatient_by_free_times(k, order, times, stages, free, team, calendars)
        return
    if small and not reps and interchangeable:
        if calendars[4][team]:
            free = np.append(np.sort(staff.start[roster]), (np.inf, np.inf))
            _serve_stage_by_free_times(k, order, times, stages, free)
        else:  # the same pass in the team's working time, then the times mapped back to the calendar
            on_calendar = times.arrive[first:stop].copy()
            times.arrive[first:stop] = _to_working_time(on_calendar, team, calendars)
            free = np.append(np.sort(_to_working_time(staff.start[roster], team, calendars)), (np.inf, np.inf))
            _serve_stage_by_free_times(k, order, times, stages, free)
            times.arrive[first:stop] = on_calendar
            _to_calendar(k, times, stages, team, calendars)
        return
    _serve_stage(k, order, times, stages, staff, calendars, small)


@numba.njit(cache=True)
def _serve_stage(k, order, times, stages, staff, calendars, sorted_pool):
    """Serve stage ``k``'s leads in ``order`` of arrival: FIFO, the longest-idle free rep first.

    The pool is kept in the team's working time (calendar time for a team without a calendar); a
    lead whose start would come after ``patience`` goes cold (``end`` when it ran out, no start).
    The pool is kept sorted (``sorted_pool``) or as a heap: :func:`_replace_first`. A flag rather than the
    function itself: numba cannot find a function that takes another in its cache in a new process,
    so it would compile it again in every process (a page's kernel, each worker).
    """
    arrive, start, end_work, end, rep_of = times
    offsets, work, wait, patience = stages.offsets, stages.work, stages.wait, stages.patience
    rep_offsets, rep_start, rep_end, seasoned = staff.offsets, staff.start, staff.end, staff.seasoned
    ramp_days, initial_productivity = staff.ramp_days, staff.initial_productivity
    first_day, working, before, days, always = calendars
    first = offsets[k]
    team = stages.team_of_stage[k]
    base, n_reps = rep_offsets[team], rep_offsets[team + 1] - rep_offsets[team]
    # The pool of reps keyed by (the time they are free, rep number), the longest-idle free rep
    # first: sorted (also a valid heap) to begin with, and followed by a sentinel that sorts last.
    reps = np.empty(n_reps + 1, dtype=np.int64)
    free = np.empty(n_reps + 1)
    joined = np.empty(n_reps)  # in working time
    leaves = np.empty(n_reps)
    for r in range(n_reps):
        joined[r] = to_work(rep_start[base + r], team, first_day, working, before, days, always)
        leaves[r] = to_work(rep_end[base + r], team, first_day, working, before, days, always)
    reps[:n_reps] = np.argsort(rep_start[base : base + n_reps], kind="mergesort")
    free[:n_reps] = joined[reps[:n_reps]]
    free[n_reps], reps[n_reps] = np.inf, n_reps
    ramping = ramp_days[team] > 0.0
    size = n_reps
    for q in range(len(order)):
        i = first + order[q]
        a = arrive[i]
        at = to_work(a, team, first_day, working, before, days, always)
        while size > 0:
            r = reps[0]
            s = max(at, free[0])
            if s < leaves[r]:
                break
            size = _drop_first(free, reps, size, sorted_pool)  # the rep left before this job: gone from the pool
        if size == 0:  # nobody left to work the stage: the rest wait for ever, or until they go cold
            for q2 in range(q, len(order)):
                i2 = first + order[q2]
                start[i2] = end_work[i2] = np.inf
                end[i2] = arrive[i2] + patience[i2]
                rep_of[i2] = -1
            break
        begin = max(start_at(s, team, first_day, working, before, days, always), a)  # max: rounding
        if begin > a + patience[i]:  # cold before a rep could start it: the rep stays free
            start[i] = end_work[i] = np.inf
            end[i] = a + patience[i]
            rep_of[i] = -1
            continue
        duration = work[i]
        g = base + r
        if ramping and not seasoned[g]:
            duration /= ramp_productivity(s - joined[r], ramp_days[team], initial_productivity[team])
        done = s + duration
        start[i] = begin
        finish = max(end_at(done, team, first_day, working, before, days, always), begin)
        end_work[i] = finish
        end[i] = finish + wait[i]
        rep_of[i] = r
        if done < leaves[r]:
            _replace_first(free, reps, size, done, r, sorted_pool)
        else:  # leaves when the job in hand is done
            size = _drop_first(free, reps, size, sorted_pool)


@numba.njit(cache=True)
def _serve_stage_by_free_times(k, order, times, stages, free):
    """Serve stage ``k``'s leads in ``order`` of arrival, FIFO, by a team of interchangeable reps whose
    free times are ``free`` (sorted, then twice ``inf``): the times of :func:`_serve_stage` without
    naming reps.

    Leads are served two at a time. The first takes the first free time and frees a rep at ``d1``;
    the second takes the smaller of the second free time and ``d1``, and frees one at ``d2``. Then one
    pass without branches drops the two first free times and inserts ``d1`` and ``d2``: inserting ``x``
    into a sorted array puts ``max(a[j - 1], min(a[j], x))`` in slot ``j``, so slot ``j`` of the result
    is slot ``j + 2`` once ``d1``, then ``d2``, are in. The compiler vectorises the pass, no
    unpredictable branch ends it, and each pass serves two leads, which beats both one lead a pass
    and named reps. (A lone last lead needs no pass.)
    """
    arrive, start, end_work, end = times.arrive, times.start, times.end_work, times.end
    work, wait = stages.work, stages.wait
    first = stages.offsets[k]
    slots = len(free) - 2
    n = len(order)
    for q in range(0, n - 1, 2):
        i1, i2 = first + order[q], first + order[q + 1]
        s1 = max(arrive[i1], free[0])
        d1 = s1 + work[i1]
        s2 = max(arrive[i2], min(free[1], d1))
        d2 = s2 + work[i2]
        start[i1], end_work[i1], end[i1] = s1, d1, d1 + wait[i1]
        start[i2], end_work[i2], end[i2] = s2, d2, d2 + wait[i2]
        for j in range(slots):
            with_d1 = max(free[j], min(free[j + 1], d1))  # slots j + 1 and j + 2 once d1 is in
            next_with_d1 = max(free[j + 1], min(free[j + 2], d1))
            free[j] = max(with_d1, min(next_with_d1, d2))
    if n % 2:
        i = first + order[n - 1]
        s = max(arrive[i], free[0])
        start[i], end_work[i], end[i] = s, s + work[i], s + work[i] + wait[i]


@numba.njit(cache=True)
def _serve_impatient_by_free_times(k, order, times, stages, free, team, calendars):
    """Serve stage ``k``'s leads in ``order`` of arrival, FIFO, by interchangeable reps whose free times on
    the team's working clock are ``free`` (sorted, then ``inf``), leads going cold when their start would
    come after their patience: the times of :func:`_serve_stage` without naming reps, one lead a pass
    (a lead gone cold leaves the free times as they were)."""
    arrive, start, end_work, end = times.arrive, times.start, times.end_work, times.end
    work, wait, patience = stages.work, stages.wait, stages.patience
    first_day, working, before, days, always = calendars
    first = stages.offsets[k]
    slots = len(free) - 1
    for q in range(len(order)):
        i = first + order[q]
        a = arrive[i]
        s = max(to_work(a, team, first_day, working, before, days, always), free[0])
        begin = max(start_at(s, team, first_day, working, before, days, always), a)
        if begin > a + patience[i]:
            start[i] = end_work[i] = np.inf
            end[i] = a + patience[i]
            continue
        done = s + work[i]
        finish = max(end_at(done, team, first_day, working, before, days, always), begin)
        start[i], end_work[i], end[i] = begin, finish, finish + wait[i]
        j = 0  # the first free time is taken: the others move up until ``done`` fits
        while j + 1 < slots and free[j + 1] < done:
            free[j] = free[j + 1]
            j += 1
        free[j] = done


@numba.njit(cache=True)
def _to_working_time(times, team, calendars):
    """``times`` on ``team``'s working clock."""
    first_day, working, before, days, always = calendars
    out = np.empty(len(times))
    for i in range(len(times)):
        out[i] = to_work(times[i], team, first_day, working, before, days, always)
    return out


@numba.njit(cache=True)
def _to_calendar(k, times, stages, team, calendars):
    """Map the starts and ends of work of stage ``k``'s leads, computed on ``team``'s working clock, back
    to calendar time, as :func:`_serve_stage` does (customer-side waits run on the calendar)."""
    arrive, start, end_work, end = times.arrive, times.start, times.end_work, times.end
    wait = stages.wait
    first_day, working, before, days, always = calendars
    for i in range(stages.offsets[k], stages.offsets[k + 1]):
        begin = max(start_at(start[i], team, first_day, working, before, days, always), arrive[i])
        finish = max(end_at(end_work[i], team, first_day, working, before, days, always), begin)
        start[i], end_work[i], end[i] = begin, finish, finish + wait[i]


@numba.njit(cache=True)
def _drop_first(free, reps, size, sorted_pool):
    """Take the first rep out of the pool of ``size`` (rare: not inlined, which keeps the hot loop
    tight); return the new size."""
    size -= 1
    _replace_first(free, reps, size, free[size], reps[size], sorted_pool)
    free[size], reps[size] = np.inf, len(reps) - 1  # the sentinel moves up
    return size


@numba.njit(cache=True, inline="always")
def _replace_first(free, reps, size, time, rep, sorted_pool):
    """Put rep ``rep``, free at ``time``, in place of the first of the pool (sorted or a heap)."""
    if sorted_pool:
        _replace_first_sorted(free, reps, size, time, rep)
    else:
        _replace_first_heap(free, reps, size, time, rep)


@numba.njit(cache=True, inline="always")
def _replace_first_sorted(free, reps, size, time, rep):
    """Put rep ``rep``, free at ``time``, in place of the first of ``size`` reps sorted by (free time, number).

    The sentinel after them (free at ``inf``, numbered above every rep) ends the scan: no bounds check.
    """
    i = 0
    while free[i + 1] < time or (free[i + 1] == time and reps[i + 1] < rep):
        free[i], reps[i] = free[i + 1], reps[i + 1]
        i += 1
    free[i], reps[i] = time, rep


@numba.njit(cache=True, inline="always")
def _replace_first_heap(free, reps, size, time, rep):
    """Put rep ``rep``, free at ``time``, in place of the first of a heap of ``size`` reps."""
    free[0], reps[0] = time, rep
    _sift_down(free, reps, 0, size)


@numba.njit(cache=True, inline="always")
def _sift_down(free, reps, i, size):
    """Move the rep at slot ``i`` of the heap down to its place."""
    time, rep = free[i], reps[i]
    while True:
        child = 2 * i + 1
        if child >= size:
            break
        right = child + 1
        if right < size and (free[right] < free[child] or (free[right] == free[child] and reps[right] < reps[child])):
            child = right
        if time < free[child] or (time == free[child] and rep < reps[child]):
            break
        free[i], reps[i] = free[child], reps[child]
        i = child
    free[i], reps[i] = time, rep


# ----------------------------------------------------------------------------- the general event loop
# Events wait in a binary heap ordered by (time, sequence number); the payload packs the event
# kind, stage, rep and lead position into one integer.


@numba.njit(cache=True, inline="always")
def _pack(kind, stage, rep, j):
    return (((kind << 6) | stage) << 52) | (rep << 32) | j


@numba.njit(cache=True, inline="always")
def _sift_up(h_time, h_seq, h_load, i, time, seq, load):
    """Place the event (time, seq, load) at slot ``i`` or above, moving later events down."""
    while i > 0:
        parent = (i - 1) >> 1
        if h_time[parent] < time or (h_time[parent] == time and h_seq[parent] < seq):
            break
        h_time[i], h_seq[i], h_load[i] = h_time[parent], h_seq[parent], h_load[parent]
        i = parent
    h_time[i], h_seq[i], h_load[i] = time, seq, load


@numba.njit(cache=True)
def _push(h_time, h_seq, h_load, size, time, seq, load):
    _sift_up(h_time, h_seq, h_load, size, time, seq, load)
    return size + 1


@numba.njit(cache=True)
def _pop(h_time, h_seq, h_load, size):
    """Remove the top of the heap (read it before calling); return the new size.

    Floyd's bottom-up deletion: walk the hole down to a leaf along the smaller children (one
    comparison per level), then sift the last element up from there -- it usually belongs
    near the bottom, so this costs about half the comparisons of a plain sift-down.
    """
    size -= 1
    time, seq, load = h_time[size], h_seq[size], h_load[size]
    i = 0
    child = 1
    while child < size:
        right = child + 1
        if right < size and (
            h_time[right] < h_time[child] or (h_time[right] == h_time[child] and h_seq[right] < h_seq[child])
        ):
            child = right
        h_time[i], h_seq[i], h_load[i] = h_time[child], h_seq[child], h_load[child]
        i = child
        child = 2 * i + 1
    _sift_up(h_time, h_seq, h_load, i, time, seq, load)
    return size


@numba.njit(cache=True)
def _simulate(first_stage, order, times, stages, staff, queues, horizon, origin, calendars):
    """Play stages ``first_stage`` on, whose entrants arrive at ``arrive`` in ``order``, into the arrays.

    Reps who joined by ``origin`` (the warm-up's first day) are idle from the start. A rep of a team
    with a working calendar starts a lead at the next working moment and works in working time. A
    waiting lead whose patience ran out is passed over (it went cold) when a rep looks for work;
    those still waiting at the end get the moment it ran out as their ``end``.
    """
    arrive, start, end_work, end, rep_of = times
    offsets, work, wait, converts = stages.offsets, stages.work, stages.wait, stages.converts
    patience, slack, held, half_life = stages.patience, stages.slack, stages.held, stages.half_life
    rep_offsets, rep_start, rep_end, seasoned = staff.offsets, staff.start, staff.end, staff.seasoned
    ramp_days, initial_productivity = staff.ramp_days, staff.initial_productivity
    next_index, team_all, lane_of = queues.next_index, queues.team, queues.lane
    team_lanes, lane_offsets = queues.team_lanes, queues.lane_offsets
    first_day, working, before, days, always = calendars
    n_stages = len(offsets) - 1
    n_teams = len(rep_offsets) - 1
    total = offsets[-1]

    n_reps = rep_offsets[-1]
    rep_team = np.empty(n_reps, dtype=np.int64)
    for team in range(n_teams):
        rep_team[rep_offsets[team] : rep_offsets[team + 1]] = team
    leaves = np.empty(n_reps)  # each rep's end day on their team's working clock
    for r in range(n_reps):
        leaves[r] = to_work(rep_end[r], rep_team[r], first_day, working, before, days, always)
    # Idle reps per team: a ring buffer in the order they became idle (longest idle first).
    idle = np.empty(max(n_reps, 1), dtype=np.int64)
    idle_head = rep_offsets[:-1].copy()
    idle_count = np.zeros(n_teams, dtype=np.int64)
    # Waiting leads per lane (team and priority level): a ring buffer of (stage, position) packed
    # as stage << 32 | position.
    queue = np.empty(max(lane_offsets[-1], 1), dtype=np.int64)
    queue_head = lane_offsets[:-1].copy()
    queue_count = np.zeros(len(lane_offsets) - 1, dtype=np.int64)
    waiting = np.zeros(n_teams, dtype=np.int64)

    capacity = total + 2 * n_reps + 1
    h_time = np.empty(capacity)
    h_seq = np.empty(capacity, dtype=np.int64)
    h_load = np.empty(capacity, dtype=np.int64)
    size = 0
    seq = 0
    for r in range(n_reps):  # reps on hand from the start are idle, in roster order
        team = rep_team[r]
        if rep_start[r] <= origin:
            idle[_wrap(idle_head[team] + idle_count[team], rep_offsets[team], rep_offsets[team + 1])] = r
            idle_count[team] += 1
        else:
            size = _push(h_time, h_seq, h_load, size, rep_start[r], seq, _pack(_REP_JOINS, 0, r, 0))
            seq += 1
        if rep_end[r] < np.inf:
            size = _push(h_time, h_seq, h_load, size, rep_end[r], seq, _pack(_REP_LEAVES, 0, r, 0))
            seq += 1

    next_arrival = 0
    n_arrivals = len(order)
    first_entrant = offsets[first_stage]
    while True:
        # The next event: an arrival at the first stage, or the top of the heap (events already due go first).
        arrival = arrive[first_entrant + order[next_arrival]] if next_arrival < n_arrivals else np.inf
        from_heap = size > 0 and h_time[0] <= arrival
        if from_heap:
            now = h_time[0]
            load = h_load[0]
        elif next_arrival < n_arrivals:
            now = arrival
            load = -1
        else:
            break
        if now >= horizon:
            break
        if from_heap:
            size = _pop(h_time, h_seq, h_load, size)
            kind = load >> 58
            k = (load >> 52) & 63
            r = (load >> 32) & 0xFFFFF
            j = load & 0xFFFFFFFF
        else:
            kind, k, r, j = -1, first_stage, 0, order[next_arrival]
            next_arrival += 1

        freed = -1  # a rep whose job ended (or who joined) and looks for work
        arriving = -1  # position of a lead arriving at stage k
        if kind == -1:
            arriving = j
        elif kind == _WORK_DONE:
            i = offsets[k] + j
            end_work[i] = now
            if to_work(now, rep_team[r], first_day, working, before, days, always) < leaves[r]:
                freed = r
            if wait[i] > 0.0:
                if _moves_on(i, k, converts, slack, half_life, arrive, start) and k + 1 < n_stages:
                    # its wait's end brings it to the next stage
                    size = _push(h_time, h_seq, h_load, size, now + wait[i], seq, _pack(_WAIT_DONE, k, 0, j))
                    seq += 1
                else:  # it leaves the funnel: nothing waits on it, no event needed (Timeline censors the horizon)
                    end[i] = now + wait[i]
        elif kind == _REP_JOINS:
            freed = r
        elif kind == _REP_LEAVES:
            team = rep_team[r]
            slots = rep_offsets[team + 1] - rep_offsets[team]
            base = rep_offsets[team]
            for q in range(idle_count[team]):  # an idle rep leaves the pool at once
                if idle[base + (idle_head[team] - base + q) % slots] == r:
                    for s in range(q, idle_count[team] - 1):
                        idle[base + (idle_head[team] - base + s) % slots] = idle[
                            base + (idle_head[team] - base + s + 1) % slots
                        ]
                    idle_count[team] -= 1
                    break

        # A lead that finished its wait (or work, with no wait) leaves the stage, maybe into the next.
        if kind == _WAIT_DONE or (kind == _WORK_DONE and wait[offsets[k] + j] <= 0.0):
            i = offsets[k] + j
            end[i] = now
            if _moves_on(i, k, converts, slack, half_life, arrive, start) and k + 1 < n_stages:
                arriving = next_index[i]
                k = k + 1
            else:
                arriving = -1

        while arriving >= 0 and held[offsets[k] + arriving] == 1:  # an opening deal passing a stage before its own
            i = offsets[k] + arriving
            arrive[i] = start[i] = end_work[i] = end[i] = now
            arriving = next_index[i]
            k += 1

        if arriving >= 0:
            i = offsets[k] + arriving
            arrive[i] = now
            team = team_all[i]
            if idle_count[team] > 0:
                at = to_work(now, team, first_day, working, before, days, always)
                begin = max(start_at(at, team, first_day, working, before, days, always), now)  # max: rounding
                if begin > now + patience[i]:  # cold before the next working moment: the rep stays idle
                    end[i] = now + patience[i]
                else:
                    r2 = idle[idle_head[team]]
                    idle_head[team] = _wrap(idle_head[team] + 1, rep_offsets[team], rep_offsets[team + 1])
                    idle_count[team] -= 1
                    start[i] = begin
                    rep_of[i] = r2 - rep_offsets[team]
                    done = _finish(
                        at,
                        begin,
                        work[i],
                        rep_start[r2],
                        seasoned[r2],
                        team,
                        ramp_days[team],
                        initial_productivity[team],
                        first_day,
                        working,
                        before,
                        days,
                        always,
                    )
                    size = _push(h_time, h_seq, h_load, size, done, seq, _pack(_WORK_DONE, k, r2, arriving))
                    seq += 1
            else:
                lane = lane_of[i]
                queue[_wrap(queue_head[lane] + queue_count[lane], lane_offsets[lane], lane_offsets[lane + 1])] = (
                    k << 32
                ) | arriving
                queue_count[lane] += 1
                waiting[team] += 1

        # Then the freed rep takes the first waiting lead (as in des, a lead that moved on at
        # this instant already waits: it may have priority).
        if freed >= 0:
            team = rep_team[freed]
            at = to_work(now, team, first_day, working, before, days, always)
            begin = max(start_at(at, team, first_day, working, before, days, always), now)  # max: rounding
            taken = False
            while waiting[team] > 0:  # the first waiting lead of the first non-empty lane gets the rep
                lane = team_lanes[team]
                while queue_count[lane] == 0:
                    lane += 1
                packed = queue[queue_head[lane]]
                queue_head[lane] = _wrap(queue_head[lane] + 1, lane_offsets[lane], lane_offsets[lane + 1])
                queue_count[lane] -= 1
                waiting[team] -= 1
                k2 = packed >> 32
                j2 = packed & 0xFFFFFFFF
                i = offsets[k2] + j2
                if begin > arrive[i] + patience[i]:  # it went cold while waiting: passed over
                    end[i] = arrive[i] + patience[i]
                    continue
                start[i] = begin
                rep_of[i] = freed - rep_offsets[team]
                done = _finish(
                    at,
                    begin,
                    work[i],
                    rep_start[freed],
                    seasoned[freed],
                    team,
                    ramp_days[team],
                    initial_productivity[team],
                    first_day,
                    working,
                    before,
                    days,
                    always,
                )
                size = _push(h_time, h_seq, h_load, size, done, seq, _pack(_WORK_DONE, k2, freed, j2))
                seq += 1
                taken = True
                break
            if not taken:
                idle[_wrap(idle_head[team] + idle_count[team], rep_offsets[team], rep_offsets[team + 1])] = freed
                idle_count[team] += 1

    for lane in range(len(queue_count)):  # leads still waiting: cold when their patience ran out (maybe later)
        for q in range(queue_count[lane]):
            packed = queue[_wrap(queue_head[lane] + q, lane_offsets[lane], lane_offsets[lane + 1])]
            i = offsets[packed >> 32] + (packed & 0xFFFFFFFF)
            end[i] = arrive[i] + patience[i]


@numba.njit(cache=True, inline="always")
def _wrap(slot, first, stop):
    """``slot`` of a ring buffer held in ``[first, stop)`` of its array, wrapped round."""
    return slot - (stop - first) if slot >= stop else slot


@numba.njit(cache=True, inline="always")
def _finish(
    at, begin, work, joined, seasoned, team, ramp_days, initial_productivity, first_day, working, before, days, always
):
    """When work of ``work`` days, started at working time ``at`` (calendar time ``begin``), ends: at
    the rep's pace -- 1 when seasoned, else rising linearly from ``initial_productivity`` on the day
    they joined to 1 after ``ramp_days`` of working time."""
    pace = 1.0
    if not seasoned:
        pace = ramp_productivity(
            at - to_work(joined, team, first_day, working, before, days, always), ramp_days, initial_productivity
        )
    return max(end_at(at + work / pace, team, first_day, working, before, days, always), begin)


@numba.njit(cache=True, inline="always")
def _moves_on(i, k, converts, slack, half_life, arrive, start):
    """Does entrant ``i`` of stage ``k`` move on? Its fate converts and, at a stage with a half-life,
    its conversion survived its wait (the test of :func:`sim.model.timeline.converted`)."""
    if not converts[i]:
        return False
    h = half_life[k]
    return h == np.inf or slack[i] < 0.5 ** ((start[i] - arrive[i]) / h)
