"""The command line: ``python -m sim validate|run|compare|sweep|report ...``.

Bad input (a wrong scenario file, a missing file) prints one line per problem on stderr
and exits with status 2, never with a traceback.

Examples
--------
>>> main(["validate", "benchmarks/w1.yaml"])
benchmarks/w1.yaml: ok
0
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Callable, Sequence

import pandas as pd

from sim.engine import ENGINES, simulate
from sim.errors import Problem, ScenarioError
from sim.scenario import load
from sim.store import ChunkStore

__all__ = ["main"]

EXIT_BAD_INPUT = 2


def _validate(args: argparse.Namespace) -> int:
    failed = False
    for file in args.files:
        try:
            load(file)
        except ScenarioError as exc:
            print(exc, file=sys.stderr)
            failed = True
        else:
            print(f"{file}: ok")
    return EXIT_BAD_INPUT if failed else 0


def _run(args: argparse.Namespace) -> int:
    scenario = load(args.file)
    results = simulate(scenario, replications=args.replications, seed=args.seed, engine=args.engine,
                       detail=args.detail and args.out is not None, progress=not args.quiet)
    summary = results.summary()
    print(f"{scenario.name}: {summary['replications']} replications, engine {summary['engine']}, seed {summary['seed']}")
    headline = pd.DataFrame({k: summary[k] for k in ("leads", "won", "revenue", "collected")}).T
    with pd.option_context("display.float_format", "{:,.1f}".format, "display.width", 120):
        print(headline.to_string())
        if summary["p_hit_target"] is not None:
            print(f"probability of reaching the target {summary['target']:,.0f}: {summary['p_hit_target']:.1%}")
        print(results.summary_table().to_string())
    if args.out is not None:
        results.save(args.out)
        print(f"wrote {Path(args.out) / 'summary.json'}")
    return 0


def _compare(args: argparse.Namespace) -> int:
    from sim.experiments import Strategy, compare
    from sim.overrides import parse_override

    overrides = dict(parse_override(text) for text in args.override)
    strategies = [Strategy(Path(f).stem, load(f)) for f in args.files]
    if overrides:
        base = strategies[-1]
        name = ", ".join(f"{k}={v}" for k, v in overrides.items())
        strategies.append(Strategy.from_overrides(name, base.scenario, overrides, file="--override"))
    if len(strategies) < 2:
        raise ScenarioError([Problem("", "give two or more scenario files, or one and --override KEY=VALUE")])
    names = [s.name for s in strategies]
    strategies = [Strategy(f"{s.name} ({i + 1})" if names.count(s.name) > 1 else s.name, s.scenario, s.overrides)
                  for i, s in enumerate(strategies)]
    result = compare(strategies, replications=args.replications, seed=args.seed, engine=args.engine,
                     workers=args.workers, dask=args.dask, progress=not args.quiet)
    result.save(args.out)
    table = pd.DataFrame({s["name"]: {"revenue (mean)": s["revenue"]["mean"], "won (mean)": s["won"]["mean"],
                                      "p_best": s["p_best"]} for s in result.summary()["strategies"]}).T
    print(table.to_string(float_format="{:,.3f}".format))
    print(f"wrote {Path(args.out) / 'comparison.json'}")
    return 0


def _sweep(args: argparse.Namespace) -> int:
    from sim.experiments import load_sweep, sweep

    spec = load_sweep(args.file)
    try:
        result = sweep(spec, args.out, workers=args.workers, dask=args.dask, force=args.force, progress=not args.quiet)
    except KeyboardInterrupt:
        print(f"interrupted; {len(ChunkStore(args.out).done())} of {len(spec.points)} points are saved in "
              f"{args.out}; run the same command again to resume", file=sys.stderr)
        return 130
    print(f"{len(spec.points)} points x {spec.spec.replications} replications: wrote {result.store.results_path}")
    return 0


def _report(args: argparse.Namespace) -> int:
    from sim.report import write_report

    print(f"wrote {write_report(args.dir, args.out)}")
    return 0


def _backend_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--workers", type=_positive_int, default=None, metavar="N",
                   help="local worker processes (default: all cores); with --dask local, the cluster's workers")
    p.add_argument("--dask", metavar="ADDRESS", help="run on a dask.distributed scheduler, or 'local' for a LocalCluster")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m sim", description="Salesplay: simulate and rehearse a sales plan.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("validate", help="check scenario files; print every problem, one line each")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.set_defaults(handler=_validate)

    p = sub.add_parser("run", help="simulate a scenario and summarise the results")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--engine", choices=ENGINES, default="des")
    p.add_argument("--replications", type=_positive_int, default=20, metavar="N")
    p.add_argument("--seed", type=int, default=0, metavar="S")
    p.add_argument("--out", type=Path, metavar="DIR", help="write summary.json and the tables (Parquet) here")
    p.add_argument("--summary-only", dest="detail", action="store_false",
                   help="with --out, write per-replication and per-stage tables only, not per-lead ones")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(handler=_run)

    p = sub.add_parser("compare", help="compare strategies on common random numbers; write comparison.json")
    p.add_argument("files", nargs="+", metavar="FILE", help="scenario files; the first is the baseline")
    p.add_argument("--override", action="append", default=[], metavar="KEY=VALUE",
                   help="add a strategy: the last file with these changes (repeatable)")
    p.add_argument("--engine", choices=ENGINES, default="des")
    p.add_argument("--replications", type=_positive_int, default=100, metavar="N")
    p.add_argument("--seed", type=int, default=0, metavar="S")
    p.add_argument("--out", type=Path, required=True, metavar="DIR")
    _backend_options(p)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(handler=_compare)

    p = sub.add_parser("sweep", help="run a parameter sweep (resumable) into DIR/results.parquet")
    p.add_argument("file", metavar="SPEC")
    p.add_argument("--out", type=Path, required=True, metavar="DIR")
    _backend_options(p)
    p.add_argument("--force", action="store_true", help="start afresh even if DIR holds results")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(handler=_sweep)

    p = sub.add_parser("report", help="an HTML or Excel report of a run, a comparison or a sweep")
    p.add_argument("dir", type=Path, metavar="DIR")
    p.add_argument("--out", type=Path, required=True, metavar="FILE", help="report.html or report.xlsx")
    p.set_defaults(handler=_report)
    return parser


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a positive whole number")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (2 for bad input)."""
    args = _parser().parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except ScenarioError as exc:
        print(exc, file=sys.stderr)
        return EXIT_BAD_INPUT
