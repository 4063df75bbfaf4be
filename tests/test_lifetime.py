"""Worker processes end when the process that started them is killed (they used to stay, holding their memory)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT

POOL = """
import multiprocessing, time
import sim.engine
if __name__ == "__main__":
    pool = sim.engine._pool(2)
    list(pool.map(abs, range(8)))
    print(" ".join(str(p.pid) for p in multiprocessing.active_children()), flush=True)
    time.sleep(600)
"""

DASK = """
import os, time
from sim.execution import _dask_client
if __name__ == "__main__":
    with _dask_client("local", 1) as client:
        print(" ".join(str(pid) for pid in client.run(os.getpid).values()), flush=True)
        time.sleep(600)
"""


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, dead but not yet reaped by whoever adopted it, does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize(
    "backend",
    [pytest.param(POOL, id="process pool"), pytest.param(DASK, id="dask local", marks=pytest.mark.xdist_group("dask"))],
)
def test_workers_end_when_their_parent_is_killed(backend, tmp_path):
    script = tmp_path / "parent.py"  # a file, so that Dask's spawned workers can import the parent's main module
    script.write_text(backend)
    parent = subprocess.Popen(
        [sys.executable, str(script)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        workers = [int(p) for p in parent.stdout.readline().split()]
        assert workers and all(_alive(pid) for pid in workers)
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        deadline = time.monotonic() + 30  # the workers look at their parent a few times a second
        while any(_alive(pid) for pid in workers):
            assert time.monotonic() < deadline, f"workers {workers} outlived their parent"
            time.sleep(0.05)
    finally:
        parent.kill()
