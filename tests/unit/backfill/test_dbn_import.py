"""``mdc import databento``: DBN files written here with the databento-dbn package's own encoder
(``bytes(Metadata)`` + ``bytes(record)``, plain and zstd), imported and counted exactly."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import databento_dbn as db
import pytest
import zstandard
from typer.testing import CliRunner

from mdc.cli.main import app
from mdc.domain.events import Bar, Quote, Trade
from mdc.storage.archive import open_archive

runner = CliRunner()
T0 = 1_700_000_000_000_000_000  # 2023-11-14T22:13:20Z
PX = db.FIXED_PRICE_SCALE


def metadata(schema: Any) -> bytes:
    mapping = SimpleNamespace(
        raw_symbol="AAPL",
        intervals=[
            SimpleNamespace(
                start_date=dt.date(2023, 11, 14), end_date=dt.date(2023, 11, 15), symbol="38"
            )
        ],
    )
    meta = db.Metadata(
        dataset="XNAS.ITCH",
        start=T0,
        end=T0 + 86_400 * 10**9,
        stype_in=db.SType.RAW_SYMBOL,
        stype_out=db.SType.INSTRUMENT_ID,
        schema=schema,
        symbols=["AAPL"],
        mappings=[mapping],
    )
    return bytes(meta)


def trades_file(n: int) -> bytes:
    out = bytearray(metadata(db.Schema.TRADES))
    for i in range(n):
        out += bytes(
            db.TradeMsg(
                publisher_id=2,
                instrument_id=38 if i % 10 else 99,  # 99: not in the symbology
                ts_event=T0 + i * 1000,
                price=(189 * PX) + i * 10_000_000,
                size=100 + i,
                action=db.Action.TRADE,
                side=(db.Side.BID, db.Side.ASK, db.Side.NONE)[i % 3],
                depth=0,
                ts_recv=T0 + i * 1000 + 250,
                sequence=i + 1,
            )
        )
    return bytes(out)


def cli(*args: str) -> dict[str, Any]:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    out: dict[str, Any] = json.loads(result.output)
    return out


@pytest.mark.parametrize("compressed", [False, True])
def test_trades_exact_and_idempotent(tmp_path: Path, compressed: bool) -> None:
    data = trades_file(12_345)
    f = tmp_path / ("t.dbn.zst" if compressed else "t.dbn")
    f.write_bytes(zstandard.ZstdCompressor().compress(data) if compressed else data)
    root = tmp_path / "data"
    out = cli("import", "databento", str(f), "-d", str(root))
    assert (out["dataset"], out["schema"], out["records"]) == ("XNAS.ITCH", "trades", 12_345)
    assert out["import"]["by_type"] == {"trades": 12_345}
    assert out["unmapped_instruments"] == [99]
    trades = sorted(open_archive(root).events("trades"), key=lambda t: t.ts_event)
    assert len(trades) == 12_345
    t = trades[1]
    assert isinstance(t, Trade)
    assert (t.symbol, t.venue, t.provider, t.side, t.seq) == (
        "AAPL",
        "XNAS.ITCH",
        "databento",
        "sell",
        2,
    )
    assert (t.ts_event, t.ts_recv, t.price, t.size) == (T0 + 1000, T0 + 1250, 189.01, 101.0)
    assert trades[0].symbol == "99"
    cli("import", "databento", str(f), "-d", str(root), "--force")
    assert len(open_archive(root).events("trades")) == 12_345


def test_mbp1_and_ohlcv(tmp_path: Path) -> None:
    mbp = bytearray(metadata(db.Schema.MBP_1))
    for i, action in enumerate((db.Action.ADD, db.Action.TRADE, db.Action.CANCEL)):
        level = db.BidAskPair(
            bid_px=189 * PX, ask_px=db.UNDEF_PRICE if i == 2 else 190 * PX, bid_sz=5, ask_sz=7
        )
        mbp += bytes(
            db.MBP1Msg(
                publisher_id=2, instrument_id=38, ts_event=T0 + i, price=189 * PX, size=3,
                action=action, side=db.Side.ASK, depth=0, ts_recv=T0 + i + 9, levels=level,
            )
        )  # fmt: skip
    f = tmp_path / "q.dbn"
    f.write_bytes(bytes(mbp))
    out = cli("import", "databento", str(f), "-d", str(tmp_path / "a"))
    assert out["import"]["by_type"] == {"quotes": 3, "trades": 1}
    quotes = open_archive(tmp_path / "a").events("quotes")
    q = quotes[2]
    assert isinstance(q, Quote)
    assert (q.bid_price, q.bid_size, q.ask_price, q.ask_size) == (189.0, 5.0, 0.0, 0.0)

    bars = bytearray(metadata(db.Schema.OHLCV_1M))
    for i in range(60):
        bars += bytes(
            db.OHLCVMsg(
                rtype=db.RType.OHLCV_1M, publisher_id=2, instrument_id=38,
                ts_event=T0 + i * 60 * 10**9, open=10 * PX, high=12 * PX, low=9 * PX,
                close=11 * PX, volume=1000 + i,
            )
        )  # fmt: skip
    f = tmp_path / "b.dbn"
    f.write_bytes(bytes(bars))
    out = cli("import", "databento", str(f), "-d", str(tmp_path / "b"))
    assert out["import"]["by_type"] == {"bars": 60}
    bar = open_archive(tmp_path / "b").events("bars")[59]
    assert isinstance(bar, Bar)
    assert (bar.interval, bar.open, bar.high, bar.low, bar.close, bar.volume) == (
        "1m",
        10.0,
        12.0,
        9.0,
        11.0,
        1059.0,
    )


def test_not_dbn_is_a_usage_error(tmp_path: Path) -> None:
    f = tmp_path / "x.dbn"
    f.write_bytes(b"hello world")
    result = runner.invoke(app, ["import", "databento", str(f), "-d", str(tmp_path / "d")])
    assert result.exit_code == 2
    assert "not a DBN file" in result.output
