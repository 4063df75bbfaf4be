"""Analytic queueing results, for planning by hand and for checking the simulator.

A team of ``c`` reps, leads arriving ``arrival_rate`` per day, each taking ``work_days`` of
a rep's time on average, is (with Poisson arrivals and exponential work) an M/M/c queue.

Examples
--------
>>> round(utilisation(7, 1.2, 10), 2)
0.84
>>> round(erlang_c(1.0, 1.0, 2), 4)      # M/M/2 at 50% utilisation: a third of leads wait
0.3333
>>> round(mean_wait(1.0, 1.0, 2), 4)
0.3333
>>> reps_needed(14, 1.2, max_utilisation=0.8)
21
>>> float(allen_cunneen_wait(1.0, 1.0, 1.0, 2)) == mean_wait(1.0, 1.0, 2)   # exponential work: Erlang C
True
>>> [round(w, 4) for w in priority_waits([0.5, 0.5], 1.0, 2)]   # the same M/M/2, A leads first
[0.2222, 0.4444]
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numba
import numpy as np

__all__ = [
    "utilisation",
    "erlang_c",
    "mean_wait",
    "priority_waits",
    "reps_needed",
    "allen_cunneen_wait",
    "time_varying_queue",
    "ErlangA",
    "erlang_a",
]


def utilisation(arrival_rate: float, work_days: float, reps: int) -> float:
    """Busy share of the team: work arriving per day over reps available per day."""
    return arrival_rate * work_days / reps


def erlang_c(arrival_rate: float, work_days: float, reps: int) -> float:
    """Probability that an arriving lead has to wait for a rep (Erlang C); 1 when overloaded."""
    return float(_erlang_c(np.asarray(arrival_rate * work_days, dtype=float), np.asarray(reps, dtype=float)))


def _erlang_c(load: np.ndarray, reps: np.ndarray) -> np.ndarray:
    """Erlang C elementwise, for offered loads in reps ("Erlangs"); 1 when overloaded.

    Numerically stable: the Erlang B recursion, each element up to its own number of reps, then C from B.
    """
    b = np.ones(load.shape)
    for k in range(1, int(reps.max(initial=0)) + 1):
        b = np.where(k <= reps, load * b / (k + load * b), b)
    with np.errstate(divide="ignore", invalid="ignore"):
        rho = load / reps
        c = b / (1 - rho + rho * b)
    return np.where(load >= reps, 1.0, c)


_CUT = 16 * math.log(10)  # states this much less likely than the likeliest are left out
_MOST_STATES = 1e7


@dataclass(frozen=True)
class ErlangA:
    """The stationary M/M/c+M queue: leads that wait longer than their patience go cold."""

    p_abandon: float  # share of arriving leads that go cold before a rep starts them
    p_wait: float  # share of arriving leads that find every rep busy
    mean_wait: float  # days from arriving to a rep starting, or to going cold, over all leads
    utilisation: float  # busy share of the reps


def erlang_a(arrival_rate: float, work_days: float, reps: int, patience_days: float) -> ErlangA:
    """The Erlang A model (Palm's M/M/c+M): Poisson leads, exponential work and exponential patience.

    Exact, from the birth-death chain of the number of leads in the system (birth ``arrival_rate``,
    death ``min(n, c) / work_days + max(n - c, 0) / patience_days``), cut where the stationary
    probabilities have fallen below ``1e-16`` of the largest: patience keeps the queue finite even
    when work outruns the team.

    >>> a = erlang_a(1.0, 1.0, 2, patience_days=1e9)   # patience for ever: the M/M/2 of Erlang C
    >>> round(a.p_wait, 4), round(a.mean_wait, 4), round(a.p_abandon, 6)
    (0.3333, 0.3333, 0.0)
    >>> round(erlang_a(3.0, 1.0, 2, patience_days=2.0).utilisation, 3)   # 150% offered: reps stay busy
    0.923
    """
    lam, mu, theta, c = float(arrival_rate), 1.0 / float(work_days), 1.0 / float(patience_days), int(reps)
    if lam >= c * mu and (lam - c * mu) / theta > _MOST_STATES:
        raise ValueError("patience so long that an overloaded team's queue is practically endless")
    log_p = [0.0]  # log of the unnormalised stationary probability of n leads in the system
    peak, n = 0.0, 0
    while True:
        n += 1
        log_p.append(log_p[-1] + math.log(lam) - math.log(min(n, c) * mu + max(n - c, 0) * theta))
        peak = max(peak, log_p[-1])
        if n > c and log_p[-1] < log_p[-2] and log_p[-1] < peak - _CUT:
            break
    p = np.exp(np.array(log_p) - max(log_p))
    p /= p.sum()
    states = np.arange(len(p))
    queued = np.maximum(states - c, 0) @ p
    busy = np.minimum(states, c) @ p
    return ErlangA(
        p_abandon=float(theta * queued / lam),
        p_wait=float(p[c:].sum()),
        mean_wait=float(queued / lam),
        utilisation=float(busy / c),
    )


def mean_wait(arrival_rate: float, work_days: float, reps: int) -> float:
    """Mean time (days) a lead waits for a free rep in an M/M/c queue; ``inf`` when overloaded."""
    if arrival_rate * work_days >= reps:
        return math.inf
    return erlang_c(arrival_rate, work_days, reps) * work_days / (reps - arrival_rate * work_days)


def priority_waits(arrival_rates: Sequence[float], work_days: float, reps: int) -> list[float]:
    """Mean wait (days) of each priority class in an M/M/c queue served by non-preemptive priority.

    ``arrival_rates[0]`` is the class served first (a team's ``priority``). Cobham's formula
    (1954): ``W_k = C / (c mu (1 - s_(k-1)) (1 - s_k))`` with ``C`` the Erlang C probability and
    ``s_k`` the utilisation brought by classes ``0..k``; ``inf`` for a class the team never reaches.
    The rate-weighted mean equals :func:`mean_wait`: priority reorders the queue, it adds no capacity.
    """
    total = sum(arrival_rates)
    waiting = erlang_c(total, work_days, reps) * work_days / reps
    waits, before = [], 0.0
    for rate in arrival_rates:
        after = before + rate * work_days / reps
        waits.append(waiting / ((1 - before) * (1 - after)) if after < 1 else math.inf)
        before = after
    return waits


def reps_needed(arrival_rate: float, work_days: float, max_utilisation: float = 0.85) -> int:
    """The fewest reps that keep utilisation at or below ``max_utilisation``."""
    return math.ceil(arrival_rate * work_days / max_utilisation - 1e-9)


def allen_cunneen_wait(arrival_rate, work_days, work_scv, reps, arrival_scv: float = 1.0) -> np.ndarray:
    """Approximate mean wait (days) in a G/G/c queue, elementwise over arrays (Allen-Cunneen).

    The M/M/c wait (Erlang C) scaled by ``(arrival_scv + work_scv) / 2``, where ``work_scv`` is the
    squared coefficient of variation of the work (1 for exponential, 0 for a fixed time) and
    ``arrival_scv`` that of the gaps between arrivals (1 for Poisson). Exact for M/M/c and, for
    one rep, for M/G/1 (Pollaczek-Khinchine); ``inf`` when overloaded. ``reps`` are whole numbers.
    """
    rate, work, scv, reps = np.broadcast_arrays(
        *(np.asarray(x, dtype=float) for x in (arrival_rate, work_days, work_scv, reps))
    )
    load = rate * work
    with np.errstate(divide="ignore", invalid="ignore"):
        wait = _erlang_c(load, reps) * work / (reps - load) * (arrival_scv + scv) / 2
    return np.where(load >= reps, np.inf, np.where(load > 0, wait, 0.0))


_GRID = 1 - (1 - np.arange(512) / 512) ** 3  # utilisations, dense near 1 (the last is 1 - 7e-9)


def time_varying_queue(
    arrival_rate, work_days, work_scv, reps, steps_per_day: int = 8
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A queue whose arrival rate, work and reps change from day to day, starting empty: per day, the mean
    number of leads an arriving lead finds ahead of it, the share of the reps' time spent working, and the
    probability that an arriving lead has to wait.

    The pointwise stationary fluid flow approximation (PSFFA; Wang, Wang, Lan & Gold 1996, after
    Agnew 1976): the mean number in the system ``x`` follows ``dx/dt = rate - reps * utilisation(x) /
    work_days``, where ``utilisation(x)`` is the utilisation at which a stationary M/G/c queue holds ``x``
    leads (``reps * u + Lq(u)``, Allen-Cunneen's ``Lq``: Erlang C scaled by ``(1 + work_scv) / 2``). It
    settles to the stationary queue when nothing changes, builds up gradually from empty after a surge, and
    grows as a fluid (by ``rate - reps / work_days`` a day) when the team is overloaded. Integrated by implicit
    Euler steps, ``steps_per_day`` a day. "Ahead" counts the leads waiting plus the chance that all reps are
    busy, both scaled like ``Lq``: the wait of an arriving lead is the time the reps need to work that many
    leads, ``ahead * work_days / reps`` when nothing changes (then it is Allen-Cunneen's mean wait).

    All arguments broadcast to ``(..., days)``; ``reps`` are whole numbers (0: nobody works, the queue grows).

    >>> ahead, busy, waits = time_varying_queue(np.full(400, 1.5), 1.0, 1.0, 2)   # M/M/2 at 75%, a long time
    >>> round(float(ahead[-1] * 1.0 / 2), 3), round(mean_wait(1.5, 1.0, 2), 3), round(float(busy[-1]), 3)
    (1.286, 1.286, 0.75)
    >>> round(float(waits[-1]), 3), round(erlang_c(1.5, 1.0, 2), 3)
    (0.643, 0.643)
    """
    rate, work, scv, reps = (
        np.ascontiguousarray(a, dtype=float)
        for a in np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in (arrival_rate, work_days, work_scv, reps)))
    )
    shape = rate.shape
    most = int(reps.max(initial=0))
    servers = np.arange(most + 1, dtype=float)[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        waiting = _erlang_c(servers * _GRID, np.broadcast_to(servers, (most + 1, len(_GRID))))  # P(wait) by reps
        queued = np.where(servers > 0, waiting * _GRID / (1 - _GRID), 0.0)  # Lq of M/M/c by reps
    out = _psffa(
        rate.reshape(-1, shape[-1]),
        work.reshape(-1, shape[-1]),
        scv.reshape(-1, shape[-1]),
        reps.reshape(-1, shape[-1]).astype(np.int64),
        _GRID,
        queued,
        waiting,
        steps_per_day,
    )
    return tuple(a.reshape(shape) for a in out)


@numba.njit(cache=True, inline="always")
def _after_step(i, c, k, served_in_step, grid, queued):
    """Leads in the system at the end of a step at utilisation ``grid[i]``, plus those the step served."""
    return c * grid[i] + k * queued[c, i] + served_in_step * grid[i]


@numba.njit(cache=True)
def _psffa(rate, work, scv, reps, grid, queued, waiting, steps):
    n, days = rate.shape
    ahead = np.zeros((n, days))
    busy = np.zeros((n, days))
    waits = np.zeros((n, days))
    dt = 1.0 / steps
    top = len(grid) - 1
    for r in range(n):
        x = 0.0  # mean leads in the system
        for d in range(days):
            c, k = reps[r, d], (1.0 + scv[r, d]) / 2
            if c > 0 and work[r, d] <= 1e-12:  # no work to speak of: nobody waits
                x = 0.0
                continue
            served = c / work[r, d] if c > 0 else 0.0  # leads a day with every rep busy
            for _ in range(steps):
                b = x + dt * rate[r, d]
                if c == 0:
                    x, u, wait_share, lq = b, 1.0, 1.0, b
                else:
                    # implicit Euler: x' = b - dt * served * u, with x' = c u + k Lq(u); solve for u (increasing)
                    lo, hi = 0, top
                    if _after_step(top, c, k, dt * served, grid, queued) <= b:
                        lo = hi = top
                    while hi - lo > 1:
                        mid = (lo + hi) // 2
                        if _after_step(mid, c, k, dt * served, grid, queued) <= b:
                            lo = mid
                        else:
                            hi = mid
                    g_lo = _after_step(lo, c, k, dt * served, grid, queued)
                    g_hi = _after_step(hi, c, k, dt * served, grid, queued)
                    f = min(max((b - g_lo) / (g_hi - g_lo), 0.0), 1.0) if g_hi > g_lo else 0.0
                    u = grid[lo] + f * (grid[hi] - grid[lo])
                    wait_share = waiting[c, lo] + f * (waiting[c, hi] - waiting[c, lo])
                    x = b - dt * served * u
                    lq = max(x - c * u, 0.0)  # k * Lq, and beyond the grid the fluid's overflow
                ahead[r, d] += (lq + k * wait_share) / steps
                busy[r, d] += u / steps
                waits[r, d] += wait_share / steps
    return ahead, busy, waits
