"""Resumable experiment results on disk: one Parquet file per finished chunk, and a manifest.

Layout of a results directory::

    DIR/manifest.json         what the run is (spec, points, seed, engine); written first
    DIR/chunks/00012.parquet  the replications of point/strategy 12, written when it finishes
    DIR/results.parquet       every chunk, in order, assembled when all are done

Every file is written to a temporary name in the same directory and then renamed
(``os.replace``), so a file that exists is complete, even if the run was killed while writing.
A run that finds the same manifest computes only the chunks that are missing; a run with a
different manifest refuses to mix results unless forced (which starts afresh).

Examples
--------
>>> import tempfile, pandas as pd
>>> store = ChunkStore(tempfile.mkdtemp())
>>> store.open({"kind": "sweep", "points": 2})
>>> store.write(1, pd.DataFrame({"point": [1], "revenue": [2.0]}))
>>> store.done()
{1}
>>> store.open({"kind": "sweep", "points": 3})
Traceback (most recent call last):
...
sim.errors.ScenarioError: ...: this directory holds another run (use --force to start afresh)
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Iterable

import pandas as pd
import pyarrow.parquet as pq

from sim.errors import Problem, ScenarioError

__all__ = ["ChunkStore", "atomic_write_text"]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_MODE = 0o666 & ~_umask()  # what open() would give a new file (mkstemp makes it private)


def _atomic(path: Path, write) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, _MODE)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` so that readers see the old file or the whole new one."""
    _atomic(Path(path), lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


class ChunkStore:
    """A results directory of chunks keyed by integer (point or strategy number)."""

    def __init__(self, directory: str | Path):
        self.directory = Path(directory)
        self.chunks = self.directory / "chunks"
        self.manifest_path = self.directory / "manifest.json"
        self.results_path = self.directory / "results.parquet"

    def open(self, manifest: dict[str, Any], force: bool = False) -> None:
        """Start or resume the run described by ``manifest`` (JSON-able)."""
        text = json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False, default=str) + "\n"
        if self.manifest_path.exists():
            same = self.manifest_path.read_text(encoding="utf-8") == text
            if not same and not force:
                raise ScenarioError([Problem("", "this directory holds another run (use --force to start afresh)",
                                             file=str(self.directory))])
            if force:
                shutil.rmtree(self.chunks, ignore_errors=True)
                self.results_path.unlink(missing_ok=True)
        for leftover in self.chunks.glob(".*.tmp") if self.chunks.exists() else ():
            leftover.unlink()  # a chunk being written when a run was killed
        atomic_write_text(self.manifest_path, text)

    def manifest(self) -> dict[str, Any]:
        """The manifest of the run in this directory."""
        return json.loads(self.manifest_path.read_text(encoding="utf-8"))

    def _path(self, key: int) -> Path:
        return self.chunks / f"{key:05d}.parquet"

    def done(self) -> set[int]:
        """Keys of the chunks already written."""
        return {int(p.stem) for p in self.chunks.glob("[0-9]*.parquet")} if self.chunks.exists() else set()

    def write(self, key: int, table: pd.DataFrame) -> None:
        """Store one finished chunk, atomically."""
        _atomic(self._path(key), lambda tmp: table.to_parquet(tmp, index=False))

    def read_chunk(self, key: int) -> pd.DataFrame:
        """One chunk, as written."""
        return pd.read_parquet(self._path(key))

    def finished(self) -> bool:
        """Whether ``results.parquet`` has been assembled."""
        return self.results_path.exists()

    def assemble(self, keys: Iterable[int]) -> Path:
        """Write ``results.parquet``: the chunks of ``keys`` in order, streamed one at a time."""
        def write(tmp: str) -> None:
            writer = None
            try:
                for key in keys:
                    table = pq.read_table(self._path(key))
                    if writer is None:
                        writer = pq.ParquetWriter(tmp, table.schema)
                    writer.write_table(table.cast(writer.schema))
            finally:
                if writer is not None:
                    writer.close()

        _atomic(self.results_path, write)
        return self.results_path

    def read(self) -> pd.DataFrame:
        """The assembled results, or every chunk written so far when not assembled yet."""
        if self.finished():
            return pd.read_parquet(self.results_path)
        keys = sorted(self.done())
        return pd.concat([pd.read_parquet(self._path(k)) for k in keys], ignore_index=True) if keys else pd.DataFrame()
