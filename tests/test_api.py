"""The public API: ``sim`` re-exports exactly what ``__all__`` lists, and nothing is missing."""

from __future__ import annotations

import sim

EXPECTED = {"Problem", "Results", "Scenario", "ScenarioError", "dump", "load", "loads", "simulate"}


def test_public_api_is_what_all_says():
    assert set(sim.__all__) >= EXPECTED
    public = {name for name in vars(sim) if not name.startswith("_")}
    modules = {name for name in public if type(getattr(sim, name)).__name__ == "module"}
    assert public - modules == set(sim.__all__)


# Working records filled in step by step while they are built, never handed to a user.
BUILT_IN_PLACE = {"sim.rolling._Run"}


def test_results_are_frozen():
    """Every dataclass of the package is frozen, so a result handed out is not edited in place (a field can still
    hold a table or a dict); only the private working records above are built field by field."""
    import dataclasses
    import importlib
    import pkgutil

    classes = {}
    for module in pkgutil.walk_packages(sim.__path__, "sim."):
        if not module.name.endswith("__main__"):  # running it parses the command line
            for name, value in vars(importlib.import_module(module.name)).items():
                if dataclasses.is_dataclass(value) and isinstance(value, type) and value.__module__ == module.name:
                    classes[f"{module.name}.{name}"] = value
    assert {
        "sim.diagnostics.Diagnosis",
        "sim.service.Evaluation",
        "sim.odds.Odds",
        "sim.experiments.Comparison",
        "sim.experiments.SweepResult",
        "sim.results.Results",
    } <= set(classes)
    assert [
        name for name, cls in classes.items() if not cls.__dataclass_params__.frozen and name not in BUILT_IN_PLACE
    ] == []
