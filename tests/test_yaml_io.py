"""YAML that would expand without end, loop or nest too deep is refused at once, as one line with file, line, field."""

from __future__ import annotations

import time
import tracemalloc

import pytest

from sim.cli import main
from sim.yaml_io import MAX_BYTES, parse_yaml
from tests.conftest import MAVEN, W1

LAUGHS = "".join(
    [f"a: &a [{','.join(['lol'] * 9)}]\n"]
    + [f"{b}: &{b} [{','.join([f'*{a}'] * 9)}]\n" for a, b in zip("abcdefgh", "bcdefghi")]
)


def _validate(tmp_path, capsys, text: str, name: str = "x.yaml") -> str:
    path = tmp_path / name
    path.write_text(text)
    assert main(["validate", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "Traceback" not in captured.err
    lines = captured.err.splitlines()
    assert len(lines) == 1, lines
    return lines[0].removeprefix(f"{path}:")


def test_billion_laughs_is_refused_in_bounded_memory_and_time(tmp_path, capsys):
    """Nine levels of nine aliases stand for a billion values: the unguarded line index used gigabytes.

    Time is this process's CPU time, which other work on a loaded machine does not inflate; the bounds are
    generous (the guarded path reads a few hundred bytes once).
    """
    assert len(LAUGHS) < 450
    tracemalloc.start()
    started = time.process_time()
    message = _validate(tmp_path, capsys, LAUGHS)
    elapsed = time.process_time() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert message == "6: f[0]: the document is too large: aliases expand it to more than 100,000 values"
    assert peak < 50 * 2**20 and elapsed < 5


def test_an_alias_inside_its_own_value_is_refused(tmp_path, capsys):
    assert _validate(tmp_path, capsys, "name: x\nchannels: &a [*a]\n") == (
        "2: channels[0]: the alias '*a' stands inside the value it names, which never ends"
    )


@pytest.mark.parametrize("flow", [True, False], ids=["flow", "block"])
def test_deep_nesting_is_refused(tmp_path, capsys, flow):
    text = (
        "x: " + "[" * 1000 + "]" * 1000
        if flow
        else "".join(f"{' ' * i}k{i}:\n" for i in range(1000)) + " " * 1000 + "v: 1\n"
    )
    assert "nested more than 50 levels deep" in _validate(tmp_path, capsys, text)


def test_a_number_with_thousands_of_digits_is_refused(tmp_path, capsys):
    assert _validate(tmp_path, capsys, "name: x\nhorizon_days: " + "9" * 5000 + "\n") == (
        "2: horizon_days: a number written with 5,000 characters is too long (at most 40)"
    )


def test_a_date_that_does_not_exist_is_refused(tmp_path, capsys):
    assert (
        _validate(tmp_path, capsys, "name: x\nstart_date: 2026-13-45\n") == "2: start_date: '2026-13-45' is not a date"
    )


def test_a_key_that_is_a_list_is_refused(tmp_path, capsys):
    assert (
        _validate(tmp_path, capsys, "name: x\n? [a, b]\n: 1\n")
        == "2: a key must be a single value, not a list or mapping"
    )


def test_a_file_above_the_size_cap_is_refused_without_reading_it_all(tmp_path, capsys):
    assert _validate(tmp_path, capsys, "# " + "x" * MAX_BYTES + "\n").endswith(
        "is larger than 1024 KiB; is it the right file?"
    )


def test_every_file_type_goes_through_the_same_guard(tmp_path, capsys):
    laughs = tmp_path / "laughs.yaml"
    laughs.write_text(LAUGHS)
    for args in (
        ["sweep", str(laughs), "--out", str(tmp_path / "s")],
        ["incentives", str(W1), "--plan", str(laughs)],
        ["calibrate", str(MAVEN), "--mapping", str(laughs), "--out", str(tmp_path / "m.yaml")],
    ):
        assert main(args) == 2, args
        err = capsys.readouterr().err
        assert (
            err.strip() == f"{laughs}:6: f[0]: the document is too large: aliases expand it to more than 100,000 values"
        )


def test_well_formed_merge_keys_and_anchors_still_load():
    data, lines = parse_yaml("base: &b {x: 1}\nother: {<<: *b, y: 2}\n", "f.yaml")
    assert data["other"] == {"x": 1, "y": 2} and lines[("other", "y")] == 2


def test_an_override_value_is_read_within_the_same_bounds(capsys):
    status = main(["compare", str(W1), "--override", "channels=&a [*a]", "--replications", "1"])
    assert status == 2 and capsys.readouterr().err.strip() == (
        "channels: '&a [*a]' is not a valid value: the alias '*a' stands inside the value it names, which never ends"
    )


def test_a_binary_file_and_an_endless_device_are_refused(tmp_path, capsys):
    binary = tmp_path / "b.yaml"
    binary.write_bytes(b"name: x\n\xff\xfe\n")
    assert main(["validate", str(binary), "/dev/zero"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"{binary}:2: is not UTF-8 text",
        "/dev/zero: the file is larger than 1024 KiB; is it the right file?",
    ]
