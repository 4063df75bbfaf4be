"""Random streams: one ``SeedSequence`` per run, one child per replication and purpose.

Replication ``r`` of a run seeded ``seed`` draws its arrivals from
``SeedSequence(seed, spawn_key=(r, ARRIVALS, channel))`` -- the same child that
``SeedSequence(seed).spawn(...)`` hands out -- so its numbers do not depend on how many
replications run, in which order, or on which process or machine. Keeping purposes apart
gives common random numbers: two strategies that differ only in headcount see the same
leads, the same conversions and the same work times.

Examples
--------
>>> a = generator(7, replication=3, purpose=WORK, index=2).random()
>>> b = generator(7, replication=3, purpose=WORK, index=2).random()
>>> a == b
True
>>> a == generator(7, replication=4, purpose=WORK, index=2).random()
False
"""

from __future__ import annotations

import numpy as np

__all__ = ["ARRIVALS", "TIERS", "CONVERSION", "WORK", "WAIT", "VALUE", "COLLECTION", "STAFFING", "FORECAST",
           "BEHAVIOUR", "FLOW", "generator"]

# Purposes: each gets its own stream (the number is part of the spawn key; never renumber).
ARRIVALS, TIERS, CONVERSION, WORK, WAIT, VALUE, COLLECTION, STAFFING = range(8)
FORECAST = 8  # sim.forecast: fates and values of open and new deals
BEHAVIOUR = 9  # reps' response to an incentive plan (sim.model.behaviour)
FLOW = 10  # sim.engine.flow: every draw of one replication of the flow model


def generator(seed: int, replication: int, purpose: int, index: int = 0) -> np.random.Generator:
    """The generator for one replication, purpose and item (channel, stage or team index)."""
    sequence = np.random.SeedSequence(seed, spawn_key=(replication, purpose, index))
    return np.random.Generator(np.random.PCG64(sequence))
