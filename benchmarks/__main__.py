"""Run every benchmark module (``bench_*.py``) in turn, or those named: ``python -m benchmarks des``."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path


def main(names: list[str]) -> None:
    here = Path(__file__).parent
    modules = sorted(p.stem for p in here.glob("bench_*.py"))
    chosen = [m for m in modules if not names or m.removeprefix("bench_") in names]
    for module in chosen:
        print(f"== {module}", flush=True)
        importlib.import_module(f"benchmarks.{module}").main()
        print(flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
