"""W1 on the reference engine beside a straightforward SimPy program for the same model.

Prints leads·stages per second (stage visits simulated per second of wall time), the
median of several runs of one replication each, and the peak memory of one replication
(measured in a fresh process). The baseline is the textbook SimPy program: one process per
lead, a ``simpy.Resource`` per stage, draws made inside the processes, nothing recorded.
"""

from __future__ import annotations

import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

import simpy

from sim.engine.des import run_replication
from sim.scenario import load

W1 = Path(__file__).with_name("w1.yaml")
RUNS = 5


def plain_simpy(seed: int) -> int:
    """The baseline: W1 as a straightforward SimPy program; returns the stage visits simulated."""
    scenario = load(W1)
    rng = random.Random(seed)
    env = simpy.Environment()
    teams = {t.name: simpy.Resource(env, capacity=t.headcount) for t in scenario.teams}
    stages = [(teams[s.team], s.work_days.mean, s.conversion) for s in scenario.stages]
    visits = 0

    def lead():
        nonlocal visits
        for team, mean_work, conversion in stages:
            visits += 1
            with team.request() as request:
                yield request
                yield env.timeout(rng.expovariate(1.0 / mean_work))
            if rng.random() >= conversion:
                return

    def source(rate: float):
        while True:
            yield env.timeout(rng.expovariate(rate))
            env.process(lead())

    env.process(source(scenario.channels[0].leads_per_day))
    env.run(until=scenario.horizon_days)
    return visits


def salesplay_des(seed: int) -> int:
    timeline = run_replication(load(W1), seed, 0)
    return sum(int((arrive == arrive).sum()) for arrive in timeline.arrive)


def _rates(*runs) -> list[float]:
    """Median leads·stages per second of each run; runs alternate so machine noise hits them alike."""
    rates: list[list[float]] = [[] for _ in runs]
    for seed in range(RUNS):
        for run, out in zip(runs, rates):
            start = time.perf_counter()
            visits = run(seed)
            out.append(visits / (time.perf_counter() - start))
    return [statistics.median(r) for r in rates]


def _peak_memory_mib() -> float:
    code = (
        "import resource; from benchmarks.bench_des import salesplay_des; salesplay_des(0); "
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=Path(__file__).parents[1]
    )
    return float(out.stdout.strip())


def main() -> None:
    ours, baseline = _rates(salesplay_des, plain_simpy)
    print(f"W1, one replication (73,000 leads, 5 stages), median of {RUNS} runs:")
    print(f"  {'engine':<34}{'leads·stages/s':>16}")
    print(f"  {'salesplay des (records every lead)':<34}{ours:>16,.0f}")
    print(f"  {'plain SimPy baseline':<34}{baseline:>16,.0f}")
    print(f"  ratio des / baseline: {ours / baseline:.2f}  (goal: >= 1)")
    print(f"  peak memory of one W1 replication: {_peak_memory_mib():,.0f} MiB (goal: < 1024 MiB)")
