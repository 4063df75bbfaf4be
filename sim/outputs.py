"""Where the project writes: paths checked before any work, files replaced whole, strict JSON.

Every command that writes goes through this module:

- :func:`output_dir` and :func:`output_file` check an ``--out`` before anything runs: a file
  where a folder is expected (or the reverse) is refused, missing parent folders are created,
  and a file is created and removed to prove the folder is writable -- a run never fails at
  its end for want of a place to put its results;
- :func:`write_with` (and :func:`write_text`, :func:`write_json`) writes to a temporary name in
  the same folder and renames it into place, so a reader sees the old file or the whole new
  one, never half of one, even when the writer fails or the process is killed;
- :func:`remove_stale` removes, from a folder, the files the project names for that folder
  and did not write this time (a summary-only run over an earlier full run), never any other;
- :func:`write_json` writes strict JSON: a NaN or an infinity becomes ``null``, and the
  document's ``null_because`` field says which values were replaced and why.

Examples
--------
>>> import tempfile, json
>>> out = output_dir(Path(tempfile.mkdtemp()) / "new" / "run")
>>> path = write_json(out / "summary.json", {"revenue": float("inf"), "won": 3})
>>> json.loads(path.read_text())
{'revenue': None, 'won': 3, 'null_because': {'revenue': 'infinite (too large to represent)'}}
>>> output_dir(out / "summary.json")
Traceback (most recent call last):
...
sim.errors.ScenarioError: --out: '.../summary.json' exists and is not a folder
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np

from sim.errors import Problem, ScenarioError

__all__ = [
    "output_dir",
    "output_file",
    "write_with",
    "write_text",
    "write_json",
    "strict_json",
    "remove_stale",
    "TEMPORARY_SUFFIX",
]

TEMPORARY_SUFFIX = ".tmp"
"""Files being written are hidden (a leading dot) and end in this; a killed writer may leave one."""


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_MODE = 0o666 & ~_umask()  # what open() would give a new file (mkstemp makes it private)


def _refuse(option: str, message: str) -> ScenarioError:
    return ScenarioError([Problem(option, message)])


def _usable(path: str | Path, option: str) -> Path:
    text = str(path)
    if not text.strip() or "\0" in text:
        raise _refuse(option, f"{text!r} is not a path")
    return Path(path)


def _make_folder(path: Path, option: str) -> None:
    existing = next((p for p in (path, *path.parents) if p.exists() or p.is_symlink()), None)
    if existing is not None and not existing.is_dir():
        if existing == path:
            raise _refuse(option, f"'{path}' exists and is not a folder")
        raise _refuse(option, f"'{existing}' is a file, so the folder '{path}' cannot be made")
    try:
        path.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".salesplay-probe.", suffix=TEMPORARY_SUFFIX, dir=path)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise _refuse(option, f"cannot write in '{path}' ({exc.strerror or exc})") from None


def output_dir(path: str | Path, option: str = "--out") -> Path:
    """``path`` as a folder that exists and is writable; refuse a file in its place (``option`` names it)."""
    path = _usable(path, option)
    _make_folder(path, option)
    return path


def output_file(path: str | Path, suffixes: Iterable[str] | None = None, option: str = "--out") -> Path:
    """``path`` as a file that can be written (its folder made); refuse a folder in its place or a wrong suffix."""
    path = _usable(path, option)
    suffixes = tuple(suffixes or ())
    if suffixes and path.suffix.lower() not in suffixes:
        raise _refuse(option, f"'{path}' must end in {' or '.join(suffixes)}")
    _make_folder(path.parent, option)
    try:  # the name this file is written under first must work in this folder
        fd, probe = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMPORARY_SUFFIX, dir=path.parent)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise _refuse(option, f"cannot write '{path}' ({exc.strerror or exc})") from None
    if path.is_dir():
        raise _refuse(
            option, f"'{path}' is a folder; give a file name, e.g. '{path / ('out' + (suffixes or ('',))[0])}'"
        )
    if path.exists() and not path.is_file():  # a device, a pipe: never replace it
        raise _refuse(option, f"'{path}' exists and is not a regular file")
    return path


def write_with(path: str | Path, write: Callable[[str], None]) -> Path:
    """Call ``write(temporary_path)``, then rename the temporary file to ``path`` (the old file stays if it fails).

    ``write`` must not guess the format from the name (pass ``format=`` to ``savefig``, an engine to Excel).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMPORARY_SUFFIX, dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, _MODE)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path``, whole or not at all."""
    return write_with(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


def _reason(value: float) -> str:
    return "not a number (undefined, e.g. no data)" if math.isnan(value) else "infinite (too large to represent)"


def strict_json(data: Any) -> tuple[Any, dict[str, str]]:
    """``data`` with every NaN and infinity replaced by ``None``, and the reason for each by path.

    >>> strict_json({"a": [1.0, float("nan")], "b": np.float64(2)})
    ({'a': [1.0, None], 'b': 2.0}, {'a[1]': 'not a number (undefined, e.g. no data)'})
    """
    reasons: dict[str, str] = {}

    def clean(value: Any, path: str) -> Any:
        if isinstance(value, dict):
            return {k: clean(v, f"{path}.{k}" if path else str(k)) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [clean(v, f"{path}[{i}]") for i, v in enumerate(value)]
        if isinstance(value, np.ndarray):
            return clean(value.tolist(), path)
        if isinstance(value, (bool, np.bool_)):
            return bool(value)
        if isinstance(value, (int, np.integer)):
            return int(value)
        if isinstance(value, (float, np.floating)):
            if not math.isfinite(value):
                reasons[path] = _reason(float(value))
                return None
            return float(value)
        return value

    return clean(data, ""), reasons


def write_json(path: str | Path, data: dict[str, Any]) -> Path:
    """Write ``data`` as strict JSON (no NaN, no Infinity: ``null``, explained in ``null_because``)."""
    clean, reasons = strict_json(data)
    if reasons:
        clean["null_because"] = reasons
    text = json.dumps(clean, indent=2, ensure_ascii=False, allow_nan=False, default=str) + "\n"
    return write_text(path, text)


def remove_stale(directory: str | Path, named: Iterable[str], written: Iterable[str]) -> list[Path]:
    """Remove from ``directory`` the files among ``named`` (the project's names for it) not in ``written``."""
    directory, written = Path(directory), set(written)
    removed = []
    for name in named:
        path = directory / name
        if name not in written and path.is_file():
            path.unlink()
            removed.append(path)
    return removed
