from __future__ import annotations

from pathlib import Path

import pytest

from mdc.storage import checkpoint as ckpt
from mdc.storage.checkpoint import Checkpoint, CheckpointCorrupt, Checkpointer, Entry, Job


def test_encode_decode_round_trip_and_crc_catches_any_change() -> None:
    cp = Checkpoint(
        lsn=41,
        created_ns=5,
        entries=[
            Entry(path="AAPL/trades/2024-03-01.jsonl", kind="jsonl", lsn=41, length=1234),
            Entry(
                path="parquet/type=trades/date=2024-03-01/symbol=AAPL",
                kind="parquet",
                lsn=39,
                writer="ab12cd34",
            ),
        ],
    )
    data = ckpt.encode(cp)
    assert ckpt.decode(data) == cp
    tampered = data.replace(b'"length":1234', b'"length":1235')
    with pytest.raises(CheckpointCorrupt, match="CRC mismatch"):
        ckpt.decode(tampered)
    with pytest.raises(CheckpointCorrupt, match="no CRC trailer"):
        ckpt.decode(data[: len(data) // 2].replace(b"\n", b""))


def test_missing_checkpoint_is_none(tmp_path: Path) -> None:
    assert ckpt.read(tmp_path / "checkpoint.json") is None


def test_registration_adds_entries_with_the_same_lsn_and_covers_them(tmp_path: Path) -> None:
    path = tmp_path / "checkpoint.json"
    cp = Checkpointer(path, None, sync=True, wal_archive=None, last=Checkpoint(lsn=7))
    cp.run_now(Job(lsn=7, entries=[Entry(path="a.jsonl", kind="jsonl", lsn=7, length=10)]))
    cp.register([Entry(path="b.jsonl", kind="jsonl", lsn=8, length=0)])
    cp.register([Entry(path="a.jsonl", kind="jsonl", lsn=9, length=20)])
    on_disk = ckpt.read(path)
    assert on_disk is not None
    assert on_disk.lsn == 7
    assert {e.path: (e.lsn, e.length) for e in on_disk.entries} == {
        "a.jsonl": (9, 20),
        "b.jsonl": (8, 0),
    }
    assert cp.covered == {"a.jsonl", "b.jsonl"}
    assert cp.registrations == 2
    cp.close()


def test_a_parquet_writer_is_covered_by_directory_and_writer_id() -> None:
    entry = Entry(path="parquet/x", kind="parquet", lsn=3, writer="w1")
    assert entry.key == "parquet/x#w1"
    assert Entry(path="a.jsonl", kind="jsonl", lsn=3).key == "a.jsonl"
