"""The public API: ``sim`` re-exports exactly what ``__all__`` lists, and nothing is missing."""

from __future__ import annotations

import sim

EXPECTED = {"Problem", "Results", "Scenario", "ScenarioError", "dump", "load", "loads", "simulate"}


def test_public_api_is_what_all_says():
    assert set(sim.__all__) >= EXPECTED
    public = {name for name in vars(sim) if not name.startswith("_")}
    modules = {name for name in public if type(getattr(sim, name)).__name__ == "module"}
    assert public - modules == set(sim.__all__)
