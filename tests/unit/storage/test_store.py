from __future__ import annotations

import asyncio
import errno
import json
from pathlib import Path
from typing import Any

import msgspec
import pytest

from mdc.config.schema import StorageConfig, WalConfig
from mdc.domain.events import Event, Integrity, Quote, Trade
from mdc.storage import StoragePaused, diskguard, open_store
from mdc.storage import checkpoint as ckpt
from mdc.storage import store as store_module
from mdc.storage.archive import open_archive
from mdc.storage.fsutil import StorageLocked
from mdc.storage.jsonl import JsonlFile
from mdc.storage.raw import iter_raw
from mdc.storage.store import LayoutMismatch, Store

DAY = 86_400 * 10**9
T = 1_709_303_400_000_000_000  # 2024-03-01T14:30:00Z


def trades(symbol: str, start: int, n: int, day: int = 0, base: int = T) -> list[Event]:
    return [
        Trade(
            symbol=symbol,
            venue="XNAS",
            provider="sim",
            ts_event=base + day * DAY + i,
            ts_recv=base + day * DAY + i + 5,
            seq=i,
            price=100 + i / 4,
            size=1.0,
            trade_id=f"t{i}",
        )
        for i in range(start, start + n)
    ]


def cfg(root: Path, **kw: Any) -> StorageConfig:
    base: dict[str, Any] = {"root": str(root), "min_free_mb": 0, "raw_capture": True}
    base.update(kw)
    return StorageConfig(**base)


def seqs(
    root: Path, type_name: str = "trades", source: str = "auto", symbol: str | None = None
) -> list[int]:
    archive = open_archive(root, source=source)  # type: ignore[arg-type]
    return [e.seq for e in archive.events(type_name, symbol)]  # type: ignore[misc]


def test_append_close_reopen_keeps_everything_once(tmp_path: Path) -> None:
    store = open_store(cfg(tmp_path, format="both", compression="zstd"))
    store.append(trades("AAPL", 0, 50) + trades("MSFT", 0, 30))
    store.append(trades("AAPL", 50, 50))
    stats = store.stats()
    assert stats["events_acknowledged"] == 130
    assert stats["wal_lsn"] == 2
    store.close()
    store.close()  # idempotent
    store = open_store(cfg(tmp_path, format="both", compression="zstd"))
    assert store.stats()["recovered_records"] == 0
    store.close()
    for source in ("jsonl", "parquet"):
        assert seqs(tmp_path, source=source, symbol="AAPL") == list(range(100))
        assert seqs(tmp_path, source=source, symbol="MSFT") == list(range(30))
    assert (tmp_path / "AAPL/trades/2024-03-01.jsonl.zst").is_file()


def test_stats_has_the_numbers_status_and_prometheus_need(tmp_path: Path) -> None:
    store = open_store(cfg(tmp_path))
    store.append(trades("AAPL", 0, 3))
    stats = store.stats()
    store.close()
    for key in (
        "writable",
        "paused",
        "pause_reason",
        "wal_lsn",
        "acknowledged_lsn",
        "wal_bytes",
        "wal_segments",
        "fsync_count",
        "fsync_seconds_total",
        "fsync_max_seconds",
        "fsync_recent_seconds",
        "files_open",
        "bytes_written",
        "events_written",
        "checkpoint_lsn",
        "last_checkpoint_ns",
        "disk_free_bytes",
        "errors",
    ):
        assert key in stats, key
    assert stats["writable"] is True
    assert stats["files_open"] == 1
    assert stats["events_written"] == 3
    msgspec.json.encode(stats)  # plain data


@pytest.mark.parametrize(
    ("layout", "path"),
    [
        ("by_symbol", "sim/BTC%2FUSD/trades/p-2024-03.jsonl"),
        ("by_date", "sim/2024-03/trades/p-BTC%2FUSD.jsonl"),
        ("by_type", "sim/trades/BTC%2FUSD/p-2024-03.jsonl"),
        ("flat", "sim/p-BTC%2FUSD_trades_2024-03.jsonl"),
    ],
)
def test_layouts_partitioning_provider_and_prefix(tmp_path: Path, layout: str, path: str) -> None:
    config = cfg(
        tmp_path, layout=layout, partition="monthly", provider_in_path=True, file_prefix="p-"
    )
    store = open_store(config)
    batch = trades("BTC/USD", 0, 5) + trades("BTC/USD", 5, 5, day=3)
    store.append(batch)
    store.close()
    assert (tmp_path / path).is_file()
    assert seqs(tmp_path) == list(range(10))
    assert open_archive(tmp_path).partitions()[0].provider == "sim"


def test_monthly_groups_keep_batch_order_in_the_file(tmp_path: Path) -> None:
    store = open_store(cfg(tmp_path, partition="monthly"))
    a, b = trades("A", 0, 2), trades("A", 2, 2, day=1)
    store.append([a[0], b[0], a[1], b[1]])
    store.close()
    assert seqs(tmp_path) == [0, 2, 1, 3]


def test_a_root_keeps_its_layout(tmp_path: Path) -> None:
    open_store(cfg(tmp_path)).close()
    with pytest.raises(LayoutMismatch, match="created with layout"):
        open_store(cfg(tmp_path, layout="by_date"))


def test_one_writer_per_root(tmp_path: Path) -> None:
    store = open_store(cfg(tmp_path))
    with pytest.raises(StorageLocked, match="in use by another mdc process"):
        open_store(cfg(tmp_path))
    store.close()
    open_store(cfg(tmp_path)).close()


@pytest.mark.parametrize("fmt", ["jsonl", "parquet", "both"])
def test_dedup_rewrites_leave_one_copy(tmp_path: Path, fmt: str) -> None:
    store = open_store(cfg(tmp_path, format=fmt))
    store.append(trades("AAPL", 0, 20))
    store.append(trades("AAPL", 10, 20), dedup=True)  # overlaps 10..19
    assert store.stats()["events_deduplicated"] == 10
    store.append(trades("AAPL", 25, 10))  # live, after the key set exists: 25..29 again
    store.close()
    store = open_store(cfg(tmp_path, format=fmt))  # a backfill re-run in a later process
    store.append(trades("AAPL", 0, 40), dedup=True)
    store.close()
    sources = ["jsonl", "parquet"] if fmt == "both" else [fmt]
    for source in sources:
        got = seqs(tmp_path, source=source)
        assert sorted(got) == list(range(40)), source
        assert len(got) == 40


def test_live_writes_without_dedup_cost_nothing_and_keep_duplicates(tmp_path: Path) -> None:
    store = open_store(cfg(tmp_path))
    store.append(trades("AAPL", 0, 5))
    store.append(trades("AAPL", 0, 5))
    assert store.stats()["events_deduplicated"] == 0
    store.close()
    assert seqs(tmp_path) == list(range(5)) * 2


def test_files_close_when_their_partition_ends_and_lru_caps_open_files(tmp_path: Path) -> None:
    store = open_store(cfg(tmp_path, max_open_files=2, partition_close_grace_s=0.0))
    for i, sym in enumerate(["A", "B", "C", "D"]):
        store.append(trades(sym, 0, 3, day=i))
        assert store.stats()["files_open"] <= 2
    store.checkpoint()  # 2024 partitions ended long ago, but were just written: kept open
    assert store.stats()["files_open"] == 2
    store.checkpoint()  # idle since the previous checkpoint: everything closes
    assert store.stats()["files_open"] == 0
    store.append(trades("A", 3, 3))  # reopened (registered again) and appended
    store.close()
    assert seqs(tmp_path, symbol="A") == list(range(6))
    assert store.stats()["registrations"] >= 5


def test_checkpoint_names_open_outputs_with_committed_lengths(tmp_path: Path) -> None:
    store = open_store(cfg(tmp_path, format="both", checkpoint_interval_s=3600))
    store.append(trades("AAPL", 0, 10, base=store_module.now_ns()))  # an open partition
    store.checkpoint()
    cp = ckpt.read(tmp_path / "_mdc/checkpoint.json")
    assert cp is not None
    kinds = {e.kind: e for e in cp.entries}
    jsonl = tmp_path / kinds["jsonl"].path
    assert kinds["jsonl"].length == jsonl.stat().st_size
    assert kinds["jsonl"].lsn == 1
    # The Parquet part is unfinished: L stays before its first record, the WAL keeps it.
    assert cp.lsn == 0
    assert kinds["parquet"].lsn == 0
    store.close()
    cp = ckpt.read(tmp_path / "_mdc/checkpoint.json")
    assert cp is not None and cp.lsn == 1 and cp.entries == []


def test_disk_guard_pauses_and_resumes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    free = {"bytes": 10 * 1024 * 1024}
    monkeypatch.setattr(diskguard, "free_bytes", lambda _path: free["bytes"])
    monkeypatch.setattr(diskguard, "RESUME_POLL_S", 0.01)
    store = open_store(cfg(tmp_path, min_free_mb=100))  # starts paused, never refuses
    with pytest.raises(StoragePaused, match="free space 10 MB < min_free_mb 100 MB") as info:
        store.append(trades("AAPL", 0, 5))
    assert info.value.acknowledged == 0
    assert store.writable is False
    assert store.stats()["paused"] is True
    free["bytes"] = 200 * 1024 * 1024
    asyncio.run(asyncio.wait_for(store.wait_writable(), 5))
    assert store.writable
    store.append(trades("AAPL", 0, 5))
    store.close()
    assert seqs(tmp_path) == list(range(5))


def test_an_archive_write_error_pauses_then_rebuilds_from_the_wal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = open_store(cfg(tmp_path, format="both"))
    store.append(trades("AAPL", 0, 10))
    real_flush = JsonlFile.flush

    def full(self: JsonlFile) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(JsonlFile, "flush", full)
    monkeypatch.setattr(diskguard, "RESUME_POLL_S", 0.0)
    monkeypatch.setattr(diskguard, "RESUME_MARGIN_MB", 0)
    store.append(trades("AAPL", 10, 10))
    store._tick(float("inf"))  # the checkpoint flushes, the disk is full
    assert not store.writable
    assert "disk full" in store.stats()["pause_reason"]
    monkeypatch.setattr(JsonlFile, "flush", real_flush)
    store._guard._next_resume = 0
    store.append(trades("AAPL", 20, 10))  # resumes: cut to the checkpoint, WAL replayed
    store.close()
    for source in ("jsonl", "parquet"):
        assert seqs(tmp_path, source=source) == list(range(30)), source


def test_a_corrupt_checkpoint_is_reported_and_replay_dedups(tmp_path: Path) -> None:
    store = open_store(cfg(tmp_path, wal=WalConfig(keep_segments=False)))
    store.append(trades("AAPL", 0, 10))
    store.checkpoint()
    store.append(trades("AAPL", 10, 10))
    store._wal.sync()
    store._capture.close()
    store._wal.close()
    store._checkpointer.close()
    for f in store._outputs.jsonl.open.values():
        f.flush()
    store._lock.release()  # the process "dies" here, files as they are
    path = tmp_path / "_mdc/checkpoint.json"
    path.write_bytes(path.read_bytes().replace(b'"lsn":1', b'"lsn":2'))
    store = open_store(cfg(tmp_path))
    stats = store.stats()
    store.close()
    assert stats["integrity_issues"] == 1
    assert sorted(seqs(tmp_path)) == list(range(20))
    (issue,) = open_archive(tmp_path).events("integrity")
    assert isinstance(issue, Integrity)
    assert (issue.symbol, issue.kind, issue.severity) == ("*", "checkpoint_corrupt", "error")


def test_keep_segments_moves_the_wal_to_an_archive(tmp_path: Path) -> None:
    config = cfg(tmp_path, wal=WalConfig(keep_segments=True, segment_max_mb=1))
    store = open_store(config)
    for i in range(40):
        store.append(trades("AAPL", i * 100, 100))
    store.close()
    open_store(config).close()
    kept = list((tmp_path / "_mdc/wal-archive").iterdir())
    assert kept
    from mdc.storage.wal import iter_records

    lsns = [lsn for lsn, _, _ in iter_records(tmp_path / "_mdc/wal-archive")]
    assert lsns == list(range(1, len(lsns) + 1))


def test_raw_capture_and_bad_frames_are_kept(tmp_path: Path) -> None:
    store = open_store(cfg(tmp_path))
    store.write_raw("coinbase", T, '{"type":"match","price":"1.5"}')
    store.write_raw("coinbase", T + 1, b"\xff\xfe binary")
    store.write_bad_frame("coinbase", T + 2, b"{not json", "expected ',' at byte 2")
    stats = store.stats()
    store.close()
    assert (stats["raw_frames"], stats["bad_frames"]) == (2, 1)
    raw = list(iter_raw(tmp_path / "_raw/coinbase/2024-03-01.frames.zst"))
    assert raw == [(T, b'{"type":"match","price":"1.5"}'), (T + 1, b"\xff\xfe binary")]
    bad = (tmp_path / "_bad/coinbase/2024-03-01.jsonl").read_text().splitlines()
    assert json.loads(bad[0]) == {
        "ts_recv": T + 2,
        "error": "expected ',' at byte 2",
        "frame": "{not json",
    }


def test_a_torn_raw_file_is_cut_when_reopened(tmp_path: Path) -> None:
    store = open_store(cfg(tmp_path))
    store.write_raw("p", T, "one")
    store.close()
    path = tmp_path / "_raw/p/2024-03-01.frames.zst"
    whole = path.read_bytes()
    path.write_bytes(whole + whole[:5])  # a torn second frame
    store = open_store(cfg(tmp_path))
    store.write_raw("p", T + 1, "two")
    store.close()
    assert list(iter_raw(path)) == [(T, b"one"), (T + 1, b"two")]


def run_retention(store: Store) -> None:
    """One retention pass now (scan on the worker, delete here), as the store's tick does."""
    for _ in range(2):
        if store._retention.job is not None:
            store._retention.job.result()
            store._retention.collect()
        store._retention.start()
    assert store._retention.job is not None
    store._retention.job.result()
    store._retention.collect()


def test_retention_deletes_old_partitions_but_not_open_ones(tmp_path: Path) -> None:
    store = open_store(cfg(tmp_path, retention_days=1))
    store.append(trades("AAPL", 0, 5))  # 2024: long expired, but its file is open
    now = store_module.now_ns()
    store.append(
        [
            Quote(
                symbol="AAPL",
                venue="X",
                provider="sim",
                ts_event=now,
                ts_recv=now,
                bid_price=1.0,
                bid_size=1.0,
                ask_price=2.0,
                ask_size=1.0,
            )
        ]
    )
    run_retention(store)
    assert (tmp_path / "AAPL/trades/2024-03-01.jsonl").exists()  # open: protected
    store.close()
    store = open_store(cfg(tmp_path, retention_days=1))  # a pass runs at start
    run_retention(store)
    assert not (tmp_path / "AAPL/trades").exists()
    assert store.stats()["retention_deleted_files"] == 1
    store.close()
    assert open_archive(tmp_path).types() == ["quotes"]


def test_retention_by_size_deletes_oldest_first(tmp_path: Path) -> None:
    store = open_store(cfg(tmp_path, format="both"))
    for day in range(4):
        store.append(trades("AAPL", 0, 2_500, day=day))
    store.close()
    sizes = {
        p.partition: sum(f.size for f in p.jsonl + p.parquet)
        for p in open_archive(tmp_path).partitions()
    }
    limit_mb = 1
    kept, total = [], 0
    for label in sorted(sizes, reverse=True):  # the newest partitions that fit under 1 MB
        if total + sizes[label] > limit_mb * 1024 * 1024:
            break
        kept.insert(0, label)
        total += sizes[label]
    assert 0 < len(kept) < len(sizes)
    store = open_store(cfg(tmp_path, format="both", retention_max_mb=limit_mb))
    run_retention(store)
    store.close()
    assert [p.partition for p in open_archive(tmp_path).partitions()] == kept


def test_storage_paused_is_raised_on_a_closed_store(tmp_path: Path) -> None:
    store: Store = open_store(cfg(tmp_path))
    store.close()
    with pytest.raises(StoragePaused, match="closed"):
        store.append(trades("A", 0, 1))
