"""Reading the archive for the gap finder: any layout, compressed JSONL, Parquet parts."""

from __future__ import annotations

import gzip
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import zstandard

from mdc.backfill.archive import FileArchive
from mdc.domain.events import Bar, Event, Gap, Trade, encode_json


def trade(symbol: str, ts: int) -> Trade:
    return Trade(symbol=symbol, venue="X", provider="p", ts_event=ts, ts_recv=ts, price=1, size=1)


def lines(events: list[Event]) -> bytes:
    return b"".join(encode_json(e) + b"\n" for e in events)


def test_reads_every_layout_and_compression_and_skips_control_dirs(tmp_path: Path) -> None:
    (tmp_path / "2024-07-01" / "trades").mkdir(parents=True)
    (tmp_path / "2024-07-01" / "trades" / "AAPL.jsonl").write_bytes(
        lines([trade("AAPL", 30), trade("AAPL", 10)])
    )
    (tmp_path / "2024-07-02" / "trades").mkdir(parents=True)
    with gzip.open(tmp_path / "2024-07-02" / "trades" / "AAPL.jsonl.gz", "wb") as f:
        f.write(lines([trade("AAPL", 50)]))
    cctx = zstandard.ZstdCompressor()
    two_frames = cctx.compress(lines([trade("AAPL", 70)])) + cctx.compress(
        lines([trade("AAPL", 90)]) + b'{"type":"trade","sym'  # a torn tail is skipped
    )
    (tmp_path / "AAPL_trades_2024-07-03.jsonl.zst").write_bytes(two_frames)
    (tmp_path / "MSFT" / "trades").mkdir(parents=True)
    (tmp_path / "MSFT" / "trades" / "all.jsonl").write_bytes(lines([trade("MSFT", 20)]))
    (tmp_path / "_raw" / "p").mkdir(parents=True)
    (tmp_path / "_raw" / "p" / "x.jsonl").write_bytes(lines([trade("AAPL", 40)]))
    bar = Bar(
        symbol="AAPL", venue="X", provider="p", ts_event=60, ts_recv=60, interval="1m",
        open=1, high=1, low=1, close=1, volume=1,
    )  # fmt: skip
    (tmp_path / "AAPL" / "bars").mkdir(parents=True)
    (tmp_path / "AAPL" / "bars" / "d.jsonl").write_bytes(lines([bar]))

    archive = FileArchive(tmp_path)
    assert archive.timestamps("trades", "AAPL", 0, 100, None) == [10, 30, 50, 70, 90]
    assert archive.timestamps("trades", "AAPL", 30, 70, None) == [30, 50]
    assert archive.timestamps("trades", "MSFT", 0, 100, None) == [20]
    assert archive.timestamps("bars", "AAPL", 0, 100, "1m") == [60]
    assert archive.timestamps("bars", "AAPL", 0, 100, "1h") == []
    assert archive.timestamps("quotes", "AAPL", 0, 100, None) == []


def test_parquet_parts_and_gap_events(tmp_path: Path) -> None:
    part = tmp_path / "parquet" / "type=trades" / "date=2024-07-06" / "symbol=BTC%2FUSD"
    part.mkdir(parents=True)
    pq.write_table(
        pa.table({"ts_event": [5, 15, 25], "price": [1.0, 2.0, 3.0]}), part / "p.parquet"
    )
    gap = Gap(
        symbol="BTC/USD", venue="X", provider="live", ts_event=9, ts_recv=9,
        from_ts=10, to_ts=20, reason="disconnect",
    )  # fmt: skip
    (tmp_path / "BTC%2FUSD" / "gaps").mkdir(parents=True)
    (tmp_path / "BTC%2FUSD" / "gaps" / "d.jsonl").write_bytes(lines([gap]))
    archive = FileArchive(tmp_path)
    assert archive.timestamps("trades", "BTC/USD", 0, 20, None) == [5, 15]
    assert archive.gap_events("BTC/USD", 0, 100) == [gap]
    assert archive.gap_events("BTC/USD", 20, 100) == []
    assert archive.gap_events("ETH/USD", 0, 100) == []
