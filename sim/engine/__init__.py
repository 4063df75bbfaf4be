"""Engines turn a scenario into results; every engine returns the same :class:`~sim.results.Results`.

- ``des``: the reference, a SimPy discrete-event simulation (:mod:`sim.engine.des`).
- ``fast``: the same model compiled with numba (:mod:`sim.engine.fast`); same seed, same
  results, compiled loops instead of Python events (``make bench`` reports by how much).
- ``flow``: a vectorised flow model of counts and queueing formulas (:mod:`sim.engine.flow`);
  summary only (``detail=False``), approximate (``summary()["approximation"]`` says where),
  it follows counts, not leads, so it is the cheapest per replication.

Replications run in blocks; with several blocks and several cores, blocks run in parallel
processes. Replication ``r`` depends only on ``(seed, r)``, so results are identical however
the work is split.

Examples
--------
>>> import sim
>>> scenario = sim.load("benchmarks/w1.yaml").replace({"horizon_days": 5})
>>> a = simulate(scenario, replications=3, seed=3, detail=False)
>>> b = simulate(scenario, replications=3, seed=3, engine="fast", detail=False, block=2)
>>> a.replications.equals(b.replications)
True
"""

from __future__ import annotations

import math
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from functools import cache
from tqdm.auto import tqdm

from sim.engine import des, fast, flow
from sim.lifetime import end_with_parent
from sim.memory import keep_freed_memory
from sim.results import Results
from sim.scenario import Scenario

__all__ = ["ENGINES", "EXACT", "SUMMARY_ONLY", "simulate"]

EXACT = {"des": des.run_replication, "fast": fast.run_replication}  # per lead; one replication per call
SUMMARY_ONLY = {"flow": flow.run_block}  # a block of replications per call, no per-lead tables
ENGINES = {**EXACT, **SUMMARY_ONLY}
BLOCK = 100  # replications per block of work


def _run_block(scenario: Scenario, engine: str, seed: int, first: int, stop: int, detail: bool) -> Results:
    """The results of replications ``first`` to ``stop - 1``."""
    keep_freed_memory()  # in whichever process runs them
    if engine in SUMMARY_ONLY:
        return SUMMARY_ONLY[engine](scenario, seed, first, stop)
    run = ENGINES[engine]
    # reps only for the detail, or to pay the scenario's incentive plans (sim.costs)
    timelines = (run(scenario, seed, r, reps=detail or bool(scenario.incentives)) for r in range(first, stop))
    return Results.from_timelines(scenario, timelines, engine, seed, detail=detail)


BACKGROUND_NICENESS = 10
"""How much lower the pool's workers run than the process that started them (``os.nice``)."""


def _start_worker(parent: int) -> None:
    """Pool initializer: end with ``parent`` (:func:`sim.lifetime.end_with_parent`) and yield the processor to
    it. A page refines its answer in the pool while its own process answers the next move and draws; at a
    lower priority the workers take only what the page leaves, so the refinement never delays the page,
    and on an otherwise idle machine they lose nothing."""
    end_with_parent(parent)
    os.nice(BACKGROUND_NICENESS)


@cache
def _pool(workers: int) -> ProcessPoolExecutor:
    """A pool kept for the session: starting processes and loading compiled code costs a second.

    Workers are spawned, not forked: a fork copies the locks of whatever threads the caller runs
    (Jupyter, pytest-xdist, tqdm) and can hang.
    """
    return ProcessPoolExecutor(
        workers, mp_context=multiprocessing.get_context("spawn"), initializer=_start_worker, initargs=(os.getpid(),)
    )


def simulate(
    scenario: Scenario,
    replications: int = 1,
    seed: int = 0,
    engine: str = "des",
    detail: bool = True,
    progress: bool | None = None,
    workers: int | None = None,
    block: int | None = None,
    start: int = 0,
) -> Results:
    """Run ``replications`` replications of ``scenario`` and gather the results.

    Parameters
    ----------
    scenario : the scenario to run (see :func:`sim.load`).
    replications : how many independent replications.
    seed : the run's seed; replication ``r`` draws from its own children of ``SeedSequence(seed)``,
        so it gives the same numbers whatever else runs, wherever it runs.
    engine : ``"des"`` (SimPy, the reference), ``"fast"`` (compiled; identical results) or ``"flow"``
        (a flow model: summary only, approximate).
    detail : keep the per-lead tables (``leads``, ``stage_times``, ``daily``, ``reps``);
        ``False`` keeps only per-replication and per-stage figures (much less memory).
    progress : show a progress bar; by default only when the run has several replications.
    workers : processes to use; by default every core when there is more than one block.
    block : replications per block of work; by default ``BLOCK``, or fewer so that each of the
        ``workers`` asked for gets a block (a widget's 20 replications on two cores: two blocks of 10).
    start : the first replication's number: replications ``start`` to ``start + replications - 1``, the
        same numbers as in a run from 0 (a page refines an answer batch after batch).
    """
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    if replications < 1:
        raise ValueError(f"replications must be at least 1, got {replications}")
    if detail and engine in SUMMARY_ONLY:
        raise ValueError(f"engine {engine!r} keeps no per-lead tables: simulate with detail=False")
    if block is None:
        block = min(BLOCK, math.ceil(replications / workers)) if workers else BLOCK
    blocks = [(first, min(first + block, start + replications)) for first in range(start, start + replications, block)]
    if workers is None:
        workers = min(len(blocks), os.cpu_count() or 1)
    show = replications > 1 if progress is None else progress
    bar = tqdm(total=replications, desc=f"{engine} replications", unit="rep", disable=not show or None)
    if workers > 1 and len(blocks) > 1:
        pool = _pool(workers)
        futures = [pool.submit(_run_block, scenario, engine, seed, first, stop, detail) for first, stop in blocks]
        parts = []
        for (first, stop), future in zip(blocks, futures):
            parts.append(future.result())
            bar.update(stop - first)
    else:
        parts = []
        for first, stop in blocks:
            parts.append(_run_block(scenario, engine, seed, first, stop, detail))
            bar.update(stop - first)
    bar.close()
    return Results.concat(parts)
