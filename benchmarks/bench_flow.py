"""The flow engine beside the exact ones: W1 replications per second on one core, and memory.

Medians of several runs; "one core" means one process (``workers=1``). ``flow`` approximates
(see :mod:`sim.engine.flow`); ``fast`` equals ``des`` lead for lead.
"""

from __future__ import annotations

import sim
from benchmarks.bench_fast import RUNS, W1, _peak_memory_mib, _seconds


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
          f"peak memory {_peak_memory_mib(1000, 'flow'):,.0f} MiB (required < 2,048)")
