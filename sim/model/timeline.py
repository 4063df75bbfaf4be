"""What an engine produces for one replication: when each lead reached, started and left each stage.

Stage ``k``'s arrays are aligned with ``fates.entrants[k]``. A time at or after the horizon did
not happen within it and is ``NaN``; a lead not yet started has ``rep == -1``. Engines may
compute past the horizon and call :meth:`Timeline.censor`; the reference engine stops at
the horizon, for which censoring changes nothing.

Examples
--------
>>> from sim.scenario import load
>>> from sim.model.fates import draw_fates
>>> timeline = Timeline.empty(draw_fates(load("benchmarks/w1.yaml"), seed=1, replication=0), horizon=365)
>>> timeline.arrive[0][:2], timeline.rep[0][:2]
(array([nan, nan]), array([-1, -1], dtype=int32))
"""

from __future__ import annotations

import numpy as np

from sim.model.fates import Fates

__all__ = ["Timeline"]


class Timeline:
    """Stage times of every lead of one replication (see the module docs)."""

    __slots__ = ("fates", "horizon", "arrive", "start", "end_work", "end", "rep")

    def __init__(self, fates: Fates, horizon: float, arrive, start, end_work, end, rep):
        self.fates = fates
        self.horizon = float(horizon)
        self.arrive: list[np.ndarray] = arrive
        self.start: list[np.ndarray] = start
        self.end_work: list[np.ndarray] = end_work
        self.end: list[np.ndarray] = end
        self.rep: list[np.ndarray] = rep

    @classmethod
    def empty(cls, fates: Fates, horizon: float) -> "Timeline":
        """A timeline in which nothing has happened yet, for an engine to fill in."""
        sizes = [len(e) for e in fates.entrants]
        nan = [np.full(n, np.nan) for n in sizes]
        return cls(fates, horizon, *(list(map(np.copy, nan)) for _ in range(4)),
                   [np.full(n, -1, dtype=np.int32) for n in sizes])

    def censor(self) -> "Timeline":
        """Forget whatever happened after the horizon (in place); returns ``self``."""
        for k in range(len(self.arrive)):
            for times in (self.arrive[k], self.start[k], self.end_work[k], self.end[k]):
                times[times >= self.horizon] = np.nan
            self.rep[k][np.isnan(self.start[k])] = -1
        return self
