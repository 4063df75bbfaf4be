"""The results store: it knows its own folders, never deletes what it did not write, and checks every chunk."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from sim.errors import ScenarioError
from sim.store import FORMAT, VERSION, ChunkStore


def _chunk(point: int, replications: int = 3) -> pd.DataFrame:
    return pd.DataFrame({"point": point, "replication": range(replications), "revenue": 1.0 * point})


@pytest.fixture
def store(tmp_path) -> ChunkStore:
    store = ChunkStore(tmp_path / "run")
    store.open({"kind": "sweep", "points": 4}, rows=3)
    for point in range(4):
        store.write(point, _chunk(point))
    return store


def test_the_manifest_identifies_the_store(store):
    manifest = json.loads(store.manifest_path.read_text())
    assert manifest["format"] == FORMAT and manifest["version"] == VERSION == 2 and len(manifest["spec_hash"]) == 64
    assert store.manifest() == {"kind": "sweep", "points": 4}


def test_force_refuses_a_folder_with_a_manifest_it_did_not_write(tmp_path):
    """The original failure: --force trusted any manifest.json and deleted chunks/main.js and results.parquet."""
    folder = tmp_path / "website"
    (folder / "chunks").mkdir(parents=True)
    (folder / "manifest.json").write_text('{"name": "my web app"}')
    (folder / "chunks" / "main.js").write_text("code")
    (folder / "results.parquet").write_text("theirs")
    with pytest.raises(ScenarioError, match="holds a manifest.json this version of Salesplay did not write"):
        ChunkStore(folder).open({"kind": "sweep"}, force=True)
    assert (folder / "chunks" / "main.js").read_text() == "code"
    assert (folder / "results.parquet").read_text() == "theirs"
    assert (folder / "manifest.json").read_text() == '{"name": "my web app"}'


def test_chunks_without_a_manifest_of_ours_are_refused(tmp_path):
    folder = tmp_path / "x"
    (folder / "chunks").mkdir(parents=True)
    (folder / "chunks" / "00001.parquet").write_text("someone's")
    with pytest.raises(ScenarioError, match="no manifest.json of ours"):
        ChunkStore(folder).open({"kind": "sweep"}, force=True)
    assert (folder / "chunks" / "00001.parquet").read_text() == "someone's"


def test_force_deletes_only_the_files_the_store_writes(store):
    other = store.chunks / "notes.txt"
    other.write_text("mine")
    (store.directory / "README").write_text("mine too")
    store.open({"kind": "sweep", "points": 5}, force=True, rows=3)
    assert store.done() == set() and other.read_text() == "mine"
    assert (store.directory / "README").read_text() == "mine too"


@pytest.mark.parametrize("damage", ["empty", "truncated"])
def test_a_damaged_chunk_is_named_with_the_way_to_recover(store, damage):
    path = store.chunks / "00002.parquet"
    path.write_bytes(b"" if damage == "empty" else path.read_bytes()[:100])
    with pytest.raises(ScenarioError) as exc:
        store.assemble(range(4))
    (problem,) = exc.value.problems
    assert problem.file == str(path)
    assert problem.message.startswith("chunk is damaged (")
    assert problem.message.endswith(f"delete {path} and run the same command again: that chunk will be recomputed")
    assert not store.results_path.exists()


def test_a_chunk_holding_another_points_data_is_refused(store):
    """The original failure: a valid chunk copied over another was assembled (duplicate and missing rows)."""
    (store.chunks / "00001.parquet").write_bytes((store.chunks / "00003.parquet").read_bytes())
    with pytest.raises(
        ScenarioError,
        match=r"00001.parquet: chunk is not what this run wrote: it is not marked as "
        r"this chunk; it holds rows of another point than 1; delete",
    ):
        store.assemble(range(4))


def test_a_chunk_with_missing_replications_is_refused(store):
    store.write(2, _chunk(2, replications=2))
    with pytest.raises(ScenarioError, match=r"does not hold replications 0 to 2 once each \(2 rows\)"):
        store.assemble(range(4))


def test_sound_chunks_assemble_in_order(store):
    table = pd.read_parquet(store.assemble(range(4)))
    assert table["point"].tolist() == [p for p in range(4) for _ in range(3)]


def test_the_cli_names_a_damaged_chunk_and_recovers_once_it_is_deleted(tmp_path, capsys):
    """The original failure: an ArrowInvalid traceback with no hint."""
    from sim.cli import main
    from tests.conftest import W1

    spec = tmp_path / "sweep.yaml"
    spec.write_text(
        f"scenario: {W1}\nparameters: {{teams.qualifiers.headcount: [20, 21, 22]}}\nreplications: 2\n"
        f"engine: fast\noverrides: {{horizon_days: 3}}\n"
    )
    out = tmp_path / "out"
    args = ["sweep", str(spec), "--out", str(out), "--workers", "1", "--quiet"]
    assert main(args) == 0
    whole = pd.read_parquet(out / "results.parquet")
    (out / "results.parquet").unlink()
    damaged = out / "chunks" / "00001.parquet"
    damaged.write_bytes(b"")
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{damaged}: chunk is damaged (") and "Traceback" not in err
    damaged.unlink()
    assert main(args) == 0
    pd.testing.assert_frame_equal(pd.read_parquet(out / "results.parquet"), whole, check_exact=True)
