"""How many page faults a process takes to get a W1 replication's arrays again (tests of sim.memory).

Module-level and light to import, so a fresh interpreter and a Dask worker can both run it.
"""

from __future__ import annotations

import resource

import numpy as np

ONE_ROUND = 12 * 115_000 * 8 // 4096  # pages of one round: a dozen arrays of 115,000 floats


def reallocation_faults() -> int:
    """Minor page faults of 20 rounds of a W1 replication's arrays, allocated and freed, in this process."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(20):
        arrays = [np.ones(115_000) for _ in range(12)]
        del arrays
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
