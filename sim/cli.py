"""The command line: ``python -m sim validate|run|plan|allocate|hire|compare|sweep|report|calibrate|backtest|
forecast|track|diagnose|tiers|incentives ...``.

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
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator, Sequence

import numpy as np
import pandas as pd

from sim.costs import COSTS
from sim.engine import ENGINES, SUMMARY_ONLY, simulate
from sim.errors import Problem, ScenarioError
from sim.scenario import Scenario, load
from sim.settings import ANSWER_REPLICATIONS
from sim.spreadsheet import write_csv
from sim.experiments import DEFAULT_ENGINE, OBJECTIVES
from sim.limits import check as check_limits
from sim.odds import Odds
from sim.outputs import output_dir, output_file, remove_stale, write_json, write_text, write_with
from sim.store import ChunkStore
from sim.rolling import METHODS as FORECAST_METHODS
from sim.schedule import Schedule, schedule
from sim.targets import METHODS, REP_BASES
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


@contextmanager
def _input_from(source: object) -> Iterator[None]:
    """A ``ValueError`` raised within (the model refusing what it was given) is bad input from ``source``
    (a file, folder or option): one line, ``source: message``, and exit status 2 from :func:`main`."""
    try:
        yield
    except ValueError as exc:
        raise ScenarioError([Problem("", str(exc), file=str(source))]) from None


def _within_limits(
    args: argparse.Namespace,
    file: str,
    scenario: Scenario,
    replications: int,
    engine: str,
    detail: bool,
    runs: int = 1,
    replications_option: str = "--replications",
) -> None:
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
    results = simulate(
        scenario,
        replications=args.replications,
        seed=args.seed,
        engine=args.engine,
        detail=detail,
        progress=not args.quiet,
    )
    summary = results.summary()
    print(
        f"{scenario.name}: {summary['replications']} replications, engine {summary['engine']}, seed {summary['seed']}"
    )
    headline = pd.DataFrame(
        {**{k: summary[k] for k in ("leads", "opening", "won", "revenue", "collected")}, **_cost_rows(summary)}
    ).T
    print(headline.to_string(float_format="{:,.0f}".format, na_rep="not given"))
    print(_costs_line(summary))
    if summary["costs"]["commission_basis"]:
        print(f"commission: {summary['costs']['commission_basis']}")
    print(_opening_line(scenario))
    if summary["p_hit_target"] is not None:
        hits = Odds.of(results.replications.revenue >= summary["target"])
        print(f"probability of reaching the target {summary['target']:,.0f}: {hits} (95% interval)")
    print()
    print(results.summary_table().to_string(formatters=_STAGE_FORMATS))
    if out is not None:
        results.save(out)
        print(f"wrote {out / 'summary.json'}")
    return 0


def _cost_rows(summary: dict) -> dict[str, dict[str, float] | None]:
    """The headline's cost and profit rows (a part the scenario does not give: every column empty)."""
    costs = summary["costs"]
    empty = dict.fromkeys(("mean", "p10", "p50", "p90"), np.nan)
    rows = {f"{part} cost": costs[part] or empty for part in COSTS}
    return {**rows, "total cost": costs["total"], "profit": summary["profit"]}


def _costs_line(summary: dict) -> str:
    """What the profit leaves out, in words (or that every cost is given)."""
    missing = summary["costs"]["not_given"]
    if not missing:
        return "profit: revenue minus marketing, staff, hiring and commission (the cost of what is sold is not in it)"
    return "profit leaves out what the scenario does not give: " + "; ".join(
        f"{part} ({why})" for part, why in missing.items()
    )


def _opening_line(scenario) -> str:
    """How the simulated year opens and whose days count as working days, in words."""
    from sim.model.opening import in_words

    opening = f"opening: {in_words(scenario)}"
    calendar = (
        "reps work on their calendar's working days"
        if scenario.calendar or any(t.calendar for t in scenario.teams)
        else "reps work every calendar day (no calendar given)"
    )
    return f"{opening}; {calendar}"


_STAGE_FORMATS = {
    "entered": "{:,.1f}".format,
    "converted": "{:,.1f}".format,
    "conversion_rate": "{:.1%}".format,
    "abandoned": "{:,.1f}".format,
    "abandon_rate": "{:.1%}".format,
    "mean_wait_days": "{:.2f}".format,
    "mean_work_days": "{:.2f}".format,
    "mean_days_in_stage": "{:.2f}".format,
    "utilisation": "{:.1%}".format,
}


def _plan(args: argparse.Namespace) -> int:
    from sim.targets import monthly_targets, plan_table, rep_weights

    if args.from_track is not None:
        return _replan(args)
    if args.file is None:
        raise ScenarioError(
            [Problem("", "plan: give a scenario FILE (or --from-track DIR to plan the rest of a tracked year)")]
        )
    scenario = load(args.file)
    _within_limits(args, args.file, scenario, args.replications, args.engine, detail=False)
    out = output_dir(args.out) if args.out is not None else None
    saved = scenario.targets  # a plan saved from the annual-plan page keeps its split and reserve month
    method = args.method or (saved and saved.split) or "reserve"
    reserve_month = args.reserve_month if args.reserve_month is not None else (saved and saved.reserve_month) or 12
    options = {"reserve_month": reserve_month, "reserve_share": args.reserve_share} if method == "reserve" else {}
    reps = None
    if args.rep_basis != "capacity":
        if args.export is None:
            raise ScenarioError([Problem("", f"--rep-basis {args.rep_basis}: give the CRM export with --export")])
        crm = _read_crm(args.export, args.mapping)
        crm = crm.as_known_on(args.as_of) if args.as_of is not None else crm
        with _input_from(args.export):
            reps = rep_weights(crm, args.rep_basis)
        if reps.attrs["by_seat"]:
            print(
                f"Note: planned as one seat each, with nothing to weigh by {args.rep_basis}: "
                f"{', '.join(reps.attrs['by_seat'])}"
            )
    with _input_from(args.file):
        months = monthly_targets(scenario, args.target, method, **options)
        timed = schedule(scenario, months * args.challenge)  # solved once: the plan table and feasibility share it
        plan = plan_table(scenario, monthly=months, challenge=args.challenge, reps=reps, lagged=timed)
    print(f"{scenario.name}: plan by month ({method}), {args.replications} replications")
    return _plan_outputs(args, scenario, plan, timed, out)


def _replan(args: argparse.Namespace) -> int:
    """``plan --from-track DIR``: the rest of the tracked plan's year, keeping what is won (:mod:`sim.replan`)."""
    from sim.replan import read_tracking, replan
    from sim.scenario import Calendar
    from sim.tracking import read_plan

    for option, given in (("--target", args.target is not None), ("--method", args.method is not None)):
        if given:
            raise ScenarioError(
                [Problem(option, "not with --from-track (the tracked plan's target and split carry on)")]
            )
    record = read_tracking(args.from_track)
    plan = read_plan(record.plan_dir)
    file = args.file or str(record.plan_dir / "scenario.yaml")
    scenario = load(file)
    _within_limits(args, file, scenario, args.replications, args.engine, detail=False)
    out = output_dir(args.out) if args.out is not None else None
    with _input_from(args.from_track):
        calendar = Calendar(holidays={"country": record.country}) if record.country else Calendar()
        rest = replan(scenario, plan, record.achieved, record.as_of, calendar, args.challenge)
    print(
        f"{scenario.name}: the rest of the year from {rest.scenario.start_date}, keeping {rest.achieved:,.0f} won to "
        f"{rest.as_of.date()}: {rest.remaining:,.0f} left of {rest.annual:,.0f}, split like the plan's months; "
        f"{args.replications} replications"
    )
    _plan_outputs(args, rest.scenario, rest.plan, rest.schedule, out)
    if out is not None:
        write_json(out / "replan.json", rest.summary())
        print(f"wrote {out / 'replan.json'} (what is kept and what is left)")
    return 0


def _plan_outputs(
    args: argparse.Namespace, scenario: Scenario, plan: pd.DataFrame, timed: Schedule, out: Path | None
) -> int:
    """Feasibility of ``plan`` (solved as ``timed``) on ``scenario``, printed, and written to ``out`` with the plan
    and planned scenario."""
    from sim.feasibility import feasibility

    report = feasibility(
        scenario, plan, replications=args.replications, seed=args.seed, engine=args.engine, planned=True, timed=timed
    )
    planned_text = report.pop("planned_scenario")
    company = plan[plan.level == "company"].set_index("period")
    shown = company[["revenue_target", "deals", "leads", "budget"]].assign(
        p_hit=[report["p_hit"][p] for p in company.index],
        p_hit_planned=[report["planned"]["p_hit"][p] for p in company.index],
    )
    print(
        shown.to_string(
            formatters={
                "revenue_target": "{:,.0f}".format,
                "deals": "{:,.1f}".format,
                "leads": "{:,.0f}".format,
                "budget": "{:,.0f}".format,
                "p_hit": "{:.0%}".format,
                "p_hit_planned": "{:.0%}".format,
            }
        )
    )
    print(
        "leads: bought one sales cycle ahead of the revenue they bring; p_hit: the scenario as it stands; "
        "p_hit_planned: the scenario that carries the plan out (scenario.yaml with --out)"
    )
    as_is, planned = (
        Odds(round(r["p_hit_annual"] * args.replications), args.replications) for r in (report, report["planned"])
    )
    print(f"probability of reaching the annual target: {as_is} as it stands, {planned} as planned")
    for hire_team, hires in report["planned"]["hires"].items():
        if hires:
            print(f"planned hires, {hire_team}: " + ", ".join(f"{h['count']} on day {h['day']}" for h in hires))
    assumptions = report["assumptions"]
    print(
        f"{assumptions['opening']} ({report['opening_pipeline']:,.0f} leads in the funnel on day 0); "
        + "; ".join(f"{team} works {days}" for team, days in assumptions["working_days"].items())
    )
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
        print(
            f"wrote {out / 'plan.csv'}, {out / 'feasibility.json'} and {out / 'scenario.yaml'} "
            "(the scenario that carries the plan out)"
        )
    return 0


def _allocate(args: argparse.Namespace) -> int:
    from sim.allocation import apply, focus_rules, optimise, routing_rules
    from sim.scenario import dump
    from sim.service import ServiceLevels

    scenario = load(args.file)
    _within_limits(args, args.file, scenario, args.replications, args.engine, detail=False)
    out = output_dir(args.out) if args.out is not None else None
    levels = ServiceLevels(tuple(args.max_wait), args.max_utilisation)
    with _input_from(args.file):
        result = optimise(
            scenario,
            args.budget,
            args.headcount,
            args.objective,
            args.steps,
            args.replications,
            args.seed,
            args.engine,
            levels,
            dict(args.channel_budget),
            args.fixed,
        )
    print(
        f"{scenario.name}: allocation by {args.objective}, {args.replications} replications per candidate "
        f"(common random numbers), {result['evaluations']} candidates simulated"
    )
    if result["fixed"]:
        print(f"volume kept as it is (money cannot buy it): {', '.join(result['fixed'])}")
    for name in ("current", "chosen"):
        print(_allocation_line(name, result[name], bool(levels.max_wait or levels.max_utilisation is not None)))
    gain, first, last = result["gain"], *result["gain"]["replications"]
    better = Odds(round(gain["p_better"] * (last - first + 1)), last - first + 1)
    show = "{:+.1%}".format if args.objective == "p_target" else "{:+,.0f}".format
    unchanged = all(result["chosen"][key] == result["current"][key] for key in ("budget", "headcount"))
    if unchanged:
        print(
            f"the current allocation is the best found: no move of budget or reps raised {args.objective} "
            "within the service levels"
        )
    else:
        print(
            f"gain in {args.objective} on fresh replications {first}-{last}: {show(gain['mean'])} (95% interval "
            f"{show(gain['ci95'][0])} to {show(gain['ci95'][1])}); better in {better} of them"
        )
    if result["binding"]:
        print(
            "binding: "
            + "; ".join(
                f"{b['limit']} (refused {b['better_allocations_refused']} allocations with a better {args.objective})"
                for b in result["binding"]
            )
        )
    elif levels.max_wait or levels.max_utilisation is not None:
        print("binding: none of the service levels turned down a better allocation")
    if result["current_on_search"]["service"]["broken"]:
        print(
            "the current allocation breaks "
            + ", ".join(result["current_on_search"]["service"]["broken"])
            + " on the search's replications, so it could not be kept as it is"
        )
    if not result["chosen"]["feasible"]:
        print("no allocation found keeps every service level: " + ", ".join(result["chosen"]["service"]["broken"]))
    run = (args.replications, args.seed, args.engine)
    weighed = {}  # rules to weigh on the same leads: key in allocation.json -> (title, comparison)
    if args.focus:
        weighed["focus"] = ("focus rule (every team serves these tiers first):", lambda: focus_rules(scenario, *run))
    if args.route:
        stage, tiers, seniors, skill = args.route
        weighed["routing"] = (
            f"routing at {stage} (seniors convert {skill:g} times the stage's rate):",
            lambda: routing_rules(scenario, stage, tiers, seniors, skill, *run),
        )
    for key, (title, weigh) in weighed.items():
        with _input_from(args.file):
            rules = weigh()
        print(title)
        print(rules.drop(columns="priority", errors="ignore").to_string(float_format=lambda v: f"{v:,.2f}"))
        result[key] = rules.reset_index().to_dict(orient="records")
    if out is not None:
        from sim.allocation import Allocation

        chosen = Allocation(result["chosen"]["budget"], result["chosen"]["headcount"])
        write_json(out / "allocation.json", result)
        write_text(out / "scenario.yaml", dump(apply(scenario, chosen)))
        print(f"wrote {out / 'allocation.json'} and {out / 'scenario.yaml'} (the recommended scenario)")
    return 0


def _allocation_line(name: str, part: dict, limited: bool) -> str:
    """One allocation in two lines: budget and reps; money and service levels (``limited``: some were asked)."""
    service = part["service"]
    waits = ", ".join(
        f"{w['stage']} {w['share']:.1%} within {w['days']:g} days (needs {w['share_required']:.0%})"
        for w in service["waits"]
    )
    busiest = max(service["utilisation"].items(), key=lambda item: item[1])
    verdict = (
        "no service level asked"
        if not limited
        else "keeps the service levels"
        if part["feasible"]
        else "breaks " + ", ".join(service["broken"])
    )
    return (
        f"{name:>8}: budget {', '.join(f'{k} {v:,.0f}' for k, v in part['budget'].items())}; "
        f"reps {', '.join(f'{k} {v}' for k, v in part['headcount'].items())}\n"
        f"          revenue {part['revenue']['mean']:,.0f}, cost {part['costs']['total']:,.0f}, "
        f"profit {part['profit']['mean']:,.0f}; {waits + '; ' if waits else ''}busiest team {busiest[0]} "
        f"{busiest[1]:.0%}; {verdict}"
    )


def _hire(args: argparse.Namespace) -> int:
    from sim.hiring import headcount_over_time, hiring_plan
    from sim.plots.hiring import headcount_chart
    from sim.scenario import dump

    scenario = load(args.file)
    _within_limits(args, args.file, scenario, args.replications, args.engine, detail=False)
    out = output_dir(args.out)
    with _input_from(args.file):
        plan = hiring_plan(
            scenario,
            args.target,
            args.method,
            args.probability,
            args.replications,
            args.seed,
            args.engine,
            budget=args.budget,
        )
    summary = plan.summary
    asked = (
        f"the best chance of reaching {args.target:,.0f} with hires costing at most {args.budget:,.0f} in the year"
        if args.budget is not None
        else f"hires to reach {args.target:,.0f} with at least {args.probability:.0%} probability, at least cost"
    )
    print(f"{scenario.name}: {asked} ({summary['evaluations']} candidates simulated)")
    for team, hires in summary["hires"].items():
        listed = ", ".join(
            f"{h['count']} on day {h['day']} (ramped up by {h['ramped_by'] or 'the end of the year'})" for h in hires
        )
        print(f"  {team}: {listed or 'no hire'}")
    p, (low, high) = summary["p_target"]["mean"], summary["p_target"]["ci95"]
    print(f"the hires cost {summary['hires_cost']:,.0f} in the year (hiring, and salaries from their start)")
    print(
        f"P(target) on fresh replications: {p:.0%} (95% interval {low:.0%} to {high:.0%}); revenue "
        f"{summary['revenue']['mean']:,.0f}, cost {summary['costs']['total']['mean']:,.0f} (staff "
        f"{summary['costs']['staff']['mean']:,.0f}, hiring {summary['costs']['hiring']['mean']:,.0f}), profit "
        f"{summary['profit']['mean']:,.0f}"
    )
    if p < args.probability and args.budget is None:
        print(
            f"the plan does not reach {args.probability:.0%} on fresh replications: more replications, or a lower "
            "target, would settle it"
        )
    for problem in summary["problems"]:
        print(f"note on the staffing first planned, before hires were taken away: {problem}")
    write_json(out / "hiring.json", summary)
    write_text(out / "scenario.yaml", dump(plan.scenario))
    _write_png(out / "headcount.png", headcount_chart(headcount_over_time(plan.scenario, seed=args.seed)))
    print(
        f"wrote {out / 'hiring.json'}, scenario.yaml (the scenario with these hires and the leads the target "
        "needs) and headcount.png"
    )
    return 0


def _compare(args: argparse.Namespace) -> int:
    from sim.engine import EXACT
    from sim.experiments import Strategy, compare, load_strategies
    from sim.overrides import parse_override
    from sim.service import ServiceLevels

    strategies = [Strategy(Path(f).stem, load(f)) for f in args.files]
    base = strategies[0]
    if args.strategies is not None:
        strategies += load_strategies(args.strategies, base.scenario)
    for text in args.override:
        key, value = parse_override(text)
        strategies.append(
            Strategy.from_overrides(f"{base.name} + {key}={value}", base.scenario, {key: value}, file="--override")
        )
    if len(strategies) < 2:
        raise ScenarioError(
            [Problem("", "give two or more scenario files, or one and --strategies FILE or --override KEY=VALUE")]
        )
    if args.objective == "p_target" and any(s.scenario.targets is None for s in strategies):
        raise ScenarioError([Problem("--objective", "p_target needs targets.annual_revenue in every scenario")])
    names = [s.name for s in strategies]
    strategies = [
        Strategy(f"{s.name} ({i + 1})" if names.count(s.name) > 1 else s.name, s.scenario, s.overrides)
        for i, s in enumerate(strategies)
    ]
    biggest = max(strategies, key=lambda s: s.scenario.horizon_days * sum(c.leads_per_day for c in s.scenario.channels))
    _within_limits(
        args, args.files[0], biggest.scenario, args.replications, args.engine, detail=False, runs=len(strategies)
    )
    levels = ServiceLevels(tuple(args.max_wait), args.max_utilisation)
    if (levels.max_wait or levels.max_utilisation is not None) and args.engine not in EXACT:
        raise ScenarioError(
            [
                Problem(
                    "--engine", f"service levels are measured lead by lead: use {' or '.join(EXACT)}, not {args.engine}"
                )
            ]
        )
    if args.out is not None:
        output_dir(args.out)
    try:
        result = compare(
            strategies,
            replications=args.replications,
            seed=args.seed,
            engine=args.engine,
            workers=args.workers,
            dask=args.dask,
            progress=not args.quiet,
            out=args.out,
            force=args.force,
            objective=args.objective,
            levels=levels,
        )
    except KeyboardInterrupt:
        kept = f"; finished strategies are saved in {args.out}, run the same command to resume" if args.out else ""
        print(f"interrupted{kept}", file=sys.stderr)
        return 130
    summary = result.summary()
    print(
        f"{args.replications} replications on common random numbers (seed {args.seed}, engine {args.engine}); "
        f"ranked by {args.objective}, best first"
    )
    print(_comparison_table(summary).to_string(index=False))
    if "service_levels" in summary:
        print(_service_lines(summary, args.objective))
    missing = {part: why for s in summary["strategies"] for part, why in s["costs_not_given"].items()}
    if missing:
        print("costs not given (left out of cost and profit): " + "; ".join(f"{p} ({w})" for p, w in missing.items()))
    if args.out is not None:
        print(f"wrote {args.out / 'comparison.json'}")
    return 0


def _comparison_table(summary: dict) -> pd.DataFrame:
    """A comparison's strategies, best first by its objective: revenue and cost side by side, profit, the
    objective's interval and paired difference from the baseline, P(best) and P(target)."""
    objective = summary["objective"]
    figure = "p_hit_target" if objective == "p_target" else objective
    show = "{:.1%}".format if figure == "p_hit_target" else "{:,.0f}".format
    signed = "{:+.1%}".format if figure == "p_hit_target" else "{:+,.0f}".format
    by_name = {s["name"]: s for s in summary["strategies"]}
    rows = []
    for name in summary["ranking"]:
        s = by_name[name]
        low, high = s[figure]["ci95"]
        difference = s.get(f"{figure}_difference")
        rows.append(
            {
                "strategy": name,
                "revenue": f"{s['revenue']['mean']:,.0f}",
                "cost": f"{s['costs']['total']['mean']:,.0f}",
                "profit": f"{s['profit']['mean']:,.0f}",
                f"{objective} 95% interval": f"{show(low)} to {show(high)}",
                "vs baseline": ""
                if difference is None
                else f"{signed(difference['mean'])} "
                f"({signed(difference['ci95'][0])} to {signed(difference['ci95'][1])})",
                "P(best)": "" if s["p_best"] is None else f"{s['p_best']:.0%}",
                "P(target)": "" if s["p_hit_target"] is None else f"{s['p_hit_target']['mean']:.0%}",
            }
        )
        if "service" in s:
            rows[-1]["service levels"] = "kept" if s["keeps_service_levels"] else "broken"
    return pd.DataFrame(rows)


def _service_lines(summary: dict, objective: str) -> str:
    """Each strategy's waits and busiest team against the service levels, the limits it breaks, and the winner."""
    lines = []
    for s in summary["strategies"]:
        service = s["service"]
        waits = [
            f"{w['stage']} {w['share']:.1%} within {w['days']:g} days (needs {w['share_required']:.0%})"
            for w in service["waits"]
        ]
        team, busy = max(service["utilisation"].items(), key=lambda item: item[1])
        verdict = "keeps the service levels" if s["keeps_service_levels"] else "breaks " + ", ".join(service["broken"])
        lines.append(f"  {s['name']}: {'; '.join([*waits, f'busiest team {team} {busy:.0%}'])}; {verdict}")
    winner = summary["winner"]
    lines.append(
        f"winner: {winner} (best {objective} among the strategies that keep the service levels)"
        if winner
        else "no strategy keeps every service level: none is recommended"
    )
    return "service levels (measured on the same replications, each held with 95% confidence):\n" + "\n".join(lines)


def _sweep(args: argparse.Namespace) -> int:
    from sim.experiments import load_sweep, sweep

    spec = load_sweep(args.file, limit_points=not args.no_limits)
    s = spec.spec
    biggest = max(spec.scenarios, key=lambda p: p.horizon_days * sum(c.leads_per_day for c in p.channels))
    _within_limits(
        args,
        args.file,
        biggest,
        s.replications,
        s.engine,
        detail=False,
        runs=len(spec.scenarios),
        replications_option="replications",
    )
    output_dir(args.out)
    try:
        result = sweep(spec, args.out, workers=args.workers, dask=args.dask, force=args.force, progress=not args.quiet)
    except KeyboardInterrupt:
        print(
            f"interrupted; {len(ChunkStore(args.out).done())} of {len(spec.points)} points are saved in "
            f"{args.out}; run the same command again to resume",
            file=sys.stderr,
        )
        return 130
    print(f"{len(spec.points)} points x {spec.spec.replications} replications: wrote {result.store.results_path}")
    return 0


def _report(args: argparse.Namespace) -> int:
    from sim.report import write_report

    print(f"wrote {write_report(args.dir, args.out, args.objective)}")
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
    crm = crm.as_known_on(args.as_of) if args.as_of is not None else crm
    with _input_from(args.export):
        cal = calibrate(crm)
    print(cal)
    dump(cal.scenario(horizon_days=args.horizon_days, name=args.name), out)
    print(f"wrote {out}")
    if report is not None:
        write_csv(report / "rejected_rows.csv", crm.report.skipped)
        for name in ("conversion", "time_fits", "values", "reps", "arrivals", "cycle"):
            write_csv(report / f"{name}.csv", getattr(cal, name), index=True)
        write_json(
            report / "calibration.json",
            {
                "rows_read": cal.rows_read,
                "rows_used": cal.rows_used,
                "as_of": str(cal.as_of.date()),
                "win_probability": cal.win_probability,
                "problems": crm.report.counts.to_dict(),
                "notes": list(cal.notes),
            },
        )
        print(f"wrote the rejected rows and the fitted figures to {report}")
    return 0


def _backtest(args: argparse.Namespace) -> int:
    from sim.rolling import rolling_backtest

    cutoffs = sorted({*args.cutoff, *(d for spec in args.cutoffs for d in spec)})
    if not cutoffs:
        raise ScenarioError([Problem("", "backtest: give at least one --cutoff DATE or --cutoffs START:END:STEP")])
    out = output_dir(args.out)
    crm = _read_crm(args.export, args.mapping)
    with _input_from(args.export):
        result_ = rolling_backtest(
            crm,
            cutoffs,
            until=args.until,
            period_days=args.period_days,
            replications=args.replications,
            seed=args.seed,
            known_arrivals=args.known_arrivals,
            hazard_days=args.hazard_days,
        )
    table, methods, chosen = result_.table, result_.methods(), result_.chosen
    shown = table[
        [
            "cutoff",
            "until",
            "predicted_won_p50",
            "actual_won",
            "predicted_revenue_p10",
            "predicted_revenue_p50",
            "predicted_revenue_p90",
            "actual_revenue",
            "naive_revenue",
            "abs_pct_error",
            "naive_abs_pct_error",
            "covered",
        ]
    ]
    print("the simulation:")
    print(shown.to_string(index=False, float_format="{:,.2f}".format))
    print(
        f"every method ({'revenue' if result_.measure == 'revenue' else 'won deals'}; P10-P90 calibrated on "
        "finished earlier cut-offs):"
    )
    print(result_.scores.to_string(index=False, float_format="{:,.3f}".format))
    print(pd.DataFrame(methods).T.to_string(float_format="{:.3f}".format))
    print(f"chosen: {chosen} (lowest mean absolute percentage error over the cut-offs)")
    for note in result_.notes:
        print(f"note: {note}")
    records = []
    for row in table.to_dict("records"):
        record = {k: v for k, v in row.items() if not k.startswith(("predicted_won_", "predicted_revenue_"))}
        for measure in ("won", "revenue"):
            record[f"predicted_{measure}"] = {q: row[f"predicted_{measure}_{q}"] for q in ("mean", "p10", "p50", "p90")}
        records.append({k: (str(v) if k in ("cutoff", "until") else v) for k, v in record.items()})
    result = dict(records[0]) if len(records) == 1 else {}
    result.update(
        {
            "replications": args.replications,
            "seed": args.seed,
            "backtests": records,
            "mean_abs_pct_error": float(table["abs_pct_error"].mean()),
            "naive_mean_abs_pct_error": float(table["naive_abs_pct_error"].mean()),
            "coverage": float(table["covered"].mean()),
            "measure": result_.measure,
            "methods": methods,
            "chosen": chosen,
            "method_backtests": [
                {k: (str(v) if k in ("cutoff", "until") else v) for k, v in row.items()}
                for row in result_.scores.to_dict("records")
            ],
            "notes": list(result_.notes),
        }
    )
    write_csv(out / "backtest.csv", table)
    write_csv(out / "methods.csv", result_.scores)
    write_json(out / "backtest.json", result)
    print(f"wrote {out / 'backtest.json'}, backtest.csv and methods.csv")
    return 0


def _forecast(args: argparse.Namespace) -> int:
    from sim.crm_forecast import crm_forecast
    from sim.plots.forecast import fan_chart
    from sim.rolling import Z90, choose

    out = output_dir(args.out)
    crm = _read_crm(args.export, args.mapping)
    if args.as_of is not None:
        crm = crm.as_known_on(args.as_of)
    with _input_from(args.export):
        until = args.until or (
            crm.as_of + pd.offsets.QuarterEnd(0)
            if crm.as_of != crm.as_of + pd.offsets.QuarterEnd(0)
            else crm.as_of + pd.offsets.QuarterEnd(1)
        )
        choice = choose(
            crm, until, method=args.method, replications=args.replications, seed=args.seed, hazard_days=args.hazard_days
        )
    outlook, table = choice.outlook, choice.table
    chosen = table.loc[choice.method]
    spread = (math.log1p(chosen["p90"]) - math.log1p(chosen["p10"])) / (2 * Z90)
    p_hit = None
    if args.target is not None:
        # a normal on the log1p scale with the chosen method's P10 and P90 (see sim.rolling)
        gap = math.log1p(args.target) - math.log1p(chosen["point"])
        z = gap / spread if spread > 0 else math.copysign(math.inf, gap)
        p_hit = 0.5 * math.erfc(z / math.sqrt(2))
    methods = {m: {k: (None if pd.isna(v) else float(v)) for k, v in row.items()} for m, row in table.iterrows()}
    result = {
        "from": str(outlook.start.date()),
        "until": str(outlook.end.date()),
        "open_deals": outlook.open_deals,
        "measure": choice.measure,
        "method": choice.method,
        "why": choice.reason,
        "forecast": methods[choice.method],
        "methods": methods,
        "zombie_share": {"age": choice.zombies.age, "young": choice.zombies.young, "old": choice.zombies.old},
        "won": outlook.won_quantiles(),
        "revenue": outlook.revenue_quantiles(),
        "weighted_pipeline": outlook.weighted,
        "open_pipeline_expected": outlook.weighted_by_age,
        "target": args.target,
        "p_hit_target": p_hit,
    }
    crm_view = crm_forecast(crm)
    result["crm_forecast"] = crm_view.summary()
    unit = "revenue" if choice.measure == "revenue" else "won deals"
    print(
        f"forecast of {unit} {result['from']} to {result['until']} from {outlook.open_deals:,} open deals and new arrivals:"
    )
    print(f"  method: {choice.method} ({choice.reason})")
    for m, row in table.iterrows():
        held = (
            f"such ranges held the actual in {row['coverage']:.0%} of {int(row['backtests'])} backtests"
            if row["backtests"] > 1
            else "too few finished backtests: the method's own range, coverage unknown"
        )
        print(
            f"  {'*' if m == choice.method else ' '} {m:<18} P10 {row['p10']:>13,.0f}  forecast {row['point']:>13,.0f}  "
            f"P90 {row['p90']:>13,.0f}  ({held})"
        )
    print(f"  weighted pipeline (stage probability x value): {outlook.weighted:,.0f}")
    for line in crm_view.lines():
        print(line)
    if args.target is not None:
        print(f"  probability of reaching {args.target:,.0f} ({choice.method}): {p_hit:.0%}")
    write_json(out / "forecast.json", result)
    write_csv(out / "fan.csv", outlook.fan(), index=True)
    _write_png(out / "fan.png", fan_chart(outlook, target=args.target))
    print(f"wrote {out / 'forecast.json'}, fan.csv and fan.png (the simulation's fan)")
    if crm_view.has_expected_close:
        write_csv(out / "slipped.csv", crm_view.slipped)
        print(f"wrote {out / 'slipped.csv'} (open deals past their expected close date)")
    return 0


def _track(args: argparse.Namespace) -> int:
    from sim.plots.tracking import plan_vs_actual_chart
    from sim.review import review, review_markdown
    from sim.scenario import Calendar
    from sim.tracking import read_plan, track

    out = output_dir(args.out)
    plan = read_plan(args.plan_dir)
    crm = _read_crm(args.export, args.mapping)
    try:
        calendar = Calendar(holidays={"country": args.country}) if args.country else Calendar()
    except ValueError:
        raise ScenarioError(
            [Problem("--country", f"{args.country!r} is not a country the holidays package knows (e.g. US, CN)")]
        ) from None
    with _input_from(args.plan_dir):
        result = track(
            crm,
            plan,
            args.as_of,
            calendar=calendar,
            checkpoints=args.checkpoints,
            tolerance=args.tolerance,
            replications=args.replications,
            seed=args.seed,
            measure=args.measure,
            start=_replan_start(args.plan_dir),
        )
    for checkpoint in result.checkpoints:
        print(checkpoint["line"])
    company = result.status[result.status["level"] == "company"]
    for row in company.itertuples():
        print(
            f"{row.horizon} {row.period}: {row.actual_to_date:,.0f} against {row.target_to_date:,.0f} to date "
            f"({row.pace}); projected P50 {row.p50:,.0f} (P10 {row.p10:,.0f}, P90 {row.p90:,.0f}) of "
            f"{row.target:,.0f}, P(make it) {row.p_make:.0%} (95% interval {row.p_make_low:.0%} to "
            f"{row.p_make_high:.0%})"
        )
    gap = result.gaps.iloc[0]
    parts = ", ".join(
        f"{name} {gap[name]:+,.0f}"
        for name in ["volume", *(f"conversion:{s}" for s in result.stages), "deal_size", "timing"]
    )
    print(f"gap to date {gap['gap']:+,.0f}: {parts}")
    for note in result.notes:
        print(f"note: {note}")
    sheet = review(result, crm)
    for row in sheet.head(5).itertuples():
        print(f"act {row.rank}: {row.action} ({row.level} {row.unit}, {row.cause}, {row.amount:+,.0f})")
    write_json(
        out / "tracking.json",
        {**result.summary(), "plan_dir": str(Path(args.plan_dir).resolve()), "country": args.country},
    )
    write_csv(out / "tracking.csv", result.status)
    write_csv(out / "gaps.csv", pd.concat([result.gaps, result.reps], ignore_index=True))
    write_csv(out / "review.csv", sheet)
    write_text(out / "review.md", review_markdown(result, sheet))
    _write_png(out / "tracking.png", plan_vs_actual_chart(result))
    print(f"wrote {out / 'tracking.json'}, tracking.csv, gaps.csv, review.md, review.csv and tracking.png")
    return 0


def _replan_start(plan_dir: Path) -> str | None:
    """The first day of a plan made by ``plan --from-track`` (its ``replan.json``), which may fall within a month."""
    path = Path(plan_dir) / "replan.json"
    try:
        start = json.loads(path.read_text(encoding="utf-8")).get("start") if path.is_file() else None
        return None if start is None else str(dt.date.fromisoformat(start))
    except (OSError, ValueError, AttributeError, TypeError):
        raise ScenarioError([Problem("start", "not a date (YYYY-MM-DD)", file=str(path))]) from None


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
    p.add_argument(
        "--hazard-days",
        type=_positive_int,
        metavar="D",
        help="judge open deals' chances from the last D days of deal experience only (default: all)",
    )


def _cutoff_range(text: str) -> list[pd.Timestamp]:
    from sim.rolling import cutoff_range

    try:
        return cutoff_range(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


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
    result = diagnose(
        crm,
        benchmark=benchmark,
        as_of=args.as_of,
        rules=rules,
        min_deals=args.min_deals,
        materiality=args.materiality,
        alpha=args.alpha,
    )
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
    print(
        f"reps credibly below their team: {len(flagged)} of {len(result.exceptions)} "
        f"({summary['exceptions']['tested']} with {args.min_deals}+ decided deals tested)"
    )
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
    report = {
        "as_of": as_of.date().isoformat(),
        "customers": len(tiers),
        "tiers": json.loads(summary.reset_index().to_json(orient="records")),
    }
    print(summary.to_string(formatters={"monetary": "{:,.0f}".format}))
    if args.invoices:
        invoices, skipped = read_invoices(args.invoices)
        aging = receivables_aging(invoices, as_of)
        report["receivables"] = {**aging.summary(), "invoices_skipped": len(skipped)}
        write_csv(out / "receivable_alerts.csv", aging.alerts)
        write_csv(out / "invoices_skipped.csv", skipped)
        _write_png(out / "receivables.png", aging_chart(aging.buckets))
        written += _RECEIVABLES
        print(
            f"receivables outstanding {aging.summary()['outstanding']:,.0f}; "
            f"{len(aging.alerts)} invoices unpaid beyond 30 days; {len(skipped)} invoice rows skipped"
        )
    write_json(out / "tiers.json", report)
    remove_stale(out, _RECEIVABLES, written)  # an earlier run's receivables, when this one has no invoices
    print(f"wrote {out / 'tiers.json'} and {out / 'tiers.csv'}")
    return 0


def _attached_plan(file: str, scenario: Scenario):
    """The incentive plan ``scenario`` attaches (its ``incentives``): the reference when ``--plan`` is not given."""
    if len(scenario.incentives) != 1:
        why = (
            f"{file} attaches plans to {len(scenario.incentives)} teams ({', '.join(scenario.incentives)}): "
            "say which plan is the reference"
            if scenario.incentives
            else f"{file} attaches no incentive plan (its `incentives`): give the plan to price"
        )
        raise ScenarioError([Problem("--plan", why)])
    ((team, plan),) = scenario.incentives.items()
    print(f"reference plan: {plan.name}, the plan {file} attaches to {team} (--plan PLAN prices another)")
    return plan


def _incentives(args: argparse.Namespace) -> int:
    from sim.incentives import check_plan, compare_plans, load_plan

    scenario = load(args.file)
    plans = [] if args.plan is not None else [_attached_plan(args.file, scenario)]
    for file in [args.plan, *args.compare] if args.plan is not None else args.compare:
        plan = load_plan(file)
        try:
            check_plan(plan, scenario)
        except ScenarioError as exc:
            _, lines = parse_yaml(read_text(file), str(file))
            raise exc.with_file(str(file), field_lines(lines)) from None
        plans.append(plan)
    _within_limits(args, args.file, scenario, args.replications, args.engine, detail=True)
    out = output_dir(args.out) if args.out is not None else None
    results = simulate(
        scenario, replications=args.replications, seed=args.seed, engine=args.engine, progress=not args.quiet
    )
    table, summary = compare_plans(results, plans)
    shown = pd.DataFrame(
        [
            {
                "plan": s["plan"],
                "revenue": s["revenue"]["mean"],
                "comp cost": s["comp_cost"]["mean"],
                "cost of sales": s["cost_of_sales"]["mean"],
                "at quota": s["share_at_quota"]["mean"],
                "Gini": s["gini"]["mean"],
                "P(target)": s["p_hit_target"]["mean"],
                "cost per extra revenue": s.get("cost_per_extra_revenue") or np.nan,
            }
            for s in summary["plans"]
        ]
    )
    print(
        f"{scenario.name}: {len(plans)} plans on the same {args.replications} replications (seed {args.seed}, "
        f"engine {args.engine}); means"
    )
    print(
        shown.to_string(
            index=False,
            na_rep="",
            formatters={
                "revenue": "{:,.0f}".format,
                "comp cost": "{:,.0f}".format,
                "cost of sales": "{:.2%}".format,
                "at quota": "{:.0%}".format,
                "Gini": "{:.2f}".format,
                "P(target)": "{:.0%}".format,
                "cost per extra revenue": "{:.3f}".format,
            },
        )
    )
    if out is not None:
        write_with(out / "payouts.parquet", lambda tmp: table.to_parquet(tmp, index=False))
        write_json(out / "incentives.json", summary)
        print(f"wrote {out / 'payouts.parquet'} and {out / 'incentives.json'}")
    return 0


def _backend_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--workers",
        type=_positive_int,
        default=None,
        metavar="N",
        help="local worker processes (default: all cores); with --dask local, the cluster's workers",
    )
    p.add_argument(
        "--dask",
        type=_dask_address,
        metavar="ADDRESS",
        help="run on a dask.distributed scheduler (tcp://host:port), or 'local' for a LocalCluster",
    )


def sub_commands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """Each sub-command's own parser, by name, in the order ``--help`` lists them.

    >>> list(sub_commands(build_parser()))[:3]
    ['validate', 'run', 'plan']
    """
    (commands,) = [action for action in parser._actions if isinstance(action, argparse._SubParsersAction)]
    return dict(commands.choices)


def build_parser() -> argparse.ArgumentParser:
    """The ``salesplay`` command's parser; the docs' command-line page is generated from it.

    >>> build_parser().parse_args(["validate", "playbooks/b2b_saas.yaml"]).command
    'validate'
    """
    parser = argparse.ArgumentParser(prog="python -m sim", description="Salesplay: simulate and rehearse a sales plan.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("validate", help="check scenario files; print every problem, one line each")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.set_defaults(handler=_validate)

    p = sub.add_parser("run", help="simulate a scenario and summarise the results")
    p.add_argument("file", metavar="FILE")
    _run_options(p, engine="fast", replications=200)
    p.add_argument("--out", type=_path, metavar="DIR", help="write summary.json and the tables (Parquet) here")
    p.add_argument(
        "--summary-only",
        dest="detail",
        action="store_false",
        help="with --out, write per-replication and per-stage tables only, not per-lead ones",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(handler=_run)

    p = sub.add_parser("plan", help="break the annual target down and check it against staffing and simulation")
    p.add_argument(
        "file",
        metavar="FILE",
        nargs="?",
        help="the scenario (with --from-track, default: the tracked plan's scenario.yaml)",
    )
    p.add_argument(
        "--from-track",
        type=_path,
        metavar="DIR",
        help="plan the rest of the year tracked in DIR (salesplay track --out), keeping what is won",
    )
    p.add_argument(
        "--target",
        type=_positive_int,
        metavar="AMOUNT",
        help="annual revenue target (default: the scenario's targets.annual_revenue)",
    )
    p.add_argument(
        "--method",
        choices=METHODS,
        help="how the year is split over months (default: the scenario's targets.split, else reserve)",
    )
    p.add_argument(
        "--reserve-month",
        type=_whole,
        metavar="M",
        help="with --method reserve (1-12; default: the scenario's targets.reserve_month, else 12)",
    )
    p.add_argument(
        "--reserve-share",
        type=_non_negative_float,
        default=0.0,
        metavar="S",
        help="with --method reserve: share of the target the reserve month carries",
    )
    p.add_argument("--challenge", type=_positive_float, default=1.0, metavar="C", help="plan above target, e.g. 1.1")
    p.add_argument(
        "--rep-basis",
        choices=REP_BASES,
        default="capacity",
        help="split among reps by each seat's capacity (default), or by each named rep's won revenue "
        "in the past year (history) or open pipeline (pipeline) in --export",
    )
    p.add_argument("--export", metavar="EXPORT", help="with --rep-basis history|pipeline: the CRM export")
    p.add_argument("--mapping", default="maven", metavar="NAME|FILE", help="the export's mapping (default: maven)")
    p.add_argument("--as-of", type=_date, metavar="DATE", help="read the export as known on this day")
    _run_options(p, engine="fast", replications=ANSWER_REPLICATIONS)  # the same answer as the annual-plan page
    p.add_argument("--out", type=_path, metavar="DIR", help="write plan.csv and feasibility.json here")
    p.set_defaults(handler=_plan)

    p = sub.add_parser("allocate", help="split a marketing budget over channels (and reps over teams)")
    p.add_argument("file", metavar="FILE")
    p.add_argument(
        "--budget", type=_non_negative_float, required=True, metavar="B", help="marketing budget over the horizon"
    )
    p.add_argument("--headcount", type=_positive_int, metavar="H", help="reps to staff across the teams")
    _objective_option(p)
    p.add_argument("--steps", type=_positive_int, default=10, metavar="N", help="budget steps of the greedy search")
    _service_options(p)
    p.add_argument(
        "--channel-budget",
        type=_channel_budget,
        action="append",
        default=[],
        metavar="NAME:LOW:HIGH",
        help="keep a channel's budget between LOW and HIGH, e.g. inbound:200000:800000",
    )
    p.add_argument(
        "--fixed",
        action="append",
        default=[],
        metavar="CHANNEL",
        help="keep this channel's volume as it is (channels with fixed_volume or no cost per lead always are)",
    )
    p.add_argument(
        "--focus",
        action="store_true",
        help="also weigh the focus rule: the most valuable tiers served first, against first come, first served",
    )
    p.add_argument(
        "--route",
        type=_route,
        metavar="STAGE:TIERS:SENIORS:SKILL",
        help="also weigh routing TIERS (comma-separated) at STAGE to SENIORS of its team who convert "
        "SKILL times the stage's rate, against pooling them, e.g. negotiation:A:4:1.3",
    )
    _run_options(p, engine="fast", replications=40)
    p.add_argument(
        "--out",
        type=_path,
        metavar="DIR",
        help="write allocation.json and scenario.yaml (the recommended scenario, to rerun) here",
    )
    p.set_defaults(handler=_allocate)

    p = sub.add_parser(
        "hire",
        help="hires per team and month that reach a revenue target at least cost, or give "
        "the best chance of it within a budget",
    )
    p.add_argument("file", metavar="SCENARIO")
    p.add_argument("--target", type=_positive_int, required=True, metavar="AMOUNT", help="annual revenue target")
    p.add_argument("--method", choices=METHODS, default="reserve", help="how the target is split over months")
    p.add_argument(
        "--probability",
        type=_fraction,
        default=0.8,
        metavar="P",
        help="the probability of reaching the target the plan must keep (default 0.8)",
    )
    p.add_argument(
        "--budget",
        type=_non_negative_float,
        metavar="AMOUNT",
        help="instead: the best probability of reaching the target with hires costing at most AMOUNT in "
        "the year (hiring fees and their salaries from the day they start)",
    )
    _run_options(p, engine="fast", replications=40)
    p.add_argument(
        "--out",
        type=_path,
        required=True,
        metavar="DIR",
        help="write hiring.json, scenario.yaml (the scenario with the hires) and headcount.png here",
    )
    p.set_defaults(handler=_hire)

    p = sub.add_parser("compare", help="compare strategies on common random numbers; write comparison.json")
    p.add_argument("files", nargs="+", metavar="FILE", help="scenario files; the first is the baseline")
    p.add_argument(
        "--override",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="add a strategy: the baseline with this change, e.g. teams.solutions.headcount=14",
    )
    p.add_argument(
        "--strategies",
        type=_path,
        metavar="FILE",
        help="add the strategies of a YAML file: each a name and the overrides (several changes at once) "
        "that make it from the baseline, e.g. 'more SDRs: {teams.sdr.headcount: 6}'",
    )
    _objective_option(p)
    _service_options(p)
    _run_options(p, engine=DEFAULT_ENGINE, replications=200)
    p.add_argument(
        "--out",
        type=_path,
        metavar="DIR",
        help="write each strategy as it finishes (resumable), then comparison.json, here",
    )
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
    _objective_option(p)
    p.set_defaults(handler=_report)

    p = sub.add_parser("diagnose", help="funnel, bottlenecks, rep exceptions, aged deals and tiers from a CRM export")
    p.add_argument("file", metavar="EXPORT", help="opportunity export (CSV or Excel), or a folder for a preset")
    p.add_argument("--mapping", default="maven", metavar="NAME|FILE", help="column mapping: a preset or a YAML file")
    p.add_argument("--benchmark", type=_path, metavar="FILE", help="YAML with conversion: {stage: rate}")
    p.add_argument(
        "--tier-rules", type=_path, metavar="FILE", help="YAML tier rules (default: the practice's RFM tiers)"
    )
    p.add_argument(
        "--as-of", type=_date, metavar="DATE", help="date of the review (default: the latest date in the export)"
    )
    p.add_argument(
        "--min-deals",
        type=_positive_int,
        default=20,
        metavar="N",
        help="decided deals a rep needs before a low win rate may be flagged",
    )
    p.add_argument("--materiality", type=_fraction, default=0.2, metavar="M", help="flag reps this far below the team")
    p.add_argument("--alpha", type=_fraction, default=0.05, metavar="A", help="false discovery rate across reps")
    p.add_argument(
        "--out",
        type=_path,
        required=True,
        metavar="DIR",
        help="write diagnostics.json, coaching.csv, exceptions.csv, aging_deals.csv, tiers.csv, charts",
    )
    p.set_defaults(handler=_diagnose)

    p = sub.add_parser("tiers", help="customer tiers by RFM with follow-up cadences; receivables aging")
    p.add_argument("file", metavar="EXPORT", help="opportunity export (CSV or Excel), or a folder for a preset")
    p.add_argument("--mapping", default="maven", metavar="NAME|FILE", help="column mapping: a preset or a YAML file")
    p.add_argument(
        "--tier-rules", type=_path, metavar="FILE", help="YAML tier rules (default: the practice's RFM tiers)"
    )
    p.add_argument(
        "--invoices",
        type=_path,
        metavar="FILE",
        help="invoice table (invoice_id, customer, amount, issued, paid) to age",
    )
    p.add_argument(
        "--as-of", type=_date, metavar="DATE", help="date of the review (default: the latest date in the export)"
    )
    p.add_argument("--out", type=_path, required=True, metavar="DIR", help="write tiers.json and tiers.csv here")
    p.set_defaults(handler=_tiers)

    p = sub.add_parser("calibrate", help="calibrate a scenario from a CRM export; print the bad-row report")
    p.add_argument("export", metavar="EXPORT", help="CSV or Excel export, or the folder holding it")
    p.add_argument(
        "--mapping",
        default="maven",
        metavar="NAME|FILE",
        help="column mapping: maven, olist, salesforce, hubspot, or a YAML file",
    )
    p.add_argument("--out", type=_path, required=True, metavar="SCENARIO.yaml", help="write the scenario here")
    p.add_argument("--horizon-days", type=_positive_int, default=365, metavar="D")
    p.add_argument(
        "--as-of",
        type=_date,
        metavar="DATE",
        help="calibrate on the export as it read on this date (default: all of it); the year starts the day after",
    )
    p.add_argument("--name", default=None, help="scenario name")
    p.add_argument("--report", type=_path, metavar="DIR", help="write rejected_rows.csv and the fitted figures here")
    p.set_defaults(handler=_calibrate)

    p = sub.add_parser("backtest", help="forecast from past cut-offs and compare with what happened")
    p.add_argument("export", metavar="EXPORT")
    p.add_argument("--mapping", default="maven", metavar="NAME|FILE")
    p.add_argument(
        "--cutoff", type=_date, action="append", default=[], metavar="DATE", help="cut-off date (repeat for several)"
    )
    p.add_argument(
        "--cutoffs",
        type=_cutoff_range,
        action="append",
        default=[],
        metavar="START:END:STEP",
        help="every cut-off of a range, STEP monthly or weekly (e.g. 2017-05-31:2017-09-30:monthly)",
    )
    p.add_argument("--until", type=_date, metavar="DATE", help="end of the period (default: the data's last date)")
    p.add_argument(
        "--period-days", type=_positive_int, metavar="D", help="instead of --until: D days after each cut-off"
    )
    p.add_argument(
        "--known-arrivals",
        action="store_true",
        help="give the model the leads that did arrive (forecast the won count of those cohorts)",
    )
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
    p.add_argument(
        "--target",
        type=_positive_float,
        metavar="AMOUNT",
        help="target of the period (revenue, or won deals when the export has no values)",
    )
    p.add_argument(
        "--method",
        choices=FORECAST_METHODS,
        metavar="NAME",
        help=f"forecast by this method ({', '.join(FORECAST_METHODS)}); "
        "default: the one with the lowest error in backtests at earlier cut-offs",
    )
    _hazard_option(p)
    p.add_argument("--replications", type=_positive_int, default=1000, metavar="N")
    p.add_argument("--seed", type=_seed, default=0, metavar="S")
    p.add_argument("--out", type=_path, required=True, metavar="DIR", help="write forecast.json, fan.csv, fan.png here")
    p.set_defaults(handler=_forecast)

    p = sub.add_parser("track", help="hold a CRM export against a plan: pace, projections, why the gap, what to do")
    p.add_argument("plan_dir", type=_path, metavar="PLAN_DIR", help="folder holding plan.csv (salesplay plan --out)")
    p.add_argument("export", metavar="EXPORT")
    p.add_argument("--mapping", default="maven", metavar="NAME|FILE")
    p.add_argument("--as-of", type=_date, required=True, metavar="DATE", help="date of the review")
    p.add_argument(
        "--checkpoints",
        type=_checkpoints,
        default=(10, 20, "end"),
        metavar="DAYS",
        help="days of the month that get a status line (default: 10,20,end)",
    )
    p.add_argument(
        "--tolerance",
        type=_fraction,
        default=0.05,
        metavar="T",
        help="within this share of the target to date counts as on track",
    )
    p.add_argument("--country", metavar="CC", help="pace months by this country's working days (public holidays)")
    p.add_argument(
        "--measure",
        choices=("revenue", "deals"),
        default="revenue",
        help="track revenue against the plan's targets, or won deals against its deals (exports without values)",
    )
    p.add_argument("--replications", type=_positive_int, default=500, metavar="N")
    p.add_argument("--seed", type=_seed, default=0, metavar="S")
    p.add_argument(
        "--out",
        type=_path,
        required=True,
        metavar="DIR",
        help="write tracking.json, tracking.csv, gaps.csv, review.md, review.csv and tracking.png here",
    )
    p.set_defaults(handler=_track)

    p = sub.add_parser("incentives", help="pay the simulated year under incentive plans; compare cost and spread")
    p.add_argument("file", metavar="SCENARIO")
    p.add_argument(
        "--plan",
        type=_path,
        metavar="PLAN",
        help="the current plan (the reference; default: the plan the scenario attaches, its incentives)",
    )
    p.add_argument("--compare", type=_path, nargs="+", default=[], metavar="PLAN", help="plans to compare with it")
    _run_options(p, engine="fast", replications=50)
    p.add_argument("--out", type=_path, metavar="DIR", help="write payouts.parquet and incentives.json here")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(handler=_incentives)
    return parser


def _objective_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--objective",
        choices=tuple(OBJECTIVES),
        default=next(iter(OBJECTIVES)),
        help="rank by profit (revenue minus marketing, staff, hiring and commission), revenue, or "
        "the probability of reaching targets.annual_revenue (p_target)",
    )


def _service_options(parser: argparse.ArgumentParser) -> None:
    """``--max-wait`` and ``--max-utilisation``: the service levels a choice must keep."""
    parser.add_argument(
        "--max-wait",
        type=_max_wait,
        action="append",
        default=[],
        metavar="STAGE:DAYS[:SHARE]",
        help="a service level: at least SHARE (default 0.9) of the leads reaching STAGE have a rep "
        "start on them within DAYS, e.g. qualify:3:0.9 (first contact within 3 days for 9 leads "
        "in 10)",
    )
    parser.add_argument(
        "--max-utilisation",
        type=_fraction,
        metavar="U",
        help="a service level: no team busier than this share of its working time, e.g. 0.85",
    )


def _limits_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--no-limits",
        action="store_true",
        help="run even when the estimated memory or time is above what a 2-core, 24 GiB machine "
        "can give (for bigger machines)",
    )


def _run_options(parser: argparse.ArgumentParser, engine: str, replications: int) -> None:
    """The options every simulating command takes: engine, replications, seed."""
    parser.add_argument("--engine", choices=tuple(ENGINES), default=engine)
    parser.add_argument("--replications", type=_positive_int, default=replications, metavar="N")
    parser.add_argument("--seed", type=_seed, default=0, metavar="S")
    _limits_option(parser)


def _max_wait(text: str):
    """``STAGE:DAYS[:SHARE]`` for ``--max-wait``."""
    from sim.service import MaxWait

    try:
        return MaxWait.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _channel_budget(text: str) -> tuple[str, tuple[float, float]]:
    """``NAME:LOW:HIGH`` for ``allocate --channel-budget``."""
    try:
        name, low, high = text.rsplit(":", 2)
        return name, (_non_negative_float(low), _non_negative_float(high))
    except (ValueError, argparse.ArgumentTypeError):
        raise argparse.ArgumentTypeError(f"{text!r} is not NAME:LOW:HIGH, e.g. inbound:200000:800000") from None


def _route(text: str) -> tuple[str, list[str], int, float]:
    """``STAGE:TIERS:SENIORS:SKILL`` (tiers comma-separated) for ``allocate --route``."""
    try:
        stage, tiers, seniors, skill = text.rsplit(":", 3)
        return stage, tiers.split(","), _positive_int(seniors), _positive_float(skill)
    except (ValueError, argparse.ArgumentTypeError):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not STAGE:TIERS:SENIORS:SKILL, e.g. negotiation:A:4:1.3"
        ) from None


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
    """Run the command line; return the exit status. Bad input, wherever a handler finds it (a
    :class:`ScenarioError`; :func:`_input_from` turns a model's ``ValueError`` into one), is said here,
    one line per problem, with exit status 2."""
    args = build_parser().parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except ScenarioError as exc:
        print(exc, file=sys.stderr)
        return EXIT_BAD_INPUT
