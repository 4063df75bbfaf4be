"""Shared fixtures: paths, the rotating seed, and small scenarios."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import sim

ROOT = Path(__file__).resolve().parents[1]
PLAYBOOKS = sorted((ROOT / "playbooks").glob("*.yaml"))
W1 = ROOT / "benchmarks" / "w1.yaml"
MAVEN = ROOT / "data" / "maven_crm"  # public domain, shipped
# Olist is non-commercial share-alike: read from beside the project, never copied into it.
OLIST = ROOT.parent / "shared" / "data" / "olist-marketing-funnel"
needs_olist = pytest.mark.skipif(not OLIST.is_dir(), reason="Olist data not in ../shared/data")


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
