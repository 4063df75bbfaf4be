"""Fuzzing scenario files: whatever the file holds, `validate` and `run` end with status 0 or 2, one line per
problem, never a traceback, within a memory cap.

Each example takes a shipped scenario and changes it the way careless or hostile hands do: a value replaced by
one of another kind (huge, negative, NaN, true, quoted, text with control characters, a list), a field removed or
unknown, a list emptied or doubled, and sometimes the YAML text itself cut short or spliced with anchors, aliases,
tags, brackets or endless digits. A file that validates is then run (one replication, engine ``fast``) under run
limits shrunk to a test's size, so a scenario too big to run is refused as it would be on a small machine.

The default run tries a few hundred examples; ``pytest -m fuzz`` tries ten thousand more.
"""

from __future__ import annotations

import contextlib
import copy
import io
import resource

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sim.limits
from sim.cli import main
from tests.conftest import PLAYBOOKS, W1

RSS_CAP_BYTES = 3 * 2**30
"""Peak resident memory a pytest process may reach while fuzzing: the suite's own baseline (compiled engines,
pandas) plus headroom, far below what the original failures took (gigabytes for a few hundred bytes of YAML)."""

BASES = [yaml.safe_load(path.read_text(encoding="utf-8")) for path in [W1, *PLAYBOOKS]]

VALUES = st.one_of(
    st.integers(-(10**45), 10**45),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
    st.text(max_size=12),
    st.sampled_from(
        [
            "",
            " ",
            "12",
            "1e9",
            "-1",
            "nan",
            "=HYPERLINK(1)",
            "\x07bell",
            "线索",
            "exponential",
            "A",
            "2026-02-30",
            "999999999999",
        ]
    ),
    st.lists(st.one_of(st.integers(-3, 10**6), st.floats(-1, 2)), max_size=14),
    st.dictionaries(
        st.sampled_from(["", "A", "B", "dist", "mean", "value", "x"]),
        st.one_of(st.integers(-2, 10**9), st.floats(-1, 2), st.sampled_from(["fixed", "gamma"])),
        max_size=4,
    ),
)

SPLICES = [
    "&a ",
    "*a",
    "*nowhere",
    "[",
    "]",
    "{",
    "}",
    ": ",
    "- ",
    "\t",
    "!!python/object/apply:os.system ['x']",
    "<<: *a",
    "9" * 60,
    "? [k]\n: v\n",
    "\n" + "  " * 60 + "deep: 1\n",
    "'",
    '"',
    "%YAML 1.1\n",
    "---\n",
    "a: &a [*a]\n",
    "\x00",
    "\ufeff",
]


def _paths(node, path=()):
    yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, path + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _paths(value, path + (i,))


def _at(node, path):
    for part in path:
        node = node[part]
    return node


@st.composite
def scenario_texts(draw) -> str:
    data = copy.deepcopy(draw(st.sampled_from(BASES)))
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(data) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent, key = _at(data, path[:-1]), path[-1]
        action = draw(st.sampled_from(["replace", "replace", "replace", "delete", "unknown", "empty", "double"]))
        if action == "replace":
            parent[key] = draw(VALUES)
        elif action == "delete":
            del parent[key]
        elif action == "unknown" and isinstance(parent, dict):
            parent[draw(st.sampled_from(["horizon_day", "extra", "leads_per_dya", ""]))] = draw(VALUES)
        elif action == "empty" and isinstance(parent[key], (list, dict)):
            parent[key] = type(parent[key])()
        elif action == "double" and isinstance(parent[key], list):
            parent[key] = parent[key] * draw(st.integers(2, 4))
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    if draw(st.integers(0, 3)) == 0:  # a quarter of the files are broken as text too
        at = draw(st.integers(0, len(text)))
        if draw(st.booleans()):
            text = text[:at]
        else:
            text = text[:at] + draw(st.sampled_from(SPLICES)) + text[at:]
    return text


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:  # a test's machine: runs of more than a second or so are refused
        patch.setattr(sim.limits, "SECONDS", 2.0)
        patch.setattr(sim.limits, "MEMORY_BYTES", 512 * 2**20)
        yield tmp_path_factory.mktemp("fuzz")


def _check(text: str, directory) -> None:
    path = directory / "fuzzed.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    for args in (["validate", str(path)], ["run", str(path), "--replications", "1", "--engine", "fast", "--quiet"]):
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            try:
                status = main(args)
            except SystemExit as exc:  # argparse
                status = exc.code
        assert status in (0, 2), (args[0], status, err.getvalue())
        assert "Traceback" not in err.getvalue()
        if status == 2:
            assert err.getvalue().strip() and all(line.strip() for line in err.getvalue().splitlines())
            break
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 < RSS_CAP_BYTES


_SETTINGS = dict(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)


@settings(max_examples=300, **_SETTINGS)
@given(text=scenario_texts())
def test_fuzzed_scenarios_end_in_status_0_or_2(workdir, text):
    _check(text, workdir)


@pytest.mark.fuzz
@settings(max_examples=10_000, **_SETTINGS)
@given(text=scenario_texts())
def test_many_fuzzed_scenarios_end_in_status_0_or_2(workdir, text):
    _check(text, workdir)
