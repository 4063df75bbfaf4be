"""Where experiment tasks run: in this process, in local worker processes, or on a Dask cluster.

A task is a picklable call ``replicate(scenario, seed, replications, engine)`` returning one
row of figures per replication. Every replication draws from its own streams of
``SeedSequence(seed)``, so a task's result depends on its arguments only: serial, local
processes and Dask give the same numbers, to the bit, for any number of workers.

:func:`run_tasks` yields ``(key, table)`` as tasks finish (in completion order), shows a tqdm
progress bar with an ETA (terminal or notebook), and on Ctrl-C cancels what has not started
and re-raises :class:`KeyboardInterrupt`, so a caller that stored each table as it came keeps
all finished work.

Examples
--------
>>> import sim
>>> s = sim.load("benchmarks/w1.yaml").replace({"horizon_days": 5})
>>> table = replicate(s, seed=1, replications=2)
>>> list(table["replication"]), list(table.columns[:3])
([0, 1], ['replication', 'leads', 'won'])
>>> dict(run_tasks({"a": (s, 1, 2, "des")}, progress=False))["a"].equals(table)
True
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
import uuid
from contextlib import contextmanager
from typing import Any, Hashable, Iterator, Mapping

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from sim.costs import COLUMNS as COST_COLUMNS, add_profit
from sim.engine import simulate
from sim.errors import Problem, ScenarioError
from sim.lifetime import end_with_parent
from sim.scenario import Scenario

__all__ = ["FIGURES", "default_workers", "describe_backend", "replicate", "run_tasks"]

FIGURES = (
    "leads",
    "won",
    "lost",
    "open",
    "revenue",
    "collected",
    *COST_COLUMNS.values(),
    "total_cost",
    "profit",
    "win_days_total",
    "hit_target",
)
"""Per-replication figures of every experiment table (``hit_target`` is NaN without a target; costs and profit
as in :mod:`sim.costs`)."""


def replicate(scenario: Scenario, seed: int, replications: int, engine: str = "des") -> pd.DataFrame:
    """Run ``replications`` replications of ``scenario``; one row of :data:`FIGURES` per replication."""
    results = simulate(
        scenario, replications=replications, seed=seed, engine=engine, detail=False, progress=False, workers=1
    )  # one process per task: the parallelism is the experiment's
    table = add_profit(results.replications)
    target = scenario.targets.annual_revenue if scenario.targets else np.nan
    table["hit_target"] = np.where(np.isnan(target), np.nan, (table["revenue"] >= target).astype(float))
    return table[["replication", *FIGURES]]


def default_workers() -> int:
    """All cores this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


CONNECT_SECONDS = 5
"""How long to try to reach a Dask scheduler before saying it cannot be reached."""


@contextmanager
def _dask_client(address: str, workers: int | None):
    from distributed import Client, LocalCluster

    if address == "local":  # scheduler, workers and dashboard listen on this machine only
        with (
            LocalCluster(
                n_workers=workers or default_workers(),
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address="127.0.0.1:0",
            ) as cluster,
            Client(cluster) as client,
        ):
            yield client
        return
    try:
        client = Client(address, timeout=f"{CONNECT_SECONDS}s")
    except Exception as exc:  # unreachable (a timeout), not an address, or something else answering there
        reason = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise ScenarioError(
            [Problem("--dask", f"cannot reach a Dask scheduler at '{address}' within {CONNECT_SECONDS} s ({reason})")]
        ) from None
    with client:
        yield client


def run_tasks(
    tasks: Mapping[Hashable, tuple],
    workers: int | None = 1,
    dask: str | None = None,
    progress: bool | None = None,
    total: int | None = None,
    done: int = 0,
    desc: str = "tasks",
) -> Iterator[tuple[Hashable, pd.DataFrame]]:
    """Run :func:`replicate` on each task's arguments; yield ``(key, table)`` as each finishes.

    Parameters
    ----------
    tasks : key → ``(scenario, seed, replications, engine)``.
    workers : local processes (``None``: all cores; 1 with no ``dask``: this process).
        With ``dask="local"``, the number of workers of the ``LocalCluster``.
    dask : ``None``, ``"local"`` (start a ``LocalCluster``) or a scheduler address
        (``tcp://host:8786``) of an existing ``dask.distributed`` cluster.
    progress : show a progress bar (default: when there are several tasks).
    total, done : for the bar of a resumed run, the size of the whole run and what was done before.
    """
    tasks = dict(tasks)
    show = (len(tasks) > 1) if progress is None else progress
    bar = tqdm(
        total=total if total is not None else len(tasks),
        initial=done,
        desc=desc,
        unit="task",
        disable=not show or None,
        smoothing=0.1,
    )
    try:
        if dask is not None:
            yield from _on_dask(tasks, dask, workers, bar)
        elif (workers or default_workers()) > 1 and len(tasks) > 1:
            yield from _on_processes(tasks, workers or default_workers(), bar)
        else:
            for key, args in tasks.items():
                table = replicate(*args)
                bar.update()
                yield key, table
    finally:
        bar.close()


def _on_processes(tasks: dict, workers: int, bar: tqdm) -> Iterator[tuple[Hashable, pd.DataFrame]]:
    # "spawn": a clean interpreter per worker, safe whatever threads the driver runs (tqdm, Jupyter, numba).
    with cf.ProcessPoolExecutor(
        max_workers=min(workers, len(tasks)),
        mp_context=multiprocessing.get_context("spawn"),
        initializer=end_with_parent,
        initargs=(os.getpid(),),
    ) as pool:
        futures = {pool.submit(replicate, *args): key for key, args in tasks.items()}
        try:
            for future in cf.as_completed(futures):
                key = futures.pop(future)  # hold no finished result: the driver's memory stays bounded
                bar.update()
                yield key, future.result()
        except BaseException:  # Ctrl-C or a failed task: drop what has not started, keep what is done
            for future in futures:
                future.cancel()
            raise


def _on_dask(tasks: dict, address: str, workers: int | None, bar: tqdm) -> Iterator[tuple[Hashable, pd.DataFrame]]:
    from distributed import as_completed

    with _dask_client(address, workers) as client:
        run = uuid.uuid4().hex[:8]  # unique task keys, whatever else the cluster runs or has run
        futures = {
            client.submit(replicate, *args, pure=False, key=f"replicate-{key}-{run}"): key
            for key, args in tasks.items()
        }
        try:
            for future in as_completed(futures):
                key, table = futures.pop(future), future.result()
                future.release()  # hold no finished result: the driver's memory stays bounded
                bar.update()
                yield key, table
        except BaseException:
            client.cancel(list(futures))
            raise


def describe_backend(workers: int | None, dask: str | None) -> dict[str, Any]:
    """How a run was executed, for manifests and reports."""
    if dask is not None:
        return {"backend": "dask", "scheduler": dask, "workers": workers}
    n = workers or default_workers()
    return {"backend": "processes" if n > 1 else "serial", "workers": n}
