"""sim.memory: a process that has run replications keeps freed arrays instead of faulting them in again."""

from __future__ import annotations

import subprocess
import sys

import pytest

from .conftest import ROOT
from .memory_probe import ONE_ROUND


def _reallocation_faults(setup: str) -> int:
    """:func:`tests.memory_probe.reallocation_faults` in a fresh process, after ``setup``."""
    code = f"{setup}\nfrom tests.memory_probe import reallocation_faults\nprint(reallocation_faults())"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return int(out.stdout)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="tunes glibc's allocator")
def test_simulating_keeps_freed_arrays_for_the_next_replication():
    untuned = _reallocation_faults("")
    tuned = _reallocation_faults(
        "import sim\nsim.simulate(sim.load('benchmarks/w1.yaml').model_copy("
        "update={'horizon_days': 2}), engine='fast', detail=False)"
    )
    assert untuned > 10 * ONE_ROUND  # glibc gives the memory back each round ...
    assert tuned < 2 * ONE_ROUND  # ... unless simulate has tuned it
