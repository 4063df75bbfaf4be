"""Progressive precision: a page answers a change from a quick batch, then refines it in the background.

A change is answered at once from the policy's first replications (:func:`sim.settings.answer`),
simulated in the page's own process: a handful of replications costs less than handing them to
worker processes, which may still be starting when a page first loads. A background thread then
simulates further batches on every core, each bringing the count to ``growth`` times what is done
(the interval narrows by about half with each when ``growth`` is 4), and redraws after each with
every replication so far, until the full count. Replication ``r`` draws only from its own streams,
so the refined figure is the one a command with the same seed and count prints, and each batch only
narrows the interval. The next batch is already simulating while a batch is drawn (drawing a chart
takes the page's own process; the batches run in the engine's worker processes), so drawing adds
nothing to the time to the full count. A newer change cancels the older refinement: its thread stops
at the next batch and nothing it computed is drawn (a lock orders the drawing).

Examples
--------
>>> import sim
>>> from sim.settings import Answer
>>> drawn = []
>>> refiner = Refiner(Answer(seed=0, quick=2, replications=12), growth=2)
>>> scenario = sim.load("benchmarks/w1.yaml").replace({"horizon_days": 30})
>>> refiner.start(scenario, lambda results, done: drawn.append((len(results.replications), done)))
>>> refiner.wait()
>>> drawn
[(2, False), (4, False), (8, False), (12, True)]
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Callable

from sim.engine import simulate
from sim.results import Results
from sim.scenario import Scenario
from sim.settings import Answer, answer

__all__ = ["Refiner"]

Draw = Callable[[Results, bool], None]  # (every replication so far, whether the answer is final)


class Refiner:
    """Runs a scenario at the policy's quick count, then to its full count in the background.

    ``draw(results, final)`` is called with every replication so far: once from the caller's
    thread with the quick batch, then from the background thread after each further batch.
    ``on_error(exception)`` is called instead when a batch fails. ``detail`` keeps the per-lead
    tables (a page that pays reps from them).
    """

    def __init__(
        self,
        policy: Answer | None = None,
        growth: int = 4,
        workers: int | None = 1,
        engine: str = "fast",
        on_error: Callable[[Exception], None] | None = None,
        detail: bool = False,
    ):
        if growth < 2:
            raise ValueError(f"growth must be at least 2 (each batch multiplies the count), got {growth}")
        self.policy = policy or answer()
        self.growth = growth
        self.workers = workers
        self.engine = engine
        self.on_error = on_error
        self.detail = detail
        self._generation = 0
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def _simulate(self, scenario: Scenario, replications: int, start: int, workers: int | None) -> Results:
        return simulate(
            scenario,
            replications=replications,
            seed=self.policy.seed,
            engine=self.engine,
            detail=self.detail,
            progress=False,
            workers=workers,
            start=start,
        )

    def start(self, scenario: Scenario, draw: Draw) -> None:
        """Answer ``scenario`` now from the quick batch; refine it in the background (cancelling older work)."""
        with self._lock:
            self._generation += 1
            generation = self._generation
        results = self._simulate(scenario, self.policy.quick, 0, workers=1)
        final = self.policy.quick >= self.policy.replications
        with self._lock:
            if generation != self._generation:
                return
            draw(results, final)
        if not final:
            self._thread = threading.Thread(
                target=self._refine, args=(generation, scenario, results, draw), name="salesplay-refine", daemon=True
            )
            self._thread.start()

    def cancel(self) -> None:
        """Stop refining: whatever is running is dropped at its next batch."""
        with self._lock:
            self._generation += 1

    @property
    def busy(self) -> bool:
        """Whether a refinement is still running."""
        return self._thread is not None and self._thread.is_alive()

    def wait(self) -> None:
        """Block until the running refinement (if any) has finished or stopped."""
        if self._thread is not None:
            self._thread.join()

    def _refine(self, generation: int, scenario: Scenario, first: Results, draw: Draw) -> None:
        parts, done, full = [first], self.policy.quick, self.policy.replications
        ahead = ThreadPoolExecutor(
            1, thread_name_prefix="salesplay-batch"
        )  # simulates the next batch while one is drawn
        try:
            batch, count = self._next_batch(ahead, generation, scenario, done)
            while batch is not None:
                try:
                    parts.append(batch.result())
                except Exception as error:  # shown in the page: a failed batch must not die silently in a thread
                    if self.on_error is not None and generation == self._generation:
                        self.on_error(error)
                    return
                done += count
                batch, count = self._next_batch(ahead, generation, scenario, done)
                with self._lock:
                    if generation != self._generation:
                        return
                    draw(Results.concat(parts), done >= full)
        finally:
            ahead.shutdown(wait=False, cancel_futures=True)

    def _next_batch(
        self, ahead: ThreadPoolExecutor, generation: int, scenario: Scenario, done: int
    ) -> tuple[Future | None, int]:
        """The next batch from replication ``done``, started (and its size); none once the full count is
        reached or a newer change has come."""
        count = min(done * (self.growth - 1), self.policy.replications - done)
        if count <= 0 or generation != self._generation:
            return None, 0
        return ahead.submit(self._simulate, scenario, count, done, self.workers), count
