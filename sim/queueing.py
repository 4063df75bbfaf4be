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

import numpy as np

__all__ = ["utilisation", "erlang_c", "mean_wait", "priority_waits", "reps_needed", "allen_cunneen_wait"]


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
    rate, work, scv, reps = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in
                                                  (arrival_rate, work_days, work_scv, reps)))
    load = rate * work
    with np.errstate(divide="ignore", invalid="ignore"):
        wait = _erlang_c(load, reps) * work / (reps - load) * (arrival_scv + scv) / 2
    return np.where(load >= reps, np.inf, np.where(load > 0, wait, 0.0))
