"""Salesplay: simulate a sales funnel, its teams and its plan, and rehearse decisions before committing.

>>> import sim
>>> scenario = sim.load("benchmarks/w1.yaml")
>>> results = sim.simulate(scenario, replications=2, seed=7, detail=False)
>>> results.summary()["replications"]
2
"""

from sim.engine import simulate
from sim.errors import Problem, ScenarioError
from sim.experiments import Strategy, compare, load_sweep, sweep
from sim.feasibility import feasibility
from sim.incentives import IncentivePlan, compare_plans, load_plan, payouts, plan_summary
from sim.overrides import apply_overrides
from sim.results import Results
from sim.scenario import Scenario, dump, load, loads
from sim.targets import plan_table, reverse_funnel

__all__ = [
    "IncentivePlan",
    "Problem",
    "Results",
    "Scenario",
    "ScenarioError",
    "Strategy",
    "apply_overrides",
    "compare",
    "compare_plans",
    "dump",
    "feasibility",
    "load",
    "load_plan",
    "load_sweep",
    "loads",
    "payouts",
    "plan_summary",
    "plan_table",
    "reverse_funnel",
    "simulate",
    "sweep",
]
