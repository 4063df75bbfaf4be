"""Engines turn a scenario into results; every engine returns the same :class:`~sim.results.Results`.

Examples
--------
>>> import sim
>>> results = simulate(sim.load("benchmarks/w1.yaml"), replications=1, seed=3, detail=False)
>>> results.engine
'des'
"""

from __future__ import annotations

from typing import Iterator

from tqdm.auto import tqdm

from sim.engine import des
from sim.model.timeline import Timeline
from sim.results import Results
from sim.scenario import Scenario

__all__ = ["ENGINES", "simulate"]

ENGINES = ("des",)


def simulate(scenario: Scenario, replications: int = 1, seed: int = 0, engine: str = "des",
             detail: bool = True, progress: bool | None = None) -> Results:
    """Run ``replications`` replications of ``scenario`` and gather the results.

    Parameters
    ----------
    scenario : the scenario to run (see :func:`sim.load`).
    replications : how many independent replications.
    seed : the run's seed; replication ``r`` draws from its own child of ``SeedSequence(seed)``,
        so it gives the same numbers whatever else runs.
    engine : ``"des"``, the SimPy reference engine.
    detail : keep the per-lead tables (``leads``, ``stage_times``, ``daily``, ``reps``);
        ``False`` keeps only per-replication and per-stage figures.
    progress : show a progress bar; by default only when the run has several replications.
    """
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    if replications < 1:
        raise ValueError(f"replications must be at least 1, got {replications}")
    show = replications > 1 if progress is None else progress

    def timelines() -> Iterator[Timeline]:
        for r in tqdm(range(replications), desc=f"{engine} replications", disable=not show or None, unit="rep"):
            yield des.run_replication(scenario, seed, r)

    return Results.from_timelines(scenario, timelines(), engine, seed, detail=detail)
