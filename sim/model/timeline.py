"""What an engine produces for one replication: when each lead reached, started and left each stage.

The times are flat arrays, stage after stage, aligned with ``fates.entrants`` concatenated
(``offsets[k]:offsets[k+1]`` is stage ``k``); ``arrive[k]`` and the like are views of stage
``k``. A time at or after the horizon did not happen within it and is ``NaN``; a lead not yet
started has ``rep == -1`` (``rep`` is ``None`` when the engine was asked not to record reps).
Engines may compute past the horizon: the constructor censors.

Examples
--------
>>> from sim.scenario import load
>>> from sim.engine.des import run_replication
>>> timeline = run_replication(load("benchmarks/w1.yaml").model_copy(update={"horizon_days": 2}), 1, 0)
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

    __slots__ = ("fates", "horizon", "offsets", "arrive_all", "start_all", "end_work_all", "end_all", "rep_all",
                 "arrive", "start", "end_work", "end", "rep")

    def __init__(self, fates: Fates, horizon: float, arrive: np.ndarray, start: np.ndarray, end_work: np.ndarray,
                 end: np.ndarray, rep: np.ndarray | None):
        self.fates = fates
        self.horizon = float(horizon)
        self.offsets = fates.offsets
        _censor(arrive, start, end_work, end, self.horizon)
        if rep is not None:
            rep[np.isnan(start)] = -1
        self.arrive_all, self.start_all, self.end_work_all, self.end_all, self.rep_all = arrive, start, end_work, end, rep
        self.arrive: list[np.ndarray] = by_stage(arrive, self.offsets)
        self.start: list[np.ndarray] = by_stage(start, self.offsets)
        self.end_work: list[np.ndarray] = by_stage(end_work, self.offsets)
        self.end: list[np.ndarray] = by_stage(end, self.offsets)
        self.rep: list[np.ndarray] | None = None if rep is None else by_stage(rep, self.offsets)


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
