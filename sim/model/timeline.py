"""What an engine produces for one replication: when each lead reached, started and left each stage.

The times are flat arrays, stage after stage, aligned with ``fates.entrants`` concatenated
(``offsets[k]:offsets[k+1]`` is stage ``k``); ``arrive[k]`` and the like are views of stage
``k``. A time at or after the horizon did not happen within it and is ``NaN``; a lead not yet
started has ``rep == -1`` (``rep`` is ``None`` when the engine was asked not to record reps).
Engines may compute past the horizon: the constructor censors. Times before day 0 belong to the
warm-up (:mod:`sim.model.opening`).

A lead that went cold at a stage (no rep started it within its patience) has an ``end`` (the
moment its patience ran out) but no ``start``. ``converted`` says which entrants moved on (or
won, at the last stage): those whose fate converts, that a rep started, and whose conversion
survived their wait at a stage with a decay (:class:`~sim.model.fates.Fates`).

Examples
--------
>>> from sim.scenario import load
>>> from sim.engine.des import run_replication
>>> timeline = run_replication(load("benchmarks/w1.yaml").replace({"horizon_days": 2}), 1, 0)
>>> bool(timeline.arrive[1].base is timeline.arrive_all), int(timeline.offsets[1]) == len(timeline.arrive[0])
(True, True)
"""

from __future__ import annotations

import numba
import numpy as np

from sim.model.fates import Fates, by_stage

__all__ = ["Timeline"]


class Timeline:
    """Stage times of every lead of one replication (see the module docs)."""

    __slots__ = (
        "fates",
        "horizon",
        "offsets",
        "arrive_all",
        "start_all",
        "end_work_all",
        "end_all",
        "rep_all",
        "arrive",
        "start",
        "end_work",
        "end",
        "rep",
        "converted_all",
        "converted",
    )

    def __init__(
        self,
        fates: Fates,
        horizon: float,
        arrive: np.ndarray,
        start: np.ndarray,
        end_work: np.ndarray,
        end: np.ndarray,
        rep: np.ndarray | None,
    ):
        self.fates = fates
        self.horizon = float(horizon)
        self.offsets = fates.offsets
        _censor(arrive, start, end_work, end, self.horizon)
        if rep is not None:
            rep[np.isnan(start)] = -1
        self.arrive_all, self.start_all, self.end_work_all, self.end_all, self.rep_all = (
            arrive,
            start,
            end_work,
            end,
            rep,
        )
        self.arrive: list[np.ndarray] = by_stage(arrive, self.offsets)
        self.start: list[np.ndarray] = by_stage(start, self.offsets)
        self.end_work: list[np.ndarray] = by_stage(end_work, self.offsets)
        self.end: list[np.ndarray] = by_stage(end, self.offsets)
        self.rep: list[np.ndarray] | None = None if rep is None else by_stage(rep, self.offsets)
        if fates.waiting_matters:
            self.converted_all = converted(
                fates.offsets, fates.converts_all, fates.slack_all, fates.half_life, arrive, start
            )
        else:
            self.converted_all = fates.converts_all
        self.converted: list[np.ndarray] = by_stage(self.converted_all, self.offsets)


@numba.njit(cache=True)
def converted(offsets, converts, slack, half_life, arrive, start):
    """Which entrants moved on: their fate converts, a rep started them (``start`` not NaN), and at a
    stage with a half-life their ``slack`` is below ``0.5 ** (wait / half_life)``. The engines decide a
    lead's way by the same test on the same numbers."""
    out = np.zeros(len(converts), dtype=np.bool_)
    for k in range(len(offsets) - 1):
        h = half_life[k]
        for i in range(offsets[k], offsets[k + 1]):
            s = start[i]
            if converts[i] and s < np.inf:  # started (not NaN, not inf: never)
                out[i] = slack[i] < 0.5 ** ((s - arrive[i]) / h) if h < np.inf else True
    return out


@numba.njit(cache=True)
def _censor(arrive, start, end_work, end, horizon):
    """Times at or after the horizon did not happen (NaN). One pass."""
    for i in range(len(arrive)):
        if arrive[i] >= horizon:
            arrive[i] = np.nan
        if start[i] >= horizon:
            start[i] = np.nan
        if end_work[i] >= horizon:
            end_work[i] = np.nan
        if end[i] >= horizon:
            end[i] = np.nan
