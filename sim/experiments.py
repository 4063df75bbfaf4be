"""Compare strategies and sweep parameters, on common random numbers, at any scale.

A *strategy* is a scenario plus overrides (see :mod:`sim.overrides`). :func:`compare` runs
several strategies with the same seed: replication ``r`` of every strategy sees the same
leads, conversions, work and wait times, deal values and rosters (each drawn from its own
stream), so the paired difference between two strategies is far less noisy than the
difference of two independent runs. It reports each headline figure with its 95% confidence
interval, its costs and profit (:mod:`sim.costs`), the paired differences against the baseline
(the first strategy) with their intervals, and the probability that each strategy is best by the
objective (profit by default, revenue, or the probability of reaching the target). Strategies
can be written as a file, each a name and a set of overrides (:func:`load_strategies`). Given
service levels (:mod:`sim.service`: a wait limit at a stage, a ceiling on every team's
utilisation), each strategy is simulated once more on the same replications to measure its waits
and utilisation; a strategy that breaks a limit ranks below every one that keeps them, is never
the winner, and the summary names the limits it breaks.

:func:`sweep` runs a design -- a grid, a Latin hypercube or random points over named
parameters -- and streams one tidy row per point and replication to a resumable results
directory (:mod:`sim.store`); :func:`sensitivity` ranks the parameters by how much a figure
moves between their low and high values (the data of a tornado chart).

Both run serially, on local processes or on a Dask cluster (:mod:`sim.execution`), with the
same numbers to the bit.

Examples
--------
>>> import sim
>>> base = sim.load("benchmarks/w1.yaml").replace({"horizon_days": 10})
>>> more = Strategy.from_overrides("more qualifiers", base, {"teams.qualifiers.headcount": 30})
>>> result = compare([Strategy("baseline", base), more], replications=3, seed=1, progress=False)
>>> result.replications.groupby("strategy", sort=False)["leads"].sum().tolist()  # same leads: CRN
[6051, 6051]
>>> sorted(result.summary()["strategies"][1])[:6]
['costs', 'costs_not_given', 'marketing_cost', 'name', 'overrides', 'p_best']
>>> result.summary()["objective"], sorted(result.summary()["ranking"])  # ranking: best profit first
('profit', ['baseline', 'more qualifiers'])
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Mapping, Sequence

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from scipy.stats import qmc

from sim.constraints import PositiveInt
from sim.costs import COLUMNS as COST_COLUMNS, not_given
from sim.engine import ENGINES, EXACT
from sim.errors import Problem, ScenarioError
from sim.execution import FIGURES, describe_backend, run_tasks
from sim.limits import check_points, grid_points
from sim.overrides import apply_overrides
from sim.scenario import Scenario, dump, load
from sim.service import NO_LIMITS, Evaluation, ServiceLevels, evaluate
from sim.yaml_io import field_lines, parse_yaml, read_text, validate
from sim.outputs import output_dir, write_json, write_with
from sim.store import ChunkStore
from sim.stats import LEVEL, mean_interval, proportion, quantiles
from sim.streams import generator

__all__ = [
    "Strategy",
    "Comparison",
    "compare",
    "load_strategies",
    "OBJECTIVES",
    "p_best_by",
    "SweepSpec",
    "Sweep",
    "SweepResult",
    "load_sweep",
    "sweep",
    "sensitivity",
    "DEFAULT_ENGINE",
]

DEFAULT_ENGINE = "fast"
"""The engine experiments use unless told otherwise (lead-for-lead equal to ``"des"``, much faster)."""

DESIGN = 64
"""Purpose number of the stream that draws Latin-hypercube and random designs (apart from the model's 0-7)."""

OBJECTIVES = {"profit": "profit", "revenue": "revenue", "p_target": "hit_target"}
"""What a choice can be ranked by (the first is the default) → its per-replication figure: profit (revenue minus
the costs of :mod:`sim.costs`), revenue, or the probability of reaching ``targets.annual_revenue``."""
Objective = Literal["profit", "revenue", "p_target"]

BOOTSTRAP = 65
"""Purpose number of the stream that resamples replications for the probability of being best by P(target)."""

RESAMPLES = 2000
"""Bootstrap resamples behind the probability of being best by P(target)."""


@dataclass(frozen=True)
class Strategy:
    """A named scenario, and the overrides that made it from its base (for reports)."""

    name: str
    scenario: Scenario
    overrides: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_overrides(
        cls,
        name: str,
        base: Scenario,
        overrides: Mapping[str, Any],
        file: str = "<overrides>",
        lines: Mapping[str, int] | None = None,
    ) -> "Strategy":
        """The strategy ``base`` + ``overrides``, validated (see :func:`sim.overrides.apply_overrides`)."""
        return cls(name, apply_overrides(base, overrides, file, lines), dict(overrides))


# --------------------------------------------------------------------------- compare


def _spread(values: np.ndarray) -> dict[str, float]:
    return {**mean_interval(values), **quantiles(values)}


def p_best(table: pd.DataFrame, figure: str = "revenue") -> pd.Series:
    """Share of replications in which each strategy has the highest ``figure`` (ties shared)."""
    wide = table.pivot(index="replication", columns="strategy", values=figure)
    best = wide.eq(wide.max(axis=1), axis=0)
    return best.div(best.sum(axis=1), axis=0).mean()


def p_best_by(table: pd.DataFrame, objective: Objective, seed: int = 0) -> pd.Series:
    """The probability that each strategy is best by ``objective`` (ties shared).

    By profit or revenue: the share of replications in which it earns the most (:func:`p_best`). A
    replication either reaches the target or not, so by ``p_target`` it is the share of bootstrap
    resamples of the replications (the same rows for every strategy: the pairing kept) in which its
    share reaching the target is the highest.

    >>> table = pd.DataFrame({"strategy": list("abab"), "replication": [0, 0, 1, 1], "hit_target": [1.0, 1, 0, 1]})
    >>> p_best_by(table, "p_target").round(2).to_dict()
    {'a': 0.12, 'b': 0.88}
    """
    figure = OBJECTIVES[objective]
    if objective != "p_target":
        return p_best(table, figure)
    wide = table.pivot(index="replication", columns="strategy", values=figure)
    if wide.isna().any().any():
        return pd.Series(np.nan, index=wide.columns)
    rows = generator(seed, 0, BOOTSTRAP).integers(0, len(wide), size=(RESAMPLES, len(wide)))
    rates = wide.to_numpy(float)[rows].mean(axis=1)  # (resamples, strategies)
    best = rates == rates.max(axis=1, keepdims=True)
    return pd.Series((best / best.sum(axis=1, keepdims=True)).mean(axis=0), index=wide.columns)


@dataclass(frozen=True, eq=False)  # compared by identity: its table has no single truth value
class Comparison:
    """Per-replication figures of several strategies run on common random numbers.

    ``service`` maps a strategy's name to its waits and utilisation held against ``levels`` (strategies
    run without service levels are not in it)."""

    strategies: Sequence[Strategy]
    replications: pd.DataFrame
    seed: int
    engine: str
    backend: dict[str, Any] = field(default_factory=dict)
    objective: Objective = "profit"
    levels: ServiceLevels = NO_LIMITS
    service: Mapping[str, Evaluation] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.objective not in OBJECTIVES:
            raise ValueError(f"unknown objective {self.objective!r}; choose one of {', '.join(OBJECTIVES)}")
        object.__setattr__(self, "strategies", tuple(self.strategies))  # a frozen result holds no list to edit

    def keeps(self, name: str) -> bool:
        """Whether strategy ``name`` keeps every service level (always, when none was given)."""
        return name not in self.service or self.service[name].feasible

    def figure(self, name: str) -> pd.DataFrame:
        """One column per strategy, one row per replication."""
        wide = self.replications.pivot(index="replication", columns="strategy", values=name)
        return wide[[s.name for s in self.strategies]]

    def differences(self, figure: str = "revenue") -> pd.DataFrame:
        """Paired and unpaired view of each strategy's difference from the baseline (the first).

        Columns: mean difference, its 95% interval from the paired replications, the standard
        deviation of the paired differences and the one two independent runs would have.
        """
        wide = self.figure(figure)
        base = wide.iloc[:, 0].to_numpy(float)
        rows = []
        for name in wide.columns[1:]:
            diff = wide[name].to_numpy(float) - base
            mean = mean_interval(diff)
            rows.append(
                {
                    "strategy": name,
                    "mean": mean["mean"],
                    "ci_low": mean["ci95"][0],
                    "ci_high": mean["ci95"][1],
                    "sd_paired": float(diff.std(ddof=1)) if len(diff) > 1 else 0.0,
                    "sd_unpaired": float(np.sqrt(wide[name].var() + wide.iloc[:, 0].var())),
                }
            )
        return pd.DataFrame(rows, columns=["strategy", "mean", "ci_low", "ci_high", "sd_paired", "sd_unpaired"])

    def summary(self) -> dict[str, Any]:
        """The content of ``comparison.json``: per strategy its figures (mean, interval, quantiles), costs and
        profit, the paired differences from the baseline, and the probability of being best by the objective;
        ``ranking`` lists the strategies best first by the objective's mean, those that keep the service levels
        before any that breaks one; ``winner`` is the first of them unless it breaks a level. With service levels,
        each strategy's ``service`` holds its waits and utilisation, and the probability of being best is taken
        among the strategies that keep them (``null`` for one that breaks a level)."""
        keepers = [s.name for s in self.strategies if self.keeps(s.name)] or [s.name for s in self.strategies]
        best = p_best_by(self.replications[self.replications["strategy"].isin(keepers)], self.objective, self.seed)
        compared = ("revenue", "profit") if self.objective != "p_target" else ("revenue", "profit", "hit_target")
        diffs = {figure: self.differences(figure).set_index("strategy") for figure in compared}
        out = []
        for i, s in enumerate(self.strategies):
            rows = self.replications[self.replications["strategy"] == s.name]
            entry = {
                "name": s.name,
                "overrides": dict(s.overrides),
                "revenue": _spread(rows["revenue"].to_numpy(float)),
                "won": _spread(rows["won"].to_numpy(float)),
                "marketing_cost": _spread(rows["marketing_cost"].to_numpy(float)),
                "costs": {
                    part: _spread(rows[column].to_numpy(float))
                    for part, column in (*COST_COLUMNS.items(), ("total", "total_cost"))
                },
                "costs_not_given": not_given(s.scenario),
                "profit": _spread(rows["profit"].to_numpy(float)),
                "p_hit_target": None if rows["hit_target"].isna().any() else proportion(rows["hit_target"]),
                "p_best": float(best[s.name]) if s.name in best.index else None,
            }
            if entry["p_best"] is None:
                entry["p_best_null_because"] = "it breaks a service level: the best is taken among those that keep them"
            if s.name in self.service:
                entry["service"] = self.service[s.name].service()
                entry["keeps_service_levels"] = self.keeps(s.name)
            if i > 0:
                for figure, table in diffs.items():
                    d = table.loc[s.name]
                    name = "p_hit_target" if figure == "hit_target" else figure
                    entry[f"{name}_difference"] = {
                        "against": self.strategies[0].name,
                        "mean": float(d["mean"]),
                        "ci95": [float(d["ci_low"]), float(d["ci_high"])],
                        "sd_paired": float(d["sd_paired"]),
                        "sd_unpaired": float(d["sd_unpaired"]),
                    }
            out.append(entry)
        score = {
            e["name"]: (e["p_hit_target"] or {"mean": -1.0})["mean"]
            if self.objective == "p_target"
            else e[self.objective]["mean"]
            for e in out
        }
        ranking = sorted(score, key=lambda name: (not self.keeps(name), -score[name]))
        winner = (
            {"winner": ranking[0]}
            if self.keeps(ranking[0])
            else {"winner": None, "winner_null_because": "no strategy keeps every service level"}
        )
        levels = {"service_levels": self.levels.as_dict()} if self.service else {}
        return {
            "kind": "comparison",
            "objective": self.objective,
            "baseline": self.strategies[0].name,
            "replications": int(self.replications["replication"].nunique()),
            "seed": self.seed,
            "engine": self.engine,
            "level": LEVEL,
            **self.backend,
            **levels,
            "ranking": ranking,
            **winner,
            "strategies": out,
        }

    def save(self, directory: str | Path) -> Path:
        """Write ``comparison.json`` and ``replications.parquet`` into ``directory``; return it."""
        directory = output_dir(directory)
        write_with(directory / "replications.parquet", lambda tmp: self.replications.to_parquet(tmp, index=False))
        write_json(directory / "comparison.json", self.summary())
        return directory


def compare(
    strategies: Sequence[Strategy],
    replications: int = 100,
    seed: int = 0,
    engine: str = DEFAULT_ENGINE,
    workers: int | None = 1,
    dask: str | None = None,
    progress: bool | None = None,
    out: str | Path | None = None,
    force: bool = False,
    objective: Objective = "profit",
    levels: ServiceLevels = NO_LIMITS,
) -> Comparison:
    """Run every strategy on the same seed (common random numbers) and compare them.

    Parameters
    ----------
    strategies : the strategies; the first is the baseline of the paired differences.
    replications, seed, engine : as for :func:`sim.simulate`; every strategy gets the same.
    workers, dask : where to run (see :func:`sim.execution.run_tasks`).
    progress : show a progress bar.
    out : a results directory: each strategy's replications are written there as soon as they
        finish (see :mod:`sim.store`), a run that was stopped resumes without recomputing them,
        and ``comparison.json`` is written at the end. ``force`` starts afresh.
    objective : what ranks the strategies and decides which is best (see :data:`OBJECTIVES`).
    levels : service levels every strategy is held against; each strategy is then simulated once more, in
        this process, on the same replications to measure its waits and utilisation (the per-replication
        figures do not keep them). Needs an exact engine.
    """
    names = [s.name for s in strategies]
    if len(strategies) < 1 or len(set(names)) != len(names):
        raise ValueError(f"give one or more strategies with distinct names, got {names}")
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    limited = bool(levels.max_wait) or levels.max_utilisation is not None
    if limited:
        if engine not in EXACT:
            raise ValueError(
                f"service levels are measured lead by lead: use an exact engine ({', '.join(EXACT)}), not {engine!r}"
            )
        for s in strategies:
            levels.check(s.scenario)
    tasks = {i: (s.scenario, seed, replications, engine) for i, s in enumerate(strategies)}
    if out is None:
        tables = dict(run_tasks(tasks, workers, dask, progress, desc="strategies"))
    else:
        store = ChunkStore(out)
        store.open(
            {
                "kind": "comparison",
                "replications": replications,
                "seed": seed,
                "engine": engine,
                "strategies": [{"name": s.name, "scenario": dump(s.scenario)} for s in strategies],
            },
            force=force,
            rows=replications,
        )
        done = store.done()
        todo = {i: args for i, args in tasks.items() if i not in done}
        for i, table in run_tasks(todo, workers, dask, progress, total=len(tasks), done=len(done), desc="strategies"):
            store.write(i, table)
        tables = {i: store.read_chunk(i) for i in tasks}
    table = pd.concat([tables[i].assign(strategy=s.name) for i, s in enumerate(strategies)], ignore_index=True)
    table = table[["strategy", "replication", *FIGURES]]
    service = (
        {s.name: evaluate(s.scenario, range(replications), seed, levels, engine) for s in strategies} if limited else {}
    )
    result = Comparison(strategies, table, seed, engine, describe_backend(workers, dask), objective, levels, service)
    if out is not None:
        result.save(out)
    return result


def load_strategies(path: str | Path, base: Scenario) -> list[Strategy]:
    """The strategies of a file: each top-level key a strategy's name, its value the overrides that make it
    from ``base`` (several changes at once), e.g.::

        more inbound, one more SDR:
          channels.inbound.leads_per_day: 36
          teams.sdr.headcount: 5

    Raises :class:`ScenarioError` with every problem of the file, each at its line and field.
    """
    file = str(path)
    data, lines = parse_yaml(read_text(path), file)
    if not isinstance(data, dict):
        raise ScenarioError(
            [
                Problem(
                    "",
                    "is not a mapping of strategy name to overrides (e.g. 'more SDRs: {teams.sdr.headcount: 6}')",
                    file,
                    1,
                )
            ]
        )
    strategies, problems = [], []
    for name, overrides in data.items():
        line = lines.get((name,))
        if not isinstance(name, str) or not name.strip():
            problems.append(Problem(str(name), "a strategy's name must be text", file, line))
        elif not isinstance(overrides, dict) or not overrides:
            problems.append(Problem(name, "needs one or more overrides, e.g. {teams.sdr.headcount: 6}", file, line))
        else:
            key_lines = {key: lines.get((name, key), line) for key in overrides}
            try:
                scenario = apply_overrides(base, overrides, file, key_lines, prefix=f"{name}.")
            except ScenarioError as exc:
                problems += exc.problems
            else:
                strategies.append(Strategy(name, scenario, dict(overrides)))
    if problems:
        raise ScenarioError(problems)
    return strategies


# --------------------------------------------------------------------------- sweep


class SweepSpec(BaseModel):
    """A sweep file: a scenario, the parameters to vary and how, replications and seed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    scenario: str = Field(
        min_length=1, description="Path of the scenario file (relative to the working directory or to the sweep file)."
    )
    parameters: dict[str, list[Any]] = Field(
        min_length=1, description="Dotted path → values (grid) or [low, high] (lhs, random)."
    )
    design: Literal["grid", "lhs", "random"] = Field(
        "grid", description="Full grid, Latin hypercube or independent uniform points."
    )
    points: PositiveInt | None = Field(None, description="Number of points of an lhs or random design.")
    replications: PositiveInt = Field(100, description="Replications per point.")
    seed: int = Field(0, description="Seed of the model's streams (the same for every point) and of the design.")
    engine: str = Field(DEFAULT_ENGINE, description="Simulation engine.")
    overrides: dict[str, Any] = Field({}, description="Overrides applied to every point, e.g. `{horizon_days: 90}`.")

    @field_validator("engine")
    @classmethod
    def _known_engine(cls, engine: str) -> str:
        if engine not in ENGINES:
            raise ValueError(f"unknown engine '{engine}' (one of {', '.join(ENGINES)})")
        return engine

    @field_validator("parameters")
    @classmethod
    def _values(cls, parameters: dict[str, list[Any]]) -> dict[str, list[Any]]:
        for key, values in parameters.items():
            if not values:
                raise ValueError(f"{key}: needs at least one value")
        return parameters

    @model_validator(mode="after")
    def _ranges(self) -> "SweepSpec":
        if self.design == "grid":
            return self
        problems = []
        if self.points is None:
            problems.append(Problem("points", f"missing: a {self.design} design needs a number of points"))
        for key, values in self.parameters.items():
            numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
            if len(values) != 2 or not numeric or values[0] > values[1]:
                problems.append(Problem(f"parameters.{key}", f"{values!r} is not a range [low, high]"))
        if problems:
            raise ScenarioError(problems)
        return self


@dataclass(frozen=True)
class Sweep:
    """A validated sweep: its spec, base scenario, points (one row each) and their scenarios."""

    spec: SweepSpec
    base: Scenario
    points: pd.DataFrame
    scenarios: tuple[Scenario, ...]
    file: str = "<sweep>"

    def manifest(self) -> dict[str, Any]:
        """What identifies the run: a results directory holds exactly one."""
        return {
            "kind": "sweep",
            "spec": self.spec.model_dump(mode="json"),
            "scenario": dump(self.base),
            "points": self.points.to_dict(orient="list"),
        }


def design_points(spec: SweepSpec) -> pd.DataFrame:
    """The points of ``spec``'s design: one column per parameter, one row per point.

    A range of whole numbers gives whole numbers; Latin-hypercube and random points draw from
    a stream of the sweep's seed, so the same spec gives the same points.
    """
    keys = list(spec.parameters)
    if spec.design == "grid":
        return pd.DataFrame(list(itertools.product(*spec.parameters.values())), columns=keys)
    rng = generator(spec.seed, 0, DESIGN)
    u = (
        qmc.LatinHypercube(d=len(keys), rng=rng).random(spec.points)
        if spec.design == "lhs"
        else rng.random((spec.points, len(keys)))
    )
    columns = {}
    for j, key in enumerate(keys):
        low, high = spec.parameters[key]
        if isinstance(low, int) and isinstance(high, int):
            columns[key] = np.minimum(low + np.floor(u[:, j] * (high - low + 1)), high).astype(int)
        else:
            columns[key] = low + u[:, j] * (high - low)
    return pd.DataFrame(columns)


def _scenario_path(name: str, file: str) -> Path:
    path = Path(name)
    if not path.is_absolute() and not path.exists() and (Path(file).parent / path).exists():
        return Path(file).parent / path
    return path


def load_sweep(path: str | Path, limit_points: bool = True) -> Sweep:
    """Read and validate a sweep file, its scenario and every point's overrides.

    Unless ``limit_points`` is false, a design of more than :data:`sim.limits.MAX_POINTS` points
    is refused before any point is built.
    """
    file = str(path)
    data, lines = parse_yaml(read_text(path), file)
    spec = validate(SweepSpec, data, file, lines)
    if limit_points:
        field = "parameters" if spec.design == "grid" else "points"
        points = grid_points(list(spec.parameters.values())) if spec.design == "grid" else spec.points
        try:
            check_points(points, field)
        except ScenarioError as exc:
            raise exc.with_file(file, field_lines(lines)) from None
    base = load(_scenario_path(spec.scenario, file))
    key_lines = {k: lines.get(("overrides", k)) for k in spec.overrides}
    base = apply_overrides(base, spec.overrides, file, key_lines, prefix="overrides.")
    points = design_points(spec)
    key_lines = {k: lines.get(("parameters", k)) for k in spec.parameters}
    scenarios = tuple(
        apply_overrides(base, row, file, key_lines, prefix="parameters.") for row in points.to_dict(orient="records")
    )
    return Sweep(spec, base, points, scenarios, file)


@dataclass(frozen=True)
class SweepResult:
    """A sweep's results directory: the tidy table and what can be computed from it."""

    directory: Path
    store: ChunkStore = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "directory", Path(self.directory))
        object.__setattr__(self, "store", ChunkStore(self.directory))

    @property
    def parameters(self) -> list[str]:
        return list(self.store.manifest()["spec"]["parameters"])

    def table(self) -> pd.DataFrame:
        """One row per point and replication: ``point``, the parameters, ``replication``, the figures."""
        return self.store.read()

    def by_point(self) -> pd.DataFrame:
        """Mean of every figure per point (``hit_target`` becomes the probability of hitting the target)."""
        table = self.table()
        return table.groupby(["point", *self.parameters], sort=True)[list(FIGURES)].mean().reset_index()

    def sensitivity(self, figure: str = "hit_target") -> pd.DataFrame:
        """See :func:`sensitivity`."""
        return sensitivity(self.by_point(), self.parameters, figure)


def sweep(
    spec: Sweep,
    out: str | Path,
    workers: int | None = 1,
    dask: str | None = None,
    force: bool = False,
    progress: bool | None = None,
) -> SweepResult:
    """Run the sweep into ``out``, resuming what an earlier run left; return its results.

    Each point's replications are written to ``out/chunks/`` as soon as they finish and
    ``out/results.parquet`` is assembled at the end (see :mod:`sim.store`); only the points
    not yet on disk are computed, and a finished sweep is not run again unless ``force``.
    On Ctrl-C, finished points stay on disk and :class:`KeyboardInterrupt` propagates.
    """
    store = ChunkStore(out)
    store.open(spec.manifest(), force=force, rows=spec.spec.replications)
    n = len(spec.points)
    if store.finished():
        return SweepResult(out)
    done = store.done()
    s = spec.spec
    tasks = {p: (spec.scenarios[p], s.seed, s.replications, s.engine) for p in range(n) if p not in done}
    records = spec.points.to_dict(orient="records")
    for point, table in run_tasks(tasks, workers, dask, progress, total=n, done=len(done), desc="sweep points"):
        table.insert(0, "point", point)
        for j, (key, value) in enumerate(records[point].items()):
            table.insert(1 + j, key, value)
        store.write(point, table)
    store.assemble(range(n))
    return SweepResult(out)


def sensitivity(by_point: pd.DataFrame, parameters: Sequence[str], figure: str = "hit_target") -> pd.DataFrame:
    """How much ``figure`` moves between each parameter's low and high values, largest swing first.

    For a parameter with few distinct values (a grid) the low and high groups are the points
    at its smallest and largest value; otherwise (Latin hypercube, random) its lowest and
    highest third. Each group's figure is averaged over the other parameters.

    Examples
    --------
    >>> points = pd.DataFrame({"a": [1, 1, 2, 2], "b": [0, 5, 0, 5], "y": [0.1, 0.2, 0.5, 0.6]})
    >>> sensitivity(points, ["a", "b"], "y")[["parameter", "low", "high", "swing"]].round(2)
      parameter  low  high  swing
    0         a 0.15  0.55    0.4
    1         b 0.30  0.40    0.1
    """
    rows = []
    for name in parameters:
        values = by_point[name]
        if values.nunique() <= 10:
            low_mask, high_mask = values == values.min(), values == values.max()
        else:
            low_mask, high_mask = values <= values.quantile(1 / 3), values >= values.quantile(2 / 3)
        low, high = by_point.loc[low_mask, figure].mean(), by_point.loc[high_mask, figure].mean()
        rows.append(
            {
                "parameter": name,
                "low_value": values[low_mask].mean(),
                "high_value": values[high_mask].mean(),
                "low": low,
                "high": high,
                "swing": high - low,
            }
        )
    table = pd.DataFrame(rows)
    return table.reindex(table["swing"].abs().sort_values(ascending=False).index).reset_index(drop=True)
