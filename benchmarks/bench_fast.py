"""The fast engine beside the reference: W1 throughput, memory, scaling, and the widget path.

Medians of several runs; "one core" means one process (``workers=1``).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

import sim
from sim.settings import answer
from sim.widgets.refine import Refiner

W1 = Path(__file__).with_name("w1.yaml")
PLAYBOOK = Path(__file__).parents[1] / "playbooks" / "b2b_saas.yaml"
RUNS = 3


def _seconds(scenario: sim.Scenario, replications: int, engine: str = "fast", workers: int | None = 1) -> float:
    times = []
    for run in range(RUNS):
        start = time.perf_counter()
        sim.simulate(
            scenario, replications=replications, seed=run, engine=engine, detail=False, progress=False, workers=workers
        )
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _peak_memory_mib(replications: int, engine: str = "fast") -> float:
    code = (
        f"import resource, sim; sim.simulate(sim.load({str(W1)!r}), replications={replications}, engine={engine!r}, "
        "detail=False, progress=False, workers=1); "
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def _year_as_it_runs(w1: sim.Scenario) -> sim.Scenario:
    """W1 on a Monday-to-Friday calendar (leads arrive on working days, as many per working day as W1's per
    day, so teams are as busy on the days they work), first contact within a patience of three days on
    average, and the default warm start."""
    return w1.replace(
        {
            "calendar": {},
            "channels.0.working_days_only": True,
            "stages.0.patience_days": {"dist": "exponential", "mean": 3},
        }
    )


def _as_a_page_runs_it(scenario: sim.Scenario, workers: int | None) -> tuple[float, float]:
    """Seconds from a change to a page's first figures and to its final ones: the quick batch, then the
    refinement to the full count (:class:`sim.widgets.refine.Refiner`, the run policy of
    :func:`sim.settings.answer`), medians of ``RUNS`` changes."""
    first, last = [], []
    refiner = Refiner(answer(), workers=workers)
    for _ in range(RUNS):
        marks: list[float] = []
        start = time.perf_counter()
        refiner.start(
            scenario, lambda results, final, marks=marks, start=start: marks.append(time.perf_counter() - start)
        )
        refiner.wait()
        first.append(marks[0])
        last.append(marks[-1])
    return statistics.median(first), statistics.median(last)


def _exponent(sizes: list[float], seconds: list[float]) -> float:
    return float(np.polyfit(np.log(sizes), np.log(seconds), 1)[0])


def main() -> None:
    w1 = sim.load(W1)
    sim.simulate(w1.replace({"horizon_days": 5}), replications=2, engine="fast", progress=False)  # compile
    des_rate = 1 / _seconds(w1, 1, engine="des")
    fast_1000 = _seconds(w1, 1000)
    fast_rate = 1000 / fast_1000
    print(f"W1 (73,000 leads/year, 5 stages), medians of {RUNS} runs, summary mode:")
    print(f"  {'engine':<28}{'replications/s':>16}")
    print(f"  {'des (reference)':<28}{des_rate:>16.2f}")
    print(f"  {'fast, one core':<28}{fast_rate:>16.1f}")
    print(f"  ratio fast / des: {fast_rate / des_rate:,.0f}x  (required >= 300x)")
    print(
        f"  1,000 W1 replications: {fast_1000:.2f} s on one core (required < 8 s, aim < 2 s), "
        f"{_seconds(w1, 1000, workers=2):.2f} s on two"
    )
    print(f"  peak memory, 1,000 replications in summary mode: {_peak_memory_mib(1000):,.0f} MiB (required < 2,048)")

    cold = w1.replace({"opening": {"warmup_days": 0}})
    realistic = _year_as_it_runs(w1)
    sim.simulate(realistic.replace({"horizon_days": 5}), replications=2, engine="fast", progress=False)
    print(f"  W1 as a year runs, one core, {200} replications each (replications/s, side by side in this run):")
    for label, scenario in (
        ("empty start, every day worked", cold),
        ("warm start (the default)", w1),
        ("warm start, Monday-Friday, patience", realistic),
    ):
        print(f"    {label:<40}{200 / _seconds(scenario, 200):>10.1f}")
    rates = [50, 200, 800]
    seconds = [_seconds(w1.replace({"channels.0.leads_per_day": r}), 20) for r in rates]
    print(
        f"  scaling in leads/day {rates}: {', '.join(f'{s:.2f}s' for s in seconds)} "
        f"-> exponent {_exponent(rates, seconds):.2f} (linear = 1)"
    )
    counts = [10, 100, 1000]
    seconds = [_seconds(w1, n) for n in counts[:-1]] + [fast_1000]  # 1,000 timed above
    print(
        f"  scaling in replications {counts}: {', '.join(f'{s:.2f}s' for s in seconds)} "
        f"-> exponent {_exponent(counts, seconds):.2f} (linear = 1)"
    )
    playbook = sim.load(PLAYBOOK)
    print(
        f"  {PLAYBOOK.name} at 200 replications: {_seconds(playbook, 200) * 1000:.0f} ms on one core, "
        f"{_seconds(playbook, 200, workers=None) * 1000:.0f} ms on every core (goal < 150 ms)"
    )
    policy = answer()
    first, last = _as_a_page_runs_it(playbook, os.cpu_count())
    print(
        f"  widget path, {PLAYBOOK.name} as a page runs it on every core ({policy.quick:,} replications, then refined "
        f"to {policy.replications:,}): first figures in {first * 1000:.0f} ms (goal < 150 ms), "
        f"{policy.replications:,} replications in {last:.2f} s (goal < 2 s)"
    )
