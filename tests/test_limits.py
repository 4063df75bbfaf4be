"""Scenarios that validate but cannot run: refused before they start, with the estimate and the field to change."""

from __future__ import annotations

import time
import tracemalloc

import pytest

import sim.cli
from sim.cli import main
from sim.limits import MAX_POINTS, estimate
from tests.conftest import W1

W1_TEXT = W1.read_text()


def _run(tmp_path, capsys, text: str, *options: str) -> tuple[int, str]:
    path = tmp_path / "s.yaml"
    path.write_text(text)
    status = main(["run", str(path), "--quiet", *options])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return status, err.replace(str(path), "s.yaml")


@pytest.fixture
def no_simulation(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the run started")

    monkeypatch.setattr(sim.cli, "simulate", refuse)


@pytest.mark.parametrize(
    "change, field",
    [
        (("leads_per_day: 200", "leads_per_day: 1.0e+9"), "s.yaml:11: channels[0].leads_per_day: "),
        (("horizon_days: 365", "horizon_days: 100000"), "s.yaml: --replications: "),  # one replication would fit
        (
            (
                "{name: qualifiers, headcount: 20}",
                "{name: qualifiers, headcount: 20, hires: [{day: 1, count: 1000000000}]}",
            ),
            "s.yaml:18: teams: ",
        ),
        (
            (
                "{name: qualifiers, headcount: 20}",
                "{name: qualifiers, headcount: 20, attrition: {annual_rate: 1.0e+9}}",
            ),
            "s.yaml:18: teams: ",
        ),
    ],
    ids=["leads_per_day", "horizon_days", "hires", "attrition"],
)
def test_a_run_beyond_the_machine_is_refused_with_its_estimate(tmp_path, capsys, no_simulation, change, field):
    """The original failures: MemoryError or hours of work, after validation had said the file was fine.

    On the reference engine (the slowest per lead), as the runs that failed were."""
    status, err = _run(tmp_path, capsys, W1_TEXT.replace(*change), "--replications", "20", "--engine", "des")
    assert status == 2 and len(err.splitlines()) == 1
    assert err.startswith(field) and "the run would simulate about " in err
    assert "is the limit on a machine of 2 cores and 24 GiB" in err and err.rstrip().endswith("or pass --no-limits")


def test_many_replications_point_at_the_replications_option(tmp_path, capsys, no_simulation):
    status, err = _run(tmp_path, capsys, W1_TEXT, "--replications", "100000000", "--engine", "fast")
    assert status == 2 and err.startswith("s.yaml: --replications: the run would simulate about 7.5e+12 leads")


def test_no_limits_lets_a_big_run_start(tmp_path, capsys, monkeypatch):
    started = []
    monkeypatch.setattr(
        sim.cli, "simulate", lambda *a, **k: started.append(k) or (_ for _ in ()).throw(KeyboardInterrupt)
    )
    with pytest.raises(KeyboardInterrupt):
        _run(tmp_path, capsys, W1_TEXT.replace("leads_per_day: 200", "leads_per_day: 1.0e+9"), "--no-limits")
    assert started


def test_the_estimate_follows_the_workload():
    """W1 draws 200 leads a day for a year and its 11-day warm-up; about 1.6 stage visits per lead."""
    size = estimate(sim.load(W1), replications=10, engine="fast", detail=False)
    assert size.leads == 10 * 200 * (365 + 11)
    assert size.visits == pytest.approx(size.leads * (1 + 0.3 + 0.15 + 0.075 + 0.06))
    assert estimate(sim.load(W1), 10, "fast", detail=True).memory > 10 * size.memory


@pytest.mark.parametrize(
    "text, message",
    [
        ("horizon_days: true", "s.yaml:9: horizon_days: true is not a whole number"),
        ('horizon_days: "12"', "s.yaml:9: horizon_days: '12' is text, not a whole number (write it without quotes)"),
    ],
)
def test_true_and_quoted_numbers_are_refused(tmp_path, capsys, text, message):
    """The original failure: `horizon_days: true` ran as 1 day, `"12"` as 12."""
    path = tmp_path / "s.yaml"
    path.write_text(W1_TEXT.replace("horizon_days: 365", text))
    assert main(["validate", str(path)]) == 2
    assert capsys.readouterr().err.replace(str(path), "s.yaml").strip() == message


def test_a_tier_without_a_name_is_refused(tmp_path, capsys):
    """The original failure: a tier named "" validated, then a KeyError in the run."""
    path = tmp_path / "s.yaml"
    path.write_text(
        W1_TEXT.replace("{name: inbound, leads_per_day: 200}", '{name: inbound, leads_per_day: 200, tiers: {"": 1.0}}')
    )
    assert main(["validate", str(path)]) == 2
    assert capsys.readouterr().err.replace(str(path), "s.yaml").strip() == (
        "s.yaml:11: channels[0].tiers: every tier needs a name (one is empty)"
    )


@pytest.mark.parametrize("design", ["grid", "lhs"])
def test_a_huge_sweep_design_is_refused_before_it_is_built(tmp_path, capsys, design):
    """The original failures: a 1000 x 1000 grid took gigabytes before computing; LHS with 1e8 points, MemoryError.

    The bounds are generous (the design is counted, never built) and time is this process's CPU time,
    which other work on a loaded machine does not inflate.
    """
    values = "[" + ", ".join(str(v) for v in range(1000)) + "]"
    text = (
        f"scenario: {W1}\nparameters:\n  channels.inbound.leads_per_day: {values}\n"
        f"  teams.qualifiers.headcount: {values}\n"
        if design == "grid"
        else f"scenario: {W1}\ndesign: lhs\npoints: 100000000\nparameters:\n  teams.qualifiers.headcount: [1, 40]\n"
    )
    path = tmp_path / "sweep.yaml"
    path.write_text(text)
    tracemalloc.start()
    started = time.process_time()
    status = main(["sweep", str(path), "--out", str(tmp_path / "out")])
    elapsed, peak = time.process_time() - started, tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    err = capsys.readouterr().err.replace(str(path), "sweep.yaml")
    assert status == 2
    expected = (
        "sweep.yaml:2: parameters: the sweep would have 1e+06 points"
        if design == "grid"
        else "sweep.yaml:3: points: the sweep would have 1e+08 points"
    )
    assert err.startswith(expected) and f"at most {MAX_POINTS:,}" in err
    assert peak < 50 * 2**20 and elapsed < 10
    assert not (tmp_path / "out").exists()
