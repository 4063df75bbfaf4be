"""sim.memory: a process that has run replications keeps freed arrays instead of faulting them in again."""

from __future__ import annotations

import subprocess
import sys

import pytest

from .conftest import ROOT

_FAULTS = """
import resource, numpy
{setup}
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):  # a W1 replication's worth of arrays, allocated and freed
    arrays = [numpy.ones(115_000) for _ in range(12)]
    del arrays
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def _reallocation_faults(setup: str) -> int:
    """Page faults of 20 rounds of a replication's arrays in a fresh process, after ``setup``."""
    out = subprocess.run([sys.executable, "-c", _FAULTS.format(setup=setup)], cwd=ROOT, capture_output=True,
                         text=True, check=True)
    return int(out.stdout)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="tunes glibc's allocator")
def test_simulating_keeps_freed_arrays_for_the_next_replication():
    one_round = 12 * 115_000 * 8 // 4096  # pages
    untuned = _reallocation_faults("")
    tuned = _reallocation_faults("import sim\nsim.simulate(sim.load('benchmarks/w1.yaml').model_copy("
                                 "update={'horizon_days': 2}), engine='fast', detail=False)")
    assert untuned > 10 * one_round  # glibc gives the memory back each round ...
    assert tuned < 2 * one_round  # ... unless simulate has tuned it
