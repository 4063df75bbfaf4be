"""The flow engine beside the exact ones: W1 replications per second on one core, and memory.

Medians of several runs; "one core" means one process (``workers=1``). ``flow`` approximates
(see :mod:`sim.engine.flow`); ``fast`` equals ``des`` lead for lead.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

import sim

W1 = Path(__file__).with_name("w1.yaml")
RUNS = 3


def _seconds(scenario: sim.Scenario, replications: int, engine: str) -> float:
    times = []
    for run in range(RUNS):
        start = time.perf_counter()
        sim.simulate(scenario, replications=replications, seed=run, engine=engine, detail=False, progress=False,
                     workers=1)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _peak_memory_mib(replications: int) -> float:
    code = (f"import resource, sim; sim.simulate(sim.load({str(W1)!r}), replications={replications}, engine='flow', "
            "detail=False, progress=False, workers=1); "
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def main() -> None:
    w1 = sim.load(W1)
    sim.simulate(w1.model_copy(update={"horizon_days": 5}), replications=2, engine="fast", progress=False)  # compile
    rates = {"des": 1 / _seconds(w1, 1, "des"), "fast": 100 / _seconds(w1, 100, "fast")}
    flow_1000 = _seconds(w1, 1000, "flow")
    rates["flow"] = 1000 / flow_1000
    print(f"W1 (73,000 leads/year, 5 stages), one core, summary mode, medians of {RUNS} runs:")
    print(f"  {'engine':<10}{'replications/s':>16}{'x des':>10}")
    for engine, rate in rates.items():
        print(f"  {engine:<10}{rate:>16,.1f}{rate / rates['des']:>10,.0f}")
    print(f"  flow: 1,000 W1 replications in {flow_1000:.2f} s (required < 8 s, aim < 2 s); "
          f"peak memory {_peak_memory_mib(1000):,.0f} MiB (required < 2,048)")
