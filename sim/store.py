"""Resumable experiment results on disk: one Parquet file per finished chunk, and a manifest.

Layout of a results directory::

    DIR/manifest.json         what the run is (format, version, the spec and its hash); written first
    DIR/chunks/00012.parquet  the replications of point/strategy 12, written when it finishes
    DIR/results.parquet       every chunk, in order, assembled when all are done

Every file is written to a temporary name in the same directory and then renamed
(:func:`sim.outputs.write_with`), so a file that exists is complete, even if the run was killed
while writing. A run that finds its own manifest (same spec hash) computes only the chunks that
are missing; a different run of ours is refused unless forced (which starts afresh, deleting only the files
this store writes). A folder whose ``manifest.json`` is not ours, or that holds chunks or results no
manifest of ours describes, is refused even when forced: the store never deletes what it did not
write. Before chunks are used, each is checked (readable, its rows, its key, its replications);
a damaged chunk is named with the way to recover: delete it and run again, it is recomputed.

Examples
--------
>>> import tempfile, pandas as pd
>>> store = ChunkStore(tempfile.mkdtemp())
>>> store.open({"kind": "sweep", "points": 2}, rows=1)
>>> store.write(1, pd.DataFrame({"point": [1], "replication": [0], "revenue": [2.0]}))
>>> store.done()
{1}
>>> store.open({"kind": "sweep", "points": 3})
Traceback (most recent call last):
...
sim.errors.ScenarioError: ...: this folder holds another run (use --force to start afresh)
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any, Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim.errors import Problem, ScenarioError
from sim.outputs import TEMPORARY_SUFFIX, write_text, write_with

__all__ = ["ChunkStore", "FORMAT", "VERSION"]

FORMAT = "salesplay-results"
"""The ``format`` of every manifest this store writes: what tells our folders from others."""

VERSION = 2
"""Version of the layout (2: costs and profit among the figures); a manifest of another version is not resumed."""

_KEY = b"salesplay_chunk"  # Parquet metadata: which chunk a file holds, checked before it is used
_CHUNK = re.compile(r"\d{5,}\.parquet")


def spec_hash(spec: dict[str, Any]) -> str:
    """SHA-256 of the spec's canonical JSON: equal specs, equal hashes.

    >>> spec_hash({"a": 1, "b": [2]}) == spec_hash({"b": [2], "a": 1})
    True
    """
    text = json.dumps(spec, sort_keys=True, ensure_ascii=False, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class ChunkStore:
    """A results directory of chunks keyed by integer (point or strategy number)."""

    def __init__(self, directory: str | Path):
        self.directory = Path(directory)
        self.chunks = self.directory / "chunks"
        self.manifest_path = self.directory / "manifest.json"
        self.results_path = self.directory / "results.parquet"
        self.rows: int | None = None

    def _refuse(self, message: str) -> ScenarioError:
        return ScenarioError([Problem("", message, file=str(self.directory))])

    def _ours(self) -> dict[str, Any] | None:
        """Our manifest in the folder, ``None`` when there is none; refuse one that is not ours."""
        if not self.manifest_path.exists():
            return None
        try:
            manifest = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            manifest = None
        if not (isinstance(manifest, dict) and manifest.get("format") == FORMAT and "spec" in manifest):
            raise self._refuse(
                "holds a manifest.json this version of Salesplay did not write (another program's, "
                "or an older Salesplay's); choose another folder (nothing was changed)"
            )
        if manifest.get("version") != VERSION:
            raise self._refuse(
                f"holds results of another version of this format ({manifest.get('version')}, not "
                f"{VERSION}); choose another folder"
            )
        return manifest

    def _our_files(self) -> list[Path]:
        """The files this store writes that are in the folder now."""
        files = [self.results_path] if self.results_path.exists() else []
        if self.chunks.is_dir():
            files += [
                p
                for p in self.chunks.iterdir()
                if _CHUNK.fullmatch(p.name) or (p.name.startswith(".") and p.name.endswith(TEMPORARY_SUFFIX))
            ]
        return files

    def open(self, manifest: dict[str, Any], force: bool = False, rows: int | None = None) -> None:
        """Start or resume the run described by ``manifest`` (JSON-able); ``rows``: replications per chunk."""
        self.rows = rows
        digest = spec_hash(manifest)
        existing = self._ours()
        if existing is None and self._our_files():
            raise self._refuse(
                "holds chunks or results.parquet but no manifest.json of ours; choose another "
                "folder (nothing was changed)"
            )
        if existing is not None and existing.get("spec_hash") != digest and not force:
            raise self._refuse("this folder holds another run (use --force to start afresh)")
        if existing is not None and force:
            for path in self._our_files():
                path.unlink()
        for leftover in self.chunks.glob(f".*{TEMPORARY_SUFFIX}") if self.chunks.is_dir() else ():
            leftover.unlink()  # a chunk being written when a run was killed
        text = (
            json.dumps(
                {"format": FORMAT, "version": VERSION, "spec_hash": digest, "spec": manifest},
                indent=2,
                sort_keys=True,
                ensure_ascii=False,
                default=str,
            )
            + "\n"
        )
        write_text(self.manifest_path, text)

    def manifest(self) -> dict[str, Any]:
        """The spec of the run in this directory (what :meth:`open` was given)."""
        manifest = self._ours()
        if manifest is None:
            raise self._refuse("holds no manifest.json")
        return manifest["spec"]

    def _path(self, key: int) -> Path:
        return self.chunks / f"{key:05d}.parquet"

    def done(self) -> set[int]:
        """Keys of the chunks already written."""
        return (
            {int(p.stem) for p in self.chunks.iterdir() if _CHUNK.fullmatch(p.name)} if self.chunks.is_dir() else set()
        )

    def write(self, key: int, table: pd.DataFrame) -> None:
        """Store one finished chunk, atomically, marked with its key."""
        arrow = pa.Table.from_pandas(table, preserve_index=False)
        arrow = arrow.replace_schema_metadata({**(arrow.schema.metadata or {}), _KEY: str(key).encode()})
        write_with(self._path(key), lambda tmp: pq.write_table(arrow, tmp))

    def _checked(self, key: int) -> pa.Table:
        """Chunk ``key`` as written, after checking it is whole and is the chunk it claims to be."""
        path = self._path(key)
        recover = f"delete {path} and run the same command again: that chunk will be recomputed"
        try:
            table = pq.read_table(path)
        except FileNotFoundError:
            raise self._refuse(f"chunk {path.name} is missing; run the same command again to compute it") from None
        except (OSError, pa.ArrowException) as exc:
            raise ScenarioError(
                [Problem("", f"chunk is damaged ({str(exc).splitlines()[0]}); {recover}", file=str(path))]
            ) from None
        problems = []
        if (table.schema.metadata or {}).get(_KEY) != str(key).encode():
            problems.append("it is not marked as this chunk")
        if "point" in table.column_names and not np.all(table.column("point").to_numpy() == key):
            problems.append(f"it holds rows of another point than {key}")
        if self.rows is not None:
            replications = table.column("replication").to_numpy() if "replication" in table.column_names else None
            if replications is None or not np.array_equal(np.sort(replications), np.arange(self.rows)):
                problems.append(f"it does not hold replications 0 to {self.rows - 1} once each ({table.num_rows} rows)")
        if problems:
            raise ScenarioError(
                [Problem("", f"chunk is not what this run wrote: {'; '.join(problems)}; {recover}", file=str(path))]
            )
        return table.replace_schema_metadata({k: v for k, v in table.schema.metadata.items() if k != _KEY})

    def verify(self, keys: Iterable[int]) -> None:
        """Check every chunk of ``keys``; raise one problem per damaged or foreign chunk."""
        problems = []
        for key in keys:
            try:
                self._checked(key)
            except ScenarioError as exc:
                problems += exc.problems
        if problems:
            raise ScenarioError(problems)

    def read_chunk(self, key: int) -> pd.DataFrame:
        """One chunk, as written (checked first)."""
        return self._checked(key).to_pandas()

    def finished(self) -> bool:
        """Whether ``results.parquet`` has been assembled."""
        return self.results_path.exists()

    def assemble(self, keys: Iterable[int]) -> Path:
        """Write ``results.parquet``: the chunks of ``keys`` in order, each checked, streamed one at a time."""
        keys = list(keys)
        self.verify(keys)

        def write(tmp: str) -> None:
            writer = None
            try:
                for key in keys:
                    table = self._checked(key)
                    if writer is None:
                        writer = pq.ParquetWriter(tmp, table.schema)
                    writer.write_table(table.cast(writer.schema))
            finally:
                if writer is not None:
                    writer.close()

        write_with(self.results_path, write)
        return self.results_path

    def read(self) -> pd.DataFrame:
        """The assembled results, or every chunk written so far when not assembled yet."""
        if self.finished():
            return pd.read_parquet(self.results_path)
        keys = sorted(self.done())
        return pd.concat([self.read_chunk(k) for k in keys], ignore_index=True) if keys else pd.DataFrame()
