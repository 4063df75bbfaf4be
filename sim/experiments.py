"""Comparing strategies on common random numbers.

A strategy is a scenario, often the baseline with a few overrides (:mod:`sim.overrides`).
:func:`compare` runs every strategy with the same seed, so replication ``r`` of each sees the
same leads, conversions and work times wherever the model allows (see :mod:`sim.model.fates`):
differences between strategies are then measured far more precisely than the spread of any
one of them. For each strategy it reports the headline figures with a 95% confidence interval
of the mean, the paired difference in revenue against the baseline with its interval, and the
probability that it is best (the share of replications in which it has the highest revenue).

Examples
--------
>>> import sim
>>> from sim.overrides import apply_overrides
>>> base = sim.load("playbooks/b2b_saas.yaml").model_copy(update={"horizon_days": 60})
>>> more = apply_overrides(base, {"channels.inbound.leads_per_day": 45})
>>> result = compare([Strategy("base", base), Strategy("more inbound", more)], replications=4)
>>> result.summary()["strategies"][1]["name"]
'more inbound'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from sim.engine import simulate
from sim.scenario import Scenario

__all__ = ["Strategy", "Comparison", "compare"]

FIGURES = ("revenue", "won", "marketing_cost")


@dataclass(frozen=True)
class Strategy:
    """A named scenario to compare."""

    name: str
    scenario: Scenario


def _interval(values: np.ndarray, level: float = 0.95) -> list[float]:
    if len(values) < 2:
        return [float(values.mean())] * 2
    half = stats.t.ppf(0.5 + level / 2, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values))
    return [float(values.mean() - half), float(values.mean() + half)]


@dataclass(frozen=True)
class Comparison:
    """Per-replication figures of every strategy (same seed), and their summary."""

    strategies: tuple[Strategy, ...]
    table: pd.DataFrame  # strategy, replication, revenue, won, marketing_cost, p_hit (bool or NaN)
    replications: int
    seed: int
    engine: str

    def summary(self) -> dict[str, Any]:
        """What ``comparison.json`` holds."""
        wide = self.table.pivot(index="replication", columns="strategy", values="revenue")
        names = [s.name for s in self.strategies]
        wide = wide[names]
        best = wide.to_numpy() == wide.to_numpy().max(axis=1, keepdims=True)
        p_best = (best / best.sum(axis=1, keepdims=True)).mean(axis=0)  # ties shared
        baseline = wide[names[0]].to_numpy()
        out = []
        for i, strategy in enumerate(self.strategies):
            rows = self.table[self.table.strategy == strategy.name]
            entry: dict[str, Any] = {"name": strategy.name, "scenario": strategy.scenario.name}
            for figure in FIGURES:
                v = rows[figure].to_numpy(dtype=float)
                entry[figure] = {"mean": float(v.mean()), "ci95": _interval(v),
                                 **{k: float(np.quantile(v, q)) for k, q in (("p10", .1), ("p50", .5), ("p90", .9))}}
            target = strategy.scenario.targets
            entry["p_hit_target"] = float(rows.p_hit.mean()) if target else None
            entry["p_best"] = float(p_best[i])
            if i > 0:
                difference = wide[strategy.name].to_numpy() - baseline
                entry["revenue_difference"] = {"against": names[0], "mean": float(difference.mean()),
                                               "ci95": _interval(difference)}
            out.append(entry)
        return {"replications": self.replications, "seed": self.seed, "engine": self.engine,
                "baseline": names[0], "strategies": out}


def compare(strategies: Sequence[Strategy], replications: int = 200, seed: int = 0, engine: str = "fast",
            workers: int | None = None) -> Comparison:
    """Run every strategy on the same seed (common random numbers); the first is the baseline."""
    names = [s.name for s in strategies]
    if len(set(names)) != len(names):
        raise ValueError(f"strategy names must differ: {names}")
    frames = []
    for strategy in strategies:
        results = simulate(strategy.scenario, replications=replications, seed=seed, engine=engine, detail=False,
                           workers=workers)
        frame = results.replications[["replication", *FIGURES]].copy()
        target = strategy.scenario.targets
        frame["p_hit"] = frame.revenue >= target.annual_revenue if target else np.nan
        frame.insert(0, "strategy", strategy.name)
        frames.append(frame)
    return Comparison(tuple(strategies), pd.concat(frames, ignore_index=True), replications, seed, engine)
