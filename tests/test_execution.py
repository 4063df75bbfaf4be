"""Backends: serial, local processes and a real Dask cluster give identical results; kill and resume."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import sim
from sim import load
from sim.cli import main
from sim.execution import replicate
from sim.experiments import Strategy, compare, load_sweep, sweep
from sim.overrides import apply_overrides

from .conftest import ROOT
from .memory_probe import ONE_ROUND, reallocation_faults

SPEC = f"""\
scenario: {ROOT / "playbooks" / "b2b_saas.yaml"}
parameters:
  teams.solutions.headcount: [9, 13]
  channels.inbound.leads_per_day: [20, 30, 40, 50]
replications: 3
seed: 11
engine: fast  # the kill tests stop the sweep at a gate (below), not by racing its speed
overrides: {{horizon_days: 60}}
"""


@pytest.fixture(scope="module")
def cluster():
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster:
        yield cluster.scheduler_address


@pytest.fixture
def spec_file(tmp_path):
    path = tmp_path / "sweep.yaml"
    path.write_text(SPEC)
    return path


def _sweep_table(spec_file, out, **backend) -> pd.DataFrame:
    return sweep(load_sweep(spec_file), out, progress=False, **backend).table()


@pytest.mark.xdist_group("dask")
def test_serial_processes_and_dask_sweeps_are_identical_to_the_bit(spec_file, tmp_path, cluster):
    serial = _sweep_table(spec_file, tmp_path / "serial", workers=1)
    for name, backend in {
        "two processes": {"workers": 2},
        "three processes": {"workers": 3},
        "dask": {"dask": cluster},
    }.items():
        other = _sweep_table(spec_file, tmp_path / name, **backend)
        pd.testing.assert_frame_equal(serial, other, check_exact=True, obj=name)
    assert (tmp_path / "serial" / "results.parquet").read_bytes() == (
        tmp_path / "dask" / "results.parquet"
    ).read_bytes()


@pytest.mark.xdist_group("dask")
def test_dask_comparison_is_identical_to_serial(cluster):
    base = apply_overrides(load(ROOT / "playbooks" / "b2b_saas.yaml"), {"horizon_days": 60})
    strategies = [Strategy("base", base), Strategy.from_overrides("more", base, {"teams.sdr.headcount": 6})]
    serial = compare(strategies, replications=2, seed=4, progress=False)
    on_dask = compare(strategies, replications=2, seed=4, dask=cluster, progress=False)
    pd.testing.assert_frame_equal(serial.replications, on_dask.replications, check_exact=True)
    assert on_dask.summary()["backend"] == "dask"


@pytest.mark.xdist_group("dask")
def test_cli_sweep_on_a_dask_scheduler(spec_file, tmp_path, cluster, capsys):
    assert main(["sweep", str(spec_file), "--dask", cluster, "--out", str(tmp_path / "d"), "--quiet"]) == 0
    assert len(pd.read_parquet(tmp_path / "d" / "results.parquet")) == 8 * 3


# The sweep command with a gate: the point after the first `hold` waits for the test, reading a standard
# input that never comes, so the sweep cannot finish before the test has stopped it, however slow or busy the
# machine. A signal ends the wait as it would end a computation (SIGINT: KeyboardInterrupt).
#
# Ctrl-C must reach the sweep as KeyboardInterrupt even when the test runner's worker ignores SIGINT (an ignored
# signal is inherited by child processes, and Python then leaves it ignored), hence the handler set first.
_GATED_SWEEP = """
import signal
import sys
signal.signal(signal.SIGINT, signal.default_int_handler)
import sim.execution
from sim.cli import main

hold, compute, calls = int(sys.argv[1]), sim.execution.replicate, []

def replicate(*args):
    if len(calls) == hold:
        sys.stdin.read()
    calls.append(args)
    return compute(*args)

sim.execution.replicate = replicate
sys.exit(main(sys.argv[2:]))
"""

# A guard against a sweep that hangs, not a measure of speed: the states waited for come within seconds.
_HANG = 600


def _start_sweep(spec_file: Path, out: Path, hold: int | None = None) -> subprocess.Popen:
    """The sweep command in a new process; with ``hold``, it stops before computing the point after ``hold``."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TQDM_DISABLE": "1"}
    command = ["sweep", str(spec_file), "--workers", "1", "--out", str(out)]
    start = ["-c", _GATED_SWEEP, str(hold)] if hold is not None else ["-m", "sim"]
    return subprocess.Popen(
        [sys.executable, *start, *command],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for_chunks(process: subprocess.Popen, out: Path, n: int) -> None:
    """Wait until ``n`` points are on disk (a held sweep writes no more before it is signalled)."""
    deadline = time.monotonic() + _HANG
    while len(list((out / "chunks").glob("*.parquet"))) < n:
        assert process.poll() is None, process.communicate()[1]
        assert time.monotonic() < deadline, f"no {n} points on disk after {_HANG} s"
        time.sleep(0.02)


def test_a_killed_sweep_resumes_where_it_stopped(spec_file, tmp_path):
    out = tmp_path / "killed"
    process = _start_sweep(spec_file, out, hold=2)
    _wait_for_chunks(process, out, 2)
    process.kill()
    process.communicate()
    kept = {p.name: p.stat().st_mtime_ns for p in (out / "chunks").glob("*.parquet")}
    assert len(kept) == 2 and not (out / "results.parquet").exists()
    for chunk in (out / "chunks").glob("*.parquet"):
        assert len(pd.read_parquet(chunk)) == 3  # never half written (a leftover could only be a hidden .tmp)
    resumed = _start_sweep(spec_file, out)
    _, err = resumed.communicate(timeout=_HANG)
    assert resumed.returncode == 0, err
    assert all((out / "chunks" / name).stat().st_mtime_ns == stamp for name, stamp in kept.items())
    whole = _sweep_table(spec_file, tmp_path / "whole", workers=1)
    pd.testing.assert_frame_equal(pd.read_parquet(out / "results.parquet"), whole, check_exact=True)


def test_ctrl_c_stops_cleanly_and_keeps_finished_points(spec_file, tmp_path):
    out = tmp_path / "interrupted"
    process = _start_sweep(spec_file, out, hold=1)
    _wait_for_chunks(process, out, 1)
    process.send_signal(signal.SIGINT)
    process.wait(timeout=_HANG)  # stdin stays open: the gate holds until the signal has been handled
    err = process.stderr.read()
    process.stdin.close()
    assert process.returncode == 130, err
    assert "Traceback" not in err and "run the same command again to resume" in err
    assert len(list((out / "chunks").glob("*.parquet"))) == 1


@pytest.mark.xdist_group("dask")
def test_dask_workers_keep_freed_arrays_once_they_have_run_a_task():
    # Dask's nanny sets MALLOC_TRIM_THRESHOLD_, which pins glibc's mmap threshold at 128 KiB: without
    # sim.memory, each array a replication allocates is mapped afresh, and replications run at half speed.
    from sim.execution import _dask_client

    scenario = load(ROOT / "benchmarks" / "w1.yaml").model_copy(update={"horizon_days": 2})
    with _dask_client("local", 1) as client:
        untuned = client.run(reallocation_faults)
        client.submit(replicate, scenario, 1, 1, "fast").result()
        tuned = client.run(reallocation_faults)
    assert list(untuned.values())[0] > 10 * ONE_ROUND  # the test sees the problem ...
    assert list(tuned.values())[0] < 2 * ONE_ROUND  # ... and its fix


@pytest.mark.xdist_group("dask")
def test_cli_compare_with_dask_local_starts_its_own_cluster(tmp_path):
    path = tmp_path / "b2b.yaml"
    sim.dump(apply_overrides(load(ROOT / "playbooks" / "b2b_saas.yaml"), {"horizon_days": 30}), path)
    out = tmp_path / "cmp"
    args = ["compare", str(path), "--override", "teams.sdr.headcount=2", "--replications", "2", "--quiet"]
    assert main([*args, "--out", str(tmp_path / "serial"), "--workers", "1"]) == 0
    assert main([*args, "--out", str(out), "--dask", "local", "--workers", "2"]) == 0
    pd.testing.assert_frame_equal(
        pd.read_parquet(out / "replications.parquet"),
        pd.read_parquet(tmp_path / "serial" / "replications.parquet"),
        check_exact=True,
    )


def _listening_addresses(port: int) -> set[str]:
    """Local addresses of the sockets listening on ``port`` (from /proc/net/tcp and tcp6)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not Path(table).exists():
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                found.add(address)
    return found


@pytest.mark.xdist_group("dask")
@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads /proc/net/tcp")
def test_dask_local_dashboard_listens_on_this_machine_only():
    """The original failure: `--dask local` started a dashboard listening on every interface."""
    from sim.execution import _dask_client

    with _dask_client("local", 1) as client:
        port = int(client.dashboard_link.split(":")[2].split("/")[0])
        addresses = _listening_addresses(port)
        scheduler = client.scheduler.address
    assert addresses == {"0100007F"}  # 127.0.0.1, little-endian hex: nothing on 0.0.0.0 or ::
    assert scheduler.startswith("tcp://127.0.0.1:")
