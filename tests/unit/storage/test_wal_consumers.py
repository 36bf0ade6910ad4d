"""The WAL's other consumers: positions that hold segments, and the incremental tail."""

from __future__ import annotations

from pathlib import Path

from mdc.config.schema import StorageConfig, WalConfig
from mdc.domain.events import Event, Trade
from mdc.storage import open_store
from mdc.storage.positions import Positions
from mdc.storage.tail import WalTail
from mdc.storage.wal import list_segments

T = 1_709_303_400_000_000_000
BIG = 5_000
"""Trades per batch: more than 1 MB of JSON, so every batch rolls the 1 MB segment."""


def trades(start: int, n: int) -> list[Event]:
    return [
        Trade(
            symbol="AAPL", venue="XNAS", provider="sim", ts_event=T + i, ts_recv=T + i,
            seq=i, price=100.0, size=1.0, trade_id=f"trade-{i:08d}-padding-padding",
        )
        for i in range(start, start + n)
    ]  # fmt: skip


def cfg(root: Path) -> StorageConfig:
    return StorageConfig(root=str(root), min_free_mb=0, wal=WalConfig(segment_max_mb=1))


def test_segments_are_kept_until_every_position_is_past_them(tmp_path: Path) -> None:
    store = open_store(cfg(tmp_path))
    assert store.positions.register("publish") == 0
    for i in range(4):
        store.append(trades(i * BIG, BIG))
    store.checkpoint()
    wal = tmp_path / "_mdc/wal"
    assert store.committed_lsn == 4
    assert len(list_segments(wal)) == 4  # the archive is past them; the publisher is not
    store.positions.commit("publish", 2)
    store.checkpoint()
    assert [first for first, _ in list_segments(wal)] == [3, 4]
    store.close()
    # The position survives a restart and still holds the WAL at open.
    store = open_store(cfg(tmp_path))
    assert store.positions.get("publish") == 2
    assert [first for first, _ in list_segments(wal)][:2] == [3, 4]
    store.positions.commit("publish", 4)
    store.checkpoint()
    assert all(first > 4 for first, _ in list_segments(wal))
    store.close()


def test_an_unreadable_position_holds_the_whole_wal(tmp_path: Path) -> None:
    control = tmp_path / "_mdc"
    (control / "positions").mkdir(parents=True)
    (control / "positions/sink.json").write_bytes(b"{torn")
    assert Positions(control).floor() == 0


def test_tail_reads_each_record_once_across_segments_up_to_the_bound(tmp_path: Path) -> None:
    store = open_store(cfg(tmp_path))
    store.positions.register("publish")
    tail = WalTail(store.wal_dir, 0)
    store.append(trades(0, 3))
    store.append(trades(3, 2))
    assert [r.lsn for r in tail.read(up_to_lsn=1)] == [1]  # not past what is vouched for
    assert [r.lsn for r in tail.read(up_to_lsn=store.wal_lsn)] == [2]
    assert tail.read(up_to_lsn=store.wal_lsn) == []
    store.append(trades(5, BIG))  # rolls to a new segment
    store.append(trades(5 + BIG, 1))
    got = tail.read(up_to_lsn=store.wal_lsn)
    assert [(r.lsn, len(r.events)) for r in got] == [(3, BIG), (4, 1)]
    assert got[1].events == trades(5 + BIG, 1)
    # A tail started from a position skips what was handed on before.
    assert [r.lsn for r in WalTail(store.wal_dir, 2).read(store.wal_lsn, max_records=1)] == [3]
    store.close()
