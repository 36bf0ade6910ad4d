"""More Parquet partitions than ``max_open_files`` (500 symbols x 4 types): parts are never
finished because file handles ran out; rows wait in memory and parts get sensible row groups."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from mdc.config.schema import StorageConfig
from mdc.domain.events import Bar, BookDelta, Event, Quote, Trade
from mdc.storage import Store, open_store
from mdc.storage.parquet import CONVERT_ROWS

T = 1_709_303_400_000_000_000  # 2024-03-01T14:30:00Z
SYMBOLS = [f"S{i:03d}" for i in range(500)]
TYPES = ("trades", "quotes", "book_deltas", "bars")


def events(symbol: str, seq: int) -> list[Event]:
    common = {"symbol": symbol, "venue": "X", "provider": "sim", "ts_event": T + seq}
    return [
        Trade(**common, ts_recv=T + seq, seq=seq, price=10.0, size=1.0),
        Quote(
            **common, ts_recv=T + seq, seq=seq, bid_price=9, bid_size=1, ask_price=11, ask_size=1
        ),
        BookDelta(**common, ts_recv=T + seq, seq=seq, side="bid", price=9.0, size=float(seq)),
        Bar(**common, ts_recv=T + seq, interval="1m", open=1, high=2, low=1, close=2, volume=seq),
    ]


def parts(root: Path) -> dict[str, list[pq.FileMetaData]]:
    out: dict[str, list[pq.FileMetaData]] = {t: [] for t in TYPES}
    for path in sorted((root / "parquet").rglob("*.parquet")):
        out[path.relative_to(root / "parquet").parts[0].removeprefix("type=")].append(
            pq.read_metadata(path)
        )
    return out


def config(root: Path, **kw: object) -> StorageConfig:
    base: dict[str, object] = {
        "root": str(root),
        "format": "parquet",
        "min_free_mb": 0,
        "raw_capture": False,
        "max_open_files": 8,
    }
    return StorageConfig(**(base | kw))  # type: ignore[arg-type]


def feed(store: Store, symbols: list[str], rows: int, per_batch: int) -> Iterator[dict[str, Any]]:
    """Append ``rows`` events per partition, ``per_batch`` at a time across every partition;
    yields the store's stats after each append."""
    for seq in range(0, rows, per_batch):
        batch = [e for i in range(seq, seq + per_batch) for s in symbols for e in events(s, i)]
        store.append(batch)
        yield store.stats()
    store.close()


def test_2000_partitions_through_8_handles_make_one_part_each(tmp_path: Path) -> None:
    store = open_store(config(tmp_path))
    for stats in feed(store, SYMBOLS, rows=12, per_batch=1):  # each batch: every partition
        assert stats["files_open"] <= 8
    found = parts(tmp_path)
    for type_name in TYPES:
        metas = found[type_name]
        assert len(metas) == 500, type_name  # one part per partition, not one per batch
        assert Counter(m.num_rows for m in metas) == {12: 500}
        assert all(m.num_row_groups == 1 for m in metas)


def test_row_groups_wait_for_a_handle_and_keep_their_size(tmp_path: Path) -> None:
    store = open_store(config(tmp_path, max_open_files=2, parquet_row_group_rows=CONVERT_ROWS))
    opened = set()  # 16 partitions, 2 handles: 14 partitions' row groups wait in memory
    for stats in feed(store, SYMBOLS[:4], rows=3 * CONVERT_ROWS, per_batch=CONVERT_ROWS):
        opened.add(stats["files_open"])
    assert opened == {2}
    found = parts(tmp_path)
    for type_name in TYPES:
        metas = found[type_name]
        assert len(metas) == 4
        for meta in metas:
            sizes = [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]
            assert sizes == [CONVERT_ROWS] * 3


def test_memory_pressure_finishes_the_fullest_open_part_not_tiny_ones(tmp_path: Path) -> None:
    store = open_store(
        config(
            tmp_path,
            max_open_files=2,
            parquet_row_group_rows=100,
            parquet_max_buffered_rows=4000,
        )
    )
    # 16 partitions, 2 handles, memory for 250 rows per partition
    for stats in feed(store, SYMBOLS[:4], rows=1000, per_batch=50):
        assert stats["parquet_buffered_rows"] <= 4000
    found = parts(tmp_path)
    for type_name in TYPES:
        metas = found[type_name]
        assert sum(m.num_rows for m in metas) == 4000
        assert min(m.num_rows for m in metas) >= 100  # at least a full row group each
        assert len(metas) <= 16  # 250 rows a part on average (a part per batch: 80)
