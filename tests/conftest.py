"""Shared fixtures: paths, the rotating seed, and small scenarios; hypothesis' profiles."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, settings

import sim

# CI (and `make test`) runs the same examples every time, keeps none between runs, and does not shrink a
# failure (shrinking a slow simulation can take minutes): the failing example is printed as found, with a
# blob to replay it; `pytest --hypothesis-profile=ci-shrink` finds the same example and shrinks it. No limit
# depends on the clock: a deadline or a slow-generation health check would fail on a loaded machine what
# passes on an idle one.
_CI = dict(
    derandomize=True, database=None, deadline=None, print_blob=True, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("ci", phases=[Phase.explicit, Phase.generate, Phase.target], **_CI)
settings.register_profile("ci-shrink", **_CI)
# Working on the code: new examples each run, failures remembered (.hypothesis/) and shrunk.
settings.register_profile("dev", deadline=None, print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

ROOT = Path(__file__).resolve().parents[1]
PLAYBOOKS = sorted((ROOT / "playbooks").glob("*.yaml"))
W1 = ROOT / "benchmarks" / "w1.yaml"
MAVEN = ROOT / "data" / "maven_crm"  # public domain, shipped
# Olist ("Marketing Funnel by Olist", Kaggle) is non-commercial share-alike: never copied into the
# project, read from the folder named by SALESPLAY_OLIST_DIR; the tests that need it skip without it.
OLIST = Path(os.environ.get("SALESPLAY_OLIST_DIR", ""))
needs_olist = pytest.mark.skipif(
    not os.environ.get("SALESPLAY_OLIST_DIR") or not OLIST.is_dir(),
    reason="SALESPLAY_OLIST_DIR does not name the Olist data's folder",
)


@pytest.fixture
def seed(request) -> int:
    """The seed of a statistical test: SALESPLAY_TEST_SEED, or a fixed default; printed on failure."""
    value = int(os.environ.get("SALESPLAY_TEST_SEED", "20261124"))
    request.node.user_properties.append(("seed", value))
    print(f"seed={value} (set SALESPLAY_TEST_SEED to rerun with another)")
    return value


@pytest.fixture(scope="session")
def w1() -> sim.Scenario:
    return sim.load(W1)


@pytest.fixture
def schedule_solves(monkeypatch) -> list:
    """Every solve of :func:`sim.schedule.schedule` in the test, as the list of its targets, wherever it is called from."""
    from importlib import import_module

    solves = []
    solve = import_module("sim.schedule").schedule

    def counted(scenario, target, *args, **kwargs):
        solves.append(target)
        return solve(scenario, target, *args, **kwargs)

    for module in ("sim.cli", "sim.feasibility", "sim.replan", "sim.schedule", "sim.targets"):
        monkeypatch.setattr(import_module(module), "schedule", counted, raising=False)  # the package hides some
    return solves
