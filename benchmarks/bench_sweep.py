"""A sweep of W1 on 1 and 2 local worker processes and on a 2-worker Dask LocalCluster.

Prints the wall time of each backend and the scaling efficiency (serial time / (workers x
time)), and checks that every backend wrote the same results. The full size is 200 points x
200 replications on the fast engine; with only the reference engine (about a second per W1
replication) it runs a smaller sweep and says so. Results stream to disk point by point, so
the driver's memory does not grow with the sweep (its peak is printed too).
"""

from __future__ import annotations

import resource
import tempfile
import time
from pathlib import Path

import pandas as pd

from sim.engine import ENGINES
from sim.experiments import load_sweep, sweep

W1 = Path(__file__).with_name("w1.yaml")
FULL = {"engine": "fast", "points": 200, "replications": 200}
REFERENCE = {"engine": "des", "points": 8, "replications": 4}


def _spec(directory: Path, engine: str, points: int, replications: int) -> Path:
    path = directory / "sweep.yaml"
    path.write_text(f"""\
scenario: {W1.resolve()}
design: lhs
points: {points}
parameters:
  teams.qualifiers.headcount: [16, 24]
  teams.proposers.headcount: [30, 42]
  channels.inbound.leads_per_day: [180.0, 220.0]
replications: {replications}
seed: 1
engine: {engine}
""")
    return path


def main(points: int | None = None, replications: int | None = None) -> None:
    size = dict(FULL if "fast" in ENGINES else REFERENCE)
    size |= {k: v for k, v in {"points": points, "replications": replications}.items() if v is not None}
    print(
        f"sweep of W1: {size['points']} points x {size['replications']} replications, engine {size['engine']}"
        + ("" if size["engine"] == "fast" else " (the fast engine is not available; a smaller sweep)")
    )
    with tempfile.TemporaryDirectory() as tmp:
        spec = load_sweep(_spec(Path(tmp), **size))
        backends = {
            "1 local worker": {"workers": 1},
            "2 local workers": {"workers": 2},
            "Dask LocalCluster, 2 workers": {"dask": "local", "workers": 2},
        }
        times, tables = {}, {}
        for name, backend in backends.items():
            start = time.perf_counter()
            result = sweep(spec, Path(tmp) / name, progress=False, **backend)
            times[name] = time.perf_counter() - start
            tables[name] = result.table()
        serial = times["1 local worker"]
        rows = [
            {"backend": name, "wall_s": t, "efficiency": serial / (t * (1 if name.startswith("1 ") else 2))}
            for name, t in times.items()
        ]
        print(pd.DataFrame(rows).to_string(index=False, float_format="{:.2f}".format))
        same = all(t.equals(tables["1 local worker"]) for t in tables.values())
        print(f"identical results on every backend: {same}")
        print(f"driver peak memory: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
