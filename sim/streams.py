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

import numba
import numpy as np
from numpy.random.bit_generator import ISpawnableSeedSequence

__all__ = [
    "ARRIVALS",
    "TIERS",
    "CONVERSION",
    "WORK",
    "WAIT",
    "VALUE",
    "COLLECTION",
    "STAFFING",
    "FORECAST",
    "BEHAVIOUR",
    "FLOW",
    "PATIENCE",
    "CYCLE",
    "WARMUP",
    "OPENING",
    "generator",
]

# Purposes: each gets its own stream (the number is part of the spawn key; never renumber).
ARRIVALS, TIERS, CONVERSION, WORK, WAIT, VALUE, COLLECTION, STAFFING = range(8)
FORECAST = 8  # sim.forecast: fates and values of open and new deals
BEHAVIOUR = 9  # reps' response to an incentive plan (sim.model.behaviour)
FLOW = 10  # sim.engine.flow: every draw of one replication of the flow model
PATIENCE = 11  # how long each lead waits for a rep at each stage before it goes cold
CYCLE = 12  # sim.cycle: the sampled paths a plan times its leads and work by
# The leads of the warm-up before day 0 draw purpose p from purpose WARMUP + p, so the year's own
# leads draw the same numbers whatever the warm-up's length (common random numbers).
WARMUP = 32
# The deals of an explicit opening pipeline (``opening.pipeline``) draw purpose p from OPENING + p.
OPENING = 64

_WORD = 2**32


def generator(seed: int, replication: int, purpose: int, index: int = 0) -> np.random.Generator:
    """The generator for one replication, purpose and item (channel, stage or team index):
    ``Generator(PCG64(SeedSequence(seed, spawn_key=(replication, purpose, index))))``.

    For seeds below 2**63 and keys below 2**32 the PCG64 state is hashed by :func:`_pcg64_seed`,
    a compiled copy of ``SeedSequence``'s hash that gives the same state without numpy's Python-level
    set-up (a replication makes a generator per purpose and item, so this is on the hot path).
    """
    if 0 <= seed < 2**63 and 0 <= replication < _WORD and 0 <= purpose < _WORD and 0 <= index < _WORD:
        sequence = _Seeded(_pcg64_seed(seed, replication, purpose, index), seed, (replication, purpose, index))
    else:
        sequence = np.random.SeedSequence(seed, spawn_key=(replication, purpose, index))
    return np.random.Generator(np.random.PCG64(sequence))


class _Seeded(ISpawnableSeedSequence):
    """``SeedSequence(seed, spawn_key=key)`` for a generator whose PCG64 seed words :func:`_pcg64_seed`
    computed: anything else asked of it (``spawn``, other states, ``entropy``...) is answered by that
    ``SeedSequence``, made when first needed."""

    def __init__(self, words: np.ndarray, seed: int, key: tuple[int, int, int]):
        self.words, self.seed, self.key = words, seed, key
        self._sequence: np.random.SeedSequence | None = None

    @property
    def sequence(self) -> np.random.SeedSequence:
        if self._sequence is None:
            self._sequence = np.random.SeedSequence(self.seed, spawn_key=self.key)
        return self._sequence

    def generate_state(self, n_words: int, dtype=np.uint32) -> np.ndarray:
        if n_words == 4 and np.dtype(dtype) == np.uint64:  # what PCG64 asks for
            return self.words.copy()
        return self.sequence.generate_state(n_words, dtype)

    def spawn(self, n_children: int) -> list[np.random.SeedSequence]:
        return self.sequence.spawn(n_children)

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.sequence, name)


# The constants of numpy's SeedSequence (M. E. O'Neill's seed_seq_fe, with a pool of four 32-bit words).
_INIT_A, _MULT_A, _INIT_B, _MULT_B = 0x43B0D7E5, 0x931E8875, 0x8B51F9DD, 0x58F38DED
_MIX_MULT_L, _MIX_MULT_R = 0xCA01F9DD, 0x4973F715


@numba.njit(cache=True)
def _pcg64_seed(seed: int, replication: int, purpose: int, index: int) -> np.ndarray:
    """``SeedSequence(seed, spawn_key=(replication, purpose, index)).generate_state(4, np.uint64)``
    for ``0 <= seed < 2**63`` and keys below ``2**32``, to the bit (tests compare them)."""
    # The entropy: the seed's two 32-bit words padded to the pool's four, then the spawn key.
    entropy = np.array([seed & 0xFFFFFFFF, seed >> 32, 0, 0, replication, purpose, index], dtype=np.uint32)
    pool = np.empty(4, dtype=np.uint32)
    hash_const = np.uint32(_INIT_A)
    for i in range(4):
        pool[i], hash_const = _hashmix(entropy[i], hash_const)
    for source in range(4):
        for target in range(4):
            if source != target:
                value, hash_const = _hashmix(pool[source], hash_const)
                pool[target] = _mix(pool[target], value)
    for source in range(4, len(entropy)):
        for target in range(4):
            value, hash_const = _hashmix(entropy[source], hash_const)
            pool[target] = _mix(pool[target], value)
    # generate_state(4, np.uint64): eight 32-bit words cycled from the pool, paired low word first.
    words = np.zeros(4, dtype=np.uint64)
    hash_const = np.uint32(_INIT_B)
    for i in range(8):
        value = np.uint32(pool[i % 4] ^ hash_const)
        hash_const = np.uint32(hash_const * np.uint32(_MULT_B))
        value = np.uint32(value * hash_const)
        words[i // 2] |= np.uint64(value ^ (value >> np.uint32(16))) << np.uint64(32 * (i % 2))
    return words


@numba.njit(cache=True)
def _hashmix(value: np.uint32, hash_const: np.uint32) -> tuple[np.uint32, np.uint32]:
    value = np.uint32(value ^ hash_const)
    hash_const = np.uint32(hash_const * np.uint32(_MULT_A))
    value = np.uint32(value * hash_const)
    return np.uint32(value ^ (value >> np.uint32(16))), hash_const


@numba.njit(cache=True)
def _mix(x: np.uint32, y: np.uint32) -> np.uint32:
    result = np.uint32(np.uint32(np.uint32(_MIX_MULT_L) * x) - np.uint32(np.uint32(_MIX_MULT_R) * y))
    return np.uint32(result ^ (result >> np.uint32(16)))
