"""Worker processes end when the process that started them dies.

A pool's workers wait for work on a pipe whose other end they also hold, so when their parent is
killed (``kill -9``, an out-of-memory kill, a closed notebook kernel) nothing tells them, and they
stay, each holding its memory, adopted by the system. Every pool of the project starts its workers
with :func:`end_with_parent`: a daemon thread in the worker checks that its parent is still the
process that started it and ends the worker at once when it is not. A thread rather than Linux's
``PR_SET_PDEATHSIG``: that signal fires when the *thread* that started a worker ends, which in a
pool may be a helper thread while the parent lives on.

A Ctrl-C in a terminal reaches every process of its group, the workers with their parent: a worker
then ends at once and quietly (the parent, interrupted too, reports it), rather than printing a
``KeyboardInterrupt`` traceback from wherever it was waiting.

Examples
--------
>>> import concurrent.futures as cf, multiprocessing, os
>>> with cf.ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"),
...                             initializer=end_with_parent, initargs=(os.getpid(),)) as pool:
...     pool.submit(os.getppid).result() == os.getpid()
True
"""

from __future__ import annotations

import os
import signal
import threading
import time

__all__ = ["end_with_parent", "CHECK_SECONDS"]

CHECK_SECONDS = 0.25
"""How often a worker looks at its parent: a worker outlives its parent by at most about this."""


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(CHECK_SECONDS)
    os._exit(1)  # no clean-up to run: the results would have nowhere to go


def _end_quietly(signum: int, frame) -> None:
    os._exit(128 + signum)  # the shell's code for a process ended by a signal


def end_with_parent(parent: int) -> None:
    """Pool initializer: end this process when ``parent`` (the pid of the process that started it) is gone,
    or at once and without a traceback on Ctrl-C."""
    if os.getppid() != parent:  # the parent died before the worker got here
        os._exit(1)
    signal.signal(signal.SIGINT, _end_quietly)
    threading.Thread(target=_watch, args=(parent,), name="end-with-parent", daemon=True).start()
