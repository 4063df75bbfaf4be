"""The command line: ``python -m sim validate|run|plan|allocate|compare|sweep|report|calibrate|backtest|forecast|
track|diagnose|tiers|incentives ...``.

Bad input (a wrong scenario file, a missing file, an ``--out`` that cannot be written, a run
too big for the machine) prints one line per problem on stderr and exits with status 2, never
with a traceback; output paths are checked before any work starts, and every file is written
whole or not at all (:mod:`sim.outputs`).

Examples
--------
>>> main(["validate", "benchmarks/w1.yaml"])
benchmarks/w1.yaml: ok
0
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import re
import sys
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import pandas as pd

from sim.engine import ENGINES, SUMMARY_ONLY, simulate
from sim.errors import Problem, ScenarioError
from sim.scenario import Scenario, load
from sim.spreadsheet import write_csv
from sim.experiments import DEFAULT_ENGINE
from sim.limits import check as check_limits
from sim.outputs import output_dir, output_file, remove_stale, write_json, write_text, write_with
from sim.store import ChunkStore
from sim.targets import METHODS
from sim.yaml_io import field_lines, parse_yaml, read_text

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


def _within_limits(args: argparse.Namespace, file: str, scenario: Scenario, replications: int, engine: str,
                   detail: bool, runs: int = 1, replications_option: str = "--replications") -> None:
    """Refuse a run too big for the machine (unless ``--no-limits``), placed at the field's line in ``file``."""
    if args.no_limits:
        return
    try:
        check_limits(scenario, replications, engine, detail, runs, replications_option)
    except ScenarioError as exc:
        _, lines = parse_yaml(read_text(file), file)
        raise exc.with_file(file, field_lines(lines)) from None


def _run(args: argparse.Namespace) -> int:
    scenario = load(args.file)
    detail = args.detail and args.out is not None and args.engine not in SUMMARY_ONLY
    _within_limits(args, args.file, scenario, args.replications, args.engine, detail)
    out = output_dir(args.out) if args.out is not None else None
    results = simulate(scenario, replications=args.replications, seed=args.seed, engine=args.engine,
                       detail=detail, progress=not args.quiet)
    summary = results.summary()
    print(f"{scenario.name}: {summary['replications']} replications, engine {summary['engine']}, seed {summary['seed']}")
    headline = pd.DataFrame({k: summary[k] for k in ("leads", "opening", "won", "revenue", "collected")}).T
    print(headline.to_string(float_format="{:,.0f}".format))
    print(_opening_line(scenario))
    if summary["p_hit_target"] is not None:
        print(f"probability of reaching the target {summary['target']:,.0f}: {summary['p_hit_target']:.1%}")
    print()
    print(results.summary_table().to_string(formatters=_STAGE_FORMATS))
    if out is not None:
        results.save(out)
        print(f"wrote {out / 'summary.json'}")
    return 0


def _opening_line(scenario) -> str:
    """How the simulated year opens and whose days count as working days, in words."""
    from sim.model.opening import in_words

    opening = f"opening: {in_words(scenario)}"
    calendar = "reps work on their calendar's working days" if scenario.calendar or any(
        t.calendar for t in scenario.teams) else "reps work every calendar day (no calendar given)"
    return f"{opening}; {calendar}"


_STAGE_FORMATS = {
    "entered": "{:,.1f}".format, "converted": "{:,.1f}".format, "conversion_rate": "{:.1%}".format,
    "abandoned": "{:,.1f}".format, "abandon_rate": "{:.1%}".format,
    "mean_wait_days": "{:.2f}".format, "mean_work_days": "{:.2f}".format,
    "mean_days_in_stage": "{:.2f}".format, "utilisation": "{:.1%}".format,
}


def _plan(args: argparse.Namespace) -> int:
    from sim.feasibility import feasibility
    from sim.targets import plan_table

    scenario = load(args.file)
    _within_limits(args, args.file, scenario, args.replications, args.engine, detail=False)
    out = output_dir(args.out) if args.out is not None else None
    options = {"reserve_month": args.reserve_month, "reserve_share": args.reserve_share} if args.method == "reserve" \
        else {}
    try:
        plan = plan_table(scenario, args.target, args.method, args.challenge, **options)
    except ValueError as exc:
        print(f"{args.file}: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    report = feasibility(scenario, plan, replications=args.replications, seed=args.seed, engine=args.engine,
                         planned=True)
    planned_text = report.pop("planned_scenario")
    company = plan[plan.level == "company"].set_index("period")
    shown = company[["revenue_target", "deals", "leads", "budget"]].assign(
        p_hit=[report["p_hit"][p] for p in company.index],
        p_hit_planned=[report["planned"]["p_hit"][p] for p in company.index])
    print(f"{scenario.name}: plan by month ({args.method}), {args.replications} replications")
    print(shown.to_string(formatters={"revenue_target": "{:,.0f}".format, "deals": "{:,.1f}".format,
                                      "leads": "{:,.0f}".format, "budget": "{:,.0f}".format,
                                      "p_hit": "{:.0%}".format, "p_hit_planned": "{:.0%}".format}))
    print("leads: bought one sales cycle ahead of the revenue they bring; p_hit: the scenario as it stands; "
          "p_hit_planned: the scenario that carries the plan out (scenario.yaml with --out)")
    print(f"probability of reaching the annual target: {report['p_hit_annual']:.1%} as it stands, "
          f"{report['planned']['p_hit_annual']:.1%} as planned")
    for hire_team, hires in report["planned"]["hires"].items():
        if hires:
            print(f"planned hires, {hire_team}: " + ", ".join(f"{h['count']} on day {h['day']}" for h in hires))
    assumptions = report["assumptions"]
    print(f"{assumptions['opening']} ({report['opening_pipeline']:,.0f} leads in the funnel on day 0); "
          + "; ".join(f"{team} works {days}" for team, days in assumptions["working_days"].items()))
    gone_cold = {stage: n for stage, n in report["abandoned"].items() if n > 0}
    if gone_cold:
        print("leads going cold a year: " + ", ".join(f"{stage} {n:,.0f}" for stage, n in gone_cold.items()))
    for gap in report["staffing_gaps"] or ["no staffing gap"]:
        print(gap)
    for problem in report["problems"]:
        print(f"the plan cannot: {problem}")
    if out is not None:
        write_csv(out / "plan.csv", plan)
        write_json(out / "feasibility.json", report)
        write_text(out / "scenario.yaml", planned_text)
        print(f"wrote {out / 'plan.csv'}, {out / 'feasibility.json'} and {out / 'scenario.yaml'} "
              "(the scenario that carries the plan out)")
    return 0


def _allocate(args: argparse.Namespace) -> int:
    from sim.allocation import focus_rules, optimise, routing_rules

    scenario = load(args.file)
    _within_limits(args, args.file, scenario, args.replications, args.engine, detail=False)
    out = output_dir(args.out) if args.out is not None else None
    try:
        result = optimise(scenario, args.budget, args.headcount, args.objective, args.steps, args.replications,
                          args.seed, args.engine)
    except ValueError as exc:
        print(f"{args.file}: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    for name in ("current", "chosen"):
        part = result[name]
        print(f"{name:>8}: budget {', '.join(f'{k} {v:,.0f}' for k, v in part['budget'].items())}; "
              f"reps {', '.join(f'{k} {v}' for k, v in part['headcount'].items())}; "
              f"mean revenue {part['revenue']['mean']:,.0f}")
    gain = result["gain"]
    print(f"gain: {gain['mean']:,.0f} (95% interval {gain['ci95'][0]:,.0f} to {gain['ci95'][1]:,.0f}); "
          f"better in {gain['p_better']:.0%} of replications")
    run = (args.replications, args.seed, args.engine)
    weighed = {}  # rules to weigh on the same leads: key in allocation.json -> (title, comparison)
    if args.focus:
        weighed["focus"] = ("focus rule (every team serves these tiers first):", lambda: focus_rules(scenario, *run))
    if args.route:
        stage, tiers, seniors, skill = args.route
        weighed["routing"] = (f"routing at {stage} (seniors convert {skill:g} times the stage's rate):",
                              lambda: routing_rules(scenario, stage, tiers, seniors, skill, *run))
    for key, (title, weigh) in weighed.items():
        try:
            rules = weigh()
        except ValueError as exc:
            print(f"{args.file}: {exc}", file=sys.stderr)
            return EXIT_BAD_INPUT
        print(title)
        print(rules.drop(columns="priority", errors="ignore").to_string(float_format=lambda v: f"{v:,.2f}"))
        result[key] = rules.reset_index().to_dict(orient="records")
    if out is not None:
        write_json(out / "allocation.json", result)
        print(f"wrote {out / 'allocation.json'}")
    return 0


def _compare(args: argparse.Namespace) -> int:
    from sim.experiments import Strategy, compare
    from sim.overrides import parse_override

    strategies = [Strategy(Path(f).stem, load(f)) for f in args.files]
    base = strategies[0]
    for text in args.override:
        key, value = parse_override(text)
        strategies.append(Strategy.from_overrides(f"{base.name} + {key}={value}", base.scenario, {key: value},
                                                  file="--override"))
    if len(strategies) < 2:
        raise ScenarioError([Problem("", "give two or more scenario files, or one and --override KEY=VALUE")])
    names = [s.name for s in strategies]
    strategies = [Strategy(f"{s.name} ({i + 1})" if names.count(s.name) > 1 else s.name, s.scenario, s.overrides)
                  for i, s in enumerate(strategies)]
    biggest = max(strategies, key=lambda s: s.scenario.horizon_days * sum(c.leads_per_day for c in s.scenario.channels))
    _within_limits(args, args.files[0], biggest.scenario, args.replications, args.engine, detail=False,
                   runs=len(strategies))
    if args.out is not None:
        output_dir(args.out)
    try:
        result = compare(strategies, replications=args.replications, seed=args.seed, engine=args.engine,
                         workers=args.workers, dask=args.dask, progress=not args.quiet, out=args.out, force=args.force)
    except KeyboardInterrupt:
        kept = f"; finished strategies are saved in {args.out}, run the same command to resume" if args.out else ""
        print(f"interrupted{kept}", file=sys.stderr)
        return 130
    summary = result.summary()
    table = pd.DataFrame([{
        "strategy": s["name"], "revenue mean": s["revenue"]["mean"],
        "95% interval": f"{s['revenue']['ci95'][0]:,.0f} to {s['revenue']['ci95'][1]:,.0f}",
        "vs baseline": "" if "revenue_difference" not in s else
        f"{s['revenue_difference']['mean']:+,.0f} ({s['revenue_difference']['ci95'][0]:+,.0f} to "
        f"{s['revenue_difference']['ci95'][1]:+,.0f})",
        "P(best)": s["p_best"],
        "P(target)": None if s["p_hit_target"] is None else s["p_hit_target"]["mean"]} for s in summary["strategies"]])
    print(f"{args.replications} replications on common random numbers (seed {args.seed}, engine {args.engine})")
    print(table.to_string(index=False, formatters={"revenue mean": "{:,.0f}".format, "P(best)": "{:.0%}".format,
                                                   "P(target)": lambda p: "" if p is None else f"{p:.0%}"}))
    if args.out is not None:
        print(f"wrote {args.out / 'comparison.json'}")
    return 0


def _sweep(args: argparse.Namespace) -> int:
    from sim.experiments import load_sweep, sweep

    spec = load_sweep(args.file, limit_points=not args.no_limits)
    s = spec.spec
    biggest = max(spec.scenarios, key=lambda p: p.horizon_days * sum(c.leads_per_day for c in p.channels))
    _within_limits(args, args.file, biggest, s.replications, s.engine, detail=False, runs=len(spec.scenarios),
                   replications_option="replications")
    output_dir(args.out)
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


def _read_crm(export: Path, mapping: str):
    """The export read through the mapping, its report (rows used, rows skipped and why) printed."""
    from sim.crm import read_opportunities

    crm = read_opportunities(export, mapping)
    print(crm.report)
    return crm


def _calibrate(args: argparse.Namespace) -> int:
    from sim.calibrate import calibrate
    from sim.scenario import dump

    out = output_file(args.out, (".yaml", ".yml"))
    report = output_dir(args.report, "--report") if args.report is not None else None
    crm = _read_crm(args.export, args.mapping)
    try:
        cal = calibrate(crm)
    except ValueError as exc:
        print(f"{args.export}: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(cal)
    dump(cal.scenario(horizon_days=args.horizon_days, name=args.name), out)
    print(f"wrote {out}")
    if report is not None:
        write_csv(report / "rejected_rows.csv", crm.report.skipped)
        for name in ("conversion", "time_fits", "values", "reps", "arrivals", "cycle"):
            write_csv(report / f"{name}.csv", getattr(cal, name), index=True)
        write_json(report / "calibration.json", {
            "rows_read": cal.rows_read, "rows_used": cal.rows_used, "as_of": str(cal.as_of.date()),
            "win_probability": cal.win_probability, "problems": crm.report.counts.to_dict(), "notes": list(cal.notes)})
        print(f"wrote the rejected rows and the fitted figures to {report}")
    return 0


def _backtest(args: argparse.Namespace) -> int:
    from sim.forecast import backtest

    out = output_dir(args.out)
    crm = _read_crm(args.export, args.mapping)
    try:
        table = backtest(crm, args.cutoff, until=args.until, period_days=args.period_days,
                         replications=args.replications, seed=args.seed,
                         known_arrivals=args.known_arrivals, hazard_days=args.hazard_days)
    except ValueError as exc:
        print(f"{args.export}: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    shown = table[["cutoff", "until", "predicted_won_p50", "actual_won", "predicted_revenue_p10", "predicted_revenue_p50",
                   "predicted_revenue_p90", "actual_revenue", "naive_revenue", "abs_pct_error", "naive_abs_pct_error",
                   "covered"]]
    print(shown.to_string(index=False, float_format="{:,.2f}".format))
    records = []
    for row in table.to_dict("records"):
        record = {k: v for k, v in row.items() if not k.startswith(("predicted_won_", "predicted_revenue_"))}
        for measure in ("won", "revenue"):
            record[f"predicted_{measure}"] = {q: row[f"predicted_{measure}_{q}"] for q in ("mean", "p10", "p50", "p90")}
        records.append({k: (str(v) if k in ("cutoff", "until") else v) for k, v in record.items()})
    result = dict(records[0]) if len(records) == 1 else {}
    result.update({"replications": args.replications, "seed": args.seed, "backtests": records,
                   "mean_abs_pct_error": float(table["abs_pct_error"].mean()),
                   "naive_mean_abs_pct_error": float(table["naive_abs_pct_error"].mean()),
                   "coverage": float(table["covered"].mean())})
    write_csv(out / "backtest.csv", table)
    write_json(out / "backtest.json", result)
    print(f"wrote {out / 'backtest.json'}")
    return 0


def _forecast(args: argparse.Namespace) -> int:
    from sim.calibrate import calibrate
    from sim.forecast import forecast
    from sim.plots.forecast import fan_chart

    out = output_dir(args.out)
    crm = _read_crm(args.export, args.mapping)
    if args.as_of is not None:
        crm = crm.as_known_on(args.as_of)
    try:
        until = args.until or (crm.as_of + pd.offsets.QuarterEnd(0) if crm.as_of != crm.as_of + pd.offsets.QuarterEnd(0)
                               else crm.as_of + pd.offsets.QuarterEnd(1))
        outlook = forecast(crm, until, replications=args.replications, seed=args.seed,
                           cal=calibrate(crm, hazard_days=args.hazard_days))
    except ValueError as exc:
        print(f"{args.export}: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    result = {"from": str(outlook.start.date()), "until": str(outlook.end.date()), "open_deals": outlook.open_deals,
              "won": outlook.won_quantiles(), "revenue": outlook.revenue_quantiles(),
              "weighted_pipeline": outlook.weighted, "open_pipeline_expected": outlook.weighted_by_age,
              "target": args.target, "p_hit_target": None if args.target is None else outlook.p_hit(args.target)}
    rev = result["revenue"]
    print(f"forecast {result['from']} to {result['until']} from {outlook.open_deals:,} open deals and new arrivals:")
    print(f"  revenue P10 {rev['p10']:,.0f}  P50 {rev['p50']:,.0f}  P90 {rev['p90']:,.0f}; "
          f"won deals P50 {result['won']['p50']:,.0f}")
    print(f"  weighted pipeline (stage probability x value): {outlook.weighted:,.0f}")
    if args.target is not None:
        print(f"  probability of reaching {args.target:,.0f}: {result['p_hit_target']:.0%}")
    write_json(out / "forecast.json", result)
    write_csv(out / "fan.csv", outlook.fan(), index=True)
    _write_png(out / "fan.png", fan_chart(outlook, target=args.target))
    print(f"wrote {out / 'forecast.json'}, fan.csv and fan.png")
    return 0


def _track(args: argparse.Namespace) -> int:
    from sim.plots.tracking import plan_vs_actual_chart
    from sim.scenario import Calendar
    from sim.tracking import read_plan, track

    out = output_dir(args.out)
    plan = read_plan(args.plan_dir)
    crm = _read_crm(args)
    try:
        calendar = Calendar(holidays={"country": args.country}) if args.country else Calendar()
    except ValueError:
        print(f"--country: {args.country!r} is not a country the holidays package knows (e.g. US, CN)", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        result = track(crm, plan, args.as_of, calendar=calendar, checkpoints=args.checkpoints,
                       tolerance=args.tolerance, replications=args.replications, seed=args.seed)
    except ValueError as exc:
        print(f"{args.plan_dir}: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    for checkpoint in result.checkpoints:
        print(checkpoint["line"])
    company = result.status[result.status["level"] == "company"]
    for row in company.itertuples():
        print(f"{row.horizon} {row.period}: {row.actual_to_date:,.0f} against {row.target_to_date:,.0f} to date "
              f"({row.pace}); projected P50 {row.p50:,.0f} of {row.target:,.0f}, P(make it) {row.p_make:.0%}")
    gap = result.gaps.iloc[0]
    parts = ", ".join(f"{name} {gap[name]:+,.0f}" for name in
                      ["volume", *(f"conversion:{s}" for s in result.stages), "deal_size", "timing"])
    print(f"gap to date {gap['gap']:+,.0f}: {parts}")
    for note in result.notes:
        print(f"note: {note}")
    write_json(out / "tracking.json", result.summary())
    write_csv(out / "tracking.csv", result.status)
    write_csv(out / "gaps.csv", pd.concat([result.gaps, result.reps], ignore_index=True))
    _write_png(out / "tracking.png", plan_vs_actual_chart(result))
    print(f"wrote {out / 'tracking.json'}, tracking.csv, gaps.csv and tracking.png")
    return 0


def _checkpoints(text: str) -> tuple[int | str, ...]:
    """``10,20,end``: days of the month (1-31) and ``end``."""
    days: list[int | str] = []
    for part in text.split(","):
        part = part.strip().lower()
        if part == "end":
            days.append("end")
        elif part.isdigit() and 1 <= int(part) <= 31:
            days.append(int(part))
        else:
            raise argparse.ArgumentTypeError(f"{part!r} is not a day of the month (1-31) or 'end'")
    return tuple(days)


def _hazard_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--hazard-days", type=_positive_int, metavar="D",
                   help="judge open deals' chances from the last D days of deal experience only (default: all)")


def _date(text: str) -> pd.Timestamp:
    try:
        return pd.Timestamp(dt.date.fromisoformat(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def _diagnose(args: argparse.Namespace) -> int:
    from sim.diagnostics import diagnose, load_benchmark
    from sim.plots.diagnostics import funnel_benchmark_chart, rep_exceptions_chart
    from sim.tiers import PRACTICE, load_tier_rules

    out = output_dir(args.out)
    crm = _read_crm(args.file, args.mapping)
    benchmark = load_benchmark(args.benchmark) if args.benchmark else None
    rules = load_tier_rules(args.tier_rules) if args.tier_rules else PRACTICE
    result = diagnose(crm, benchmark=benchmark, as_of=args.as_of, rules=rules, min_deals=args.min_deals,
                      materiality=args.materiality, alpha=args.alpha)
    summary = {"rows_read": crm.report.rows_read, "rows_used": crm.report.rows_used, **result.summary()}
    write_json(out / "diagnostics.json", summary)
    write_csv(out / "coaching.csv", result.coaching)
    write_csv(out / "exceptions.csv", result.exceptions)
    write_csv(out / "aging_deals.csv", result.aging)
    write_csv(out / "tiers.csv", result.tiers, index=True)
    write_csv(out / "skipped_rows.csv", crm.report.skipped)
    _write_png(out / "funnel.png", funnel_benchmark_chart(result.funnel))
    _write_png(out / "reps.png", rep_exceptions_chart(result.exceptions))
    flagged = result.exceptions[result.exceptions.flagged]
    print(f"{args.file}: {crm.report.rows_used:,} of {crm.report.rows_read:,} rows used; as of {summary['as_of']}")
    print(result.funnel.to_string(float_format="{:.2f}".format))
    for finding in result.bottlenecks.itertuples():
        print(f"bottleneck ({finding.kind}) at {finding.stage}: {finding.reason}")
    print(f"reps credibly below their team: {len(flagged)} of {len(result.exceptions)} "
          f"({summary['exceptions']['tested']} with {args.min_deals}+ decided deals tested)")
    print(f"open deals older than the p90 time to win: {len(result.aging):,}")
    print(f"wrote {out / 'diagnostics.json'}, {out / 'coaching.csv'} ({len(result.coaching):,} actions) and charts")
    return 0


def _fraction(text: str) -> float:
    value = _number(text)
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not between 0 and 1")
    return value


def _tiers(args: argparse.Namespace) -> int:
    from sim.plots.diagnostics import aging_chart
    from sim.tiers import PRACTICE, load_tier_rules, read_invoices, receivables_aging, rfm_tiers, tier_summary

    out = output_dir(args.out)
    crm = _read_crm(args.file, args.mapping)
    rules = load_tier_rules(args.tier_rules) if args.tier_rules else PRACTICE
    as_of = args.as_of or crm.as_of
    tiers = rfm_tiers(crm.opportunities, as_of, rules)
    summary = tier_summary(tiers, rules)
    write_csv(out / "tiers.csv", tiers, index=True)
    written = ["tiers.csv", "tiers.json"]
    report = {"as_of": as_of.date().isoformat(), "customers": len(tiers),
              "tiers": json.loads(summary.reset_index().to_json(orient="records"))}
    print(summary.to_string(formatters={"monetary": "{:,.0f}".format}))
    if args.invoices:
        invoices, skipped = read_invoices(args.invoices)
        aging = receivables_aging(invoices, as_of)
        report["receivables"] = {**aging.summary(), "invoices_skipped": len(skipped)}
        write_csv(out / "receivable_alerts.csv", aging.alerts)
        write_csv(out / "invoices_skipped.csv", skipped)
        _write_png(out / "receivables.png", aging_chart(aging.buckets))
        written += _RECEIVABLES
        print(f"receivables outstanding {aging.summary()['outstanding']:,.0f}; "
              f"{len(aging.alerts)} invoices unpaid beyond 30 days; {len(skipped)} invoice rows skipped")
    write_json(out / "tiers.json", report)
    remove_stale(out, _RECEIVABLES, written)  # an earlier run's receivables, when this one has no invoices
    print(f"wrote {out / 'tiers.json'} and {out / 'tiers.csv'}")
    return 0


def _incentives(args: argparse.Namespace) -> int:
    from sim.incentives import check_plan, compare_plans, load_plan

    scenario = load(args.file)
    plans = []
    for file in [args.plan, *args.compare]:
        plan = load_plan(file)
        try:
            check_plan(plan, scenario)
        except ScenarioError as exc:
            _, lines = parse_yaml(read_text(file), str(file))
            raise exc.with_file(str(file), field_lines(lines)) from None
        plans.append(plan)
    _within_limits(args, args.file, scenario, args.replications, args.engine, detail=True)
    out = output_dir(args.out) if args.out is not None else None
    results = simulate(scenario, replications=args.replications, seed=args.seed, engine=args.engine,
                       progress=not args.quiet)
    table, summary = compare_plans(results, plans)
    shown = pd.DataFrame([{
        "plan": s["plan"], "revenue": s["revenue"]["mean"], "comp cost": s["comp_cost"]["mean"],
        "cost of sales": s["cost_of_sales"]["mean"], "at quota": s["share_at_quota"]["mean"],
        "Gini": s["gini"]["mean"], "P(target)": s["p_hit_target"]["mean"],
        "cost per extra revenue": s.get("cost_per_extra_revenue") or np.nan} for s in summary["plans"]])
    print(f"{scenario.name}: {len(plans)} plans on the same {args.replications} replications (seed {args.seed}, "
          f"engine {args.engine}); means")
    print(shown.to_string(index=False, na_rep="", formatters={
        "revenue": "{:,.0f}".format, "comp cost": "{:,.0f}".format, "cost of sales": "{:.2%}".format,
        "at quota": "{:.0%}".format, "Gini": "{:.2f}".format,
        "P(target)": "{:.0%}".format, "cost per extra revenue": "{:.3f}".format}))
    if out is not None:
        write_with(out / "payouts.parquet", lambda tmp: table.to_parquet(tmp, index=False))
        write_json(out / "incentives.json", summary)
        print(f"wrote {out / 'payouts.parquet'} and {out / 'incentives.json'}")
    return 0


def _backend_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--workers", type=_positive_int, default=None, metavar="N",
                   help="local worker processes (default: all cores); with --dask local, the cluster's workers")
    p.add_argument("--dask", type=_dask_address, metavar="ADDRESS",
                   help="run on a dask.distributed scheduler (tcp://host:port), or 'local' for a LocalCluster")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m sim", description="Salesplay: simulate and rehearse a sales plan.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("validate", help="check scenario files; print every problem, one line each")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.set_defaults(handler=_validate)

    p = sub.add_parser("run", help="simulate a scenario and summarise the results")
    p.add_argument("file", metavar="FILE")
    _run_options(p, engine="des", replications=20)
    p.add_argument("--out", type=_path, metavar="DIR", help="write summary.json and the tables (Parquet) here")
    p.add_argument("--summary-only", dest="detail", action="store_false",
                   help="with --out, write per-replication and per-stage tables only, not per-lead ones")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(handler=_run)

    p = sub.add_parser("plan", help="break the annual target down and check it against staffing and simulation")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--target", type=_positive_int, metavar="AMOUNT",
                   help="annual revenue target (default: the scenario's targets.annual_revenue)")
    p.add_argument("--method", choices=METHODS, default="reserve", help="how the year is split over months")
    p.add_argument("--reserve-month", type=_whole, default=12, metavar="M", help="with --method reserve (1-12)")
    p.add_argument("--reserve-share", type=_non_negative_float, default=0.0, metavar="S",
                   help="with --method reserve: share of the target the reserve month carries")
    p.add_argument("--challenge", type=_positive_float, default=1.0, metavar="C", help="plan above target, e.g. 1.1")
    _run_options(p, engine="fast", replications=200)
    p.add_argument("--out", type=_path, metavar="DIR", help="write plan.csv and feasibility.json here")
    p.set_defaults(handler=_plan)

    p = sub.add_parser("allocate", help="split a marketing budget over channels (and reps over teams)")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--budget", type=_non_negative_float, required=True, metavar="B",
                   help="marketing budget over the horizon")
    p.add_argument("--headcount", type=_positive_int, metavar="H", help="reps to staff across the teams")
    p.add_argument("--objective", choices=("revenue", "p_hit"), default="revenue")
    p.add_argument("--steps", type=_positive_int, default=10, metavar="N", help="budget steps of the greedy search")
    p.add_argument("--focus", action="store_true",
                   help="also weigh the focus rule: the most valuable tiers served first, against first come, first served")
    p.add_argument("--route", type=_route, metavar="STAGE:TIERS:SENIORS:SKILL",
                   help="also weigh routing TIERS (comma-separated) at STAGE to SENIORS of its team who convert "
                        "SKILL times the stage's rate, against pooling them, e.g. negotiation:A:4:1.3")
    _run_options(p, engine="fast", replications=40)
    p.add_argument("--out", type=_path, metavar="DIR", help="write allocation.json here")
    p.set_defaults(handler=_allocate)

    p = sub.add_parser("compare", help="compare strategies on common random numbers; write comparison.json")
    p.add_argument("files", nargs="+", metavar="FILE", help="scenario files; the first is the baseline")
    p.add_argument("--override", action="append", default=[], metavar="KEY=VALUE",
                   help="add a strategy: the baseline with this change, e.g. teams.solutions.headcount=14")
    _run_options(p, engine=DEFAULT_ENGINE, replications=200)
    p.add_argument("--out", type=_path, metavar="DIR",
                   help="write each strategy as it finishes (resumable), then comparison.json, here")
    _backend_options(p)
    p.add_argument("--force", action="store_true", help="start afresh even if DIR holds another comparison")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(handler=_compare)

    p = sub.add_parser("sweep", help="run a parameter sweep (resumable) into DIR/results.parquet")
    p.add_argument("file", metavar="SPEC")
    p.add_argument("--out", type=_path, required=True, metavar="DIR")
    _backend_options(p)
    p.add_argument("--force", action="store_true", help="start afresh even if DIR holds results")
    _limits_option(p)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(handler=_sweep)

    p = sub.add_parser("report", help="an HTML or Excel report of a run, a comparison or a sweep")
    p.add_argument("dir", type=_path, metavar="DIR")
    p.add_argument("--out", type=_path, required=True, metavar="FILE", help="report.html or report.xlsx")
    p.set_defaults(handler=_report)

    p = sub.add_parser("diagnose", help="funnel, bottlenecks, rep exceptions, aged deals and tiers from a CRM export")
    p.add_argument("file", metavar="EXPORT", help="opportunity export (CSV or Excel), or a folder for a preset")
    p.add_argument("--mapping", default="maven", metavar="NAME|FILE", help="column mapping: a preset or a YAML file")
    p.add_argument("--benchmark", type=_path, metavar="FILE", help="YAML with conversion: {stage: rate}")
    p.add_argument("--tier-rules", type=_path, metavar="FILE",
                   help="YAML tier rules (default: the practice's RFM tiers)")
    p.add_argument("--as-of", type=_date, metavar="DATE",
                   help="date of the review (default: the latest date in the export)")
    p.add_argument("--min-deals", type=_positive_int, default=20, metavar="N",
                   help="decided deals a rep needs before a low win rate may be flagged")
    p.add_argument("--materiality", type=_fraction, default=0.2, metavar="M", help="flag reps this far below the team")
    p.add_argument("--alpha", type=_fraction, default=0.05, metavar="A", help="false discovery rate across reps")
    p.add_argument("--out", type=_path, required=True, metavar="DIR",
                   help="write diagnostics.json, coaching.csv, exceptions.csv, aging_deals.csv, tiers.csv, charts")
    p.set_defaults(handler=_diagnose)

    p = sub.add_parser("tiers", help="customer tiers by RFM with follow-up cadences; receivables aging")
    p.add_argument("file", metavar="EXPORT", help="opportunity export (CSV or Excel), or a folder for a preset")
    p.add_argument("--mapping", default="maven", metavar="NAME|FILE", help="column mapping: a preset or a YAML file")
    p.add_argument("--tier-rules", type=_path, metavar="FILE",
                   help="YAML tier rules (default: the practice's RFM tiers)")
    p.add_argument("--invoices", type=_path, metavar="FILE",
                   help="invoice table (invoice_id, customer, amount, issued, paid) to age")
    p.add_argument("--as-of", type=_date, metavar="DATE",
                   help="date of the review (default: the latest date in the export)")
    p.add_argument("--out", type=_path, required=True, metavar="DIR", help="write tiers.json and tiers.csv here")
    p.set_defaults(handler=_tiers)

    p = sub.add_parser("calibrate", help="calibrate a scenario from a CRM export; print the bad-row report")
    p.add_argument("export", metavar="EXPORT", help="CSV or Excel export, or the folder holding it")
    p.add_argument("--mapping", default="maven", metavar="NAME|FILE",
                   help="column mapping: maven, olist, salesforce, hubspot, or a YAML file")
    p.add_argument("--out", type=_path, required=True, metavar="SCENARIO.yaml", help="write the scenario here")
    p.add_argument("--horizon-days", type=_positive_int, default=365, metavar="D")
    p.add_argument("--name", default=None, help="scenario name")
    p.add_argument("--report", type=_path, metavar="DIR", help="write rejected_rows.csv and the fitted figures here")
    p.set_defaults(handler=_calibrate)

    p = sub.add_parser("backtest", help="forecast from past cut-offs and compare with what happened")
    p.add_argument("export", metavar="EXPORT")
    p.add_argument("--mapping", default="maven", metavar="NAME|FILE")
    p.add_argument("--cutoff", type=_date, action="append", required=True, metavar="DATE",
                   help="cut-off date (repeat for several)")
    p.add_argument("--until", type=_date, metavar="DATE", help="end of the period (default: the data's last date)")
    p.add_argument("--period-days", type=_positive_int, metavar="D", help="instead of --until: D days after each cut-off")
    p.add_argument("--known-arrivals", action="store_true",
                   help="give the model the leads that did arrive (forecast the won count of those cohorts)")
    _hazard_option(p)
    p.add_argument("--replications", type=_positive_int, default=500, metavar="N")
    p.add_argument("--seed", type=_seed, default=0, metavar="S")
    p.add_argument("--out", type=_path, required=True, metavar="DIR", help="write backtest.json and backtest.csv here")
    p.set_defaults(handler=_backtest)

    p = sub.add_parser("forecast", help="forecast the rest of a period: weighted pipeline, simulation, P(target)")
    p.add_argument("export", metavar="EXPORT")
    p.add_argument("--mapping", default="maven", metavar="NAME|FILE")
    p.add_argument("--as-of", type=_date, metavar="DATE", help="forecast as if on this date (default: the data's end)")
    p.add_argument("--until", type=_date, metavar="DATE", help="end of the period (default: the quarter's end)")
    p.add_argument("--target", type=_positive_float, metavar="AMOUNT", help="revenue target of the period")
    _hazard_option(p)
    p.add_argument("--replications", type=_positive_int, default=1000, metavar="N")
    p.add_argument("--seed", type=_seed, default=0, metavar="S")
    p.add_argument("--out", type=_path, required=True, metavar="DIR", help="write forecast.json, fan.csv, fan.png here")
    p.set_defaults(handler=_forecast)

    p = sub.add_parser("track", help="hold a CRM export against a plan: pace, projections, why the gap")
    p.add_argument("plan_dir", type=_path, metavar="PLAN_DIR", help="folder holding plan.csv (salesplay plan --out)")
    p.add_argument("export", metavar="EXPORT")
    p.add_argument("--mapping", default="maven", metavar="NAME|FILE")
    p.add_argument("--as-of", type=_date, required=True, metavar="DATE", help="date of the review")
    p.add_argument("--checkpoints", type=_checkpoints, default=(10, 20, "end"), metavar="DAYS",
                   help="days of the month that get a status line (default: 10,20,end)")
    p.add_argument("--tolerance", type=_fraction, default=0.05, metavar="T",
                   help="within this share of the target to date counts as on track")
    p.add_argument("--country", metavar="CC", help="pace months by this country's working days (public holidays)")
    p.add_argument("--replications", type=_positive_int, default=500, metavar="N")
    p.add_argument("--seed", type=_seed, default=0, metavar="S")
    p.add_argument("--out", type=_path, required=True, metavar="DIR",
                   help="write tracking.json, tracking.csv, gaps.csv and tracking.png here")
    p.set_defaults(handler=_track)

    p = sub.add_parser("incentives", help="pay the simulated year under incentive plans; compare cost and spread")
    p.add_argument("file", metavar="SCENARIO")
    p.add_argument("--plan", type=_path, required=True, metavar="PLAN", help="the current plan (the reference)")
    p.add_argument("--compare", type=_path, nargs="+", default=[], metavar="PLAN", help="plans to compare with it")
    _run_options(p, engine="fast", replications=50)
    p.add_argument("--out", type=_path, metavar="DIR", help="write payouts.parquet and incentives.json here")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(handler=_incentives)
    return parser


def _limits_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--no-limits", action="store_true",
                        help="run even when the estimated memory or time is above what a 2-core, 24 GiB machine "
                             "can give (for bigger machines)")


def _run_options(parser: argparse.ArgumentParser, engine: str, replications: int) -> None:
    """The options every simulating command takes: engine, replications, seed."""
    parser.add_argument("--engine", choices=tuple(ENGINES), default=engine)
    parser.add_argument("--replications", type=_positive_int, default=replications, metavar="N")
    parser.add_argument("--seed", type=_seed, default=0, metavar="S")
    _limits_option(parser)


def _route(text: str) -> tuple[str, list[str], int, float]:
    """``STAGE:TIERS:SENIORS:SKILL`` (tiers comma-separated) for ``allocate --route``."""
    try:
        stage, tiers, seniors, skill = text.rsplit(":", 3)
        return stage, tiers.split(","), _positive_int(seniors), _positive_float(skill)
    except (ValueError, argparse.ArgumentTypeError):
        raise argparse.ArgumentTypeError(f"{text!r} is not STAGE:TIERS:SENIORS:SKILL, e.g. negotiation:A:4:1.3") from None


_RECEIVABLES = ["receivable_alerts.csv", "invoices_skipped.csv", "receivables.png"]


def _write_png(path: Path, figure) -> None:
    write_with(path, lambda tmp: figure.savefig(tmp, format="png", dpi=120))


def _path(text: str) -> Path:
    if not text.strip() or "\0" in text:
        raise argparse.ArgumentTypeError(f"{text!r} is not a path")
    return Path(text)


def _whole(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None


def _positive_int(text: str) -> int:
    value = _whole(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a positive whole number")
    return value


def _seed(text: str) -> int:
    value = _whole(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text} is not a seed (a whole number, 0 or more)")
    return value


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text} is not a finite number")
    return value


def _positive_float(text: str) -> float:
    value = _number(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text} is not a positive number")
    return value


def _non_negative_float(text: str) -> float:
    value = _number(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text} is not zero or a positive number")
    return value


_ADDRESS = re.compile(r"((tcp|tls|ucx|ws|wss)://)?(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):\d{1,5}")


def _dask_address(text: str) -> str:
    """``local`` or a scheduler address (``tcp://host:8786``, ``host:8786``)."""
    if text == "local" or _ADDRESS.fullmatch(text) and int(text.rsplit(":", 1)[1]) < 65536:
        return text
    raise argparse.ArgumentTypeError(f"{text!r} is not 'local' or a scheduler address such as tcp://host:8786")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (2 for bad input)."""
    args = _parser().parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except ScenarioError as exc:
        print(exc, file=sys.stderr)
        return EXIT_BAD_INPUT
