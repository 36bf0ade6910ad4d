"""``mdc import tardis`` and ``mdc import csv``: files written here in the documented layouts,
imported through the real store, counted exactly; a second run adds nothing."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from mdc.cli.main import app
from mdc.domain.events import BookDelta, BookSnapshot, Quote, Trade
from mdc.storage.archive import open_archive

runner = CliRunner()
T0_US = 1_700_000_000_000_000  # 2023-11-14T22:13:20Z


def cli(*args: str) -> dict[str, Any]:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    out: dict[str, Any] = json.loads(result.output)
    return out


def tardis_trades(path: Path, n: int) -> None:
    lines = ["exchange,symbol,timestamp,local_timestamp,id,side,price,amount"]
    for i in range(n):
        side = ("buy", "sell", "unknown")[i % 3]
        lines.append(
            f"binance,BTCUSDT,{T0_US + i * 10},{T0_US + i * 10 + 3},{1000 + i},{side},"
            f"{37000 + i % 50}.5,0.{i % 9 + 1}"
        )
    lines.append("binance,BTCUSDT,notatime,1,9,buy,1,1")  # bad row: counted, not fatal
    path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))


def test_tardis_trades_exact_and_idempotent(tmp_path: Path) -> None:
    f, root = tmp_path / "binance_trades_2023-11-14_BTCUSDT.csv.gz", tmp_path / "data"
    tardis_trades(f, 25_000)
    out = cli("import", "tardis", str(f), "-d", str(root))
    assert out["file_kind"] == "trades"
    assert (out["rows"], out["bad_rows"]) == (25_001, 1)
    assert out["bad_examples"][0].startswith("line 25002: ")
    assert out["import"]["by_type"] == {"trades": 25_000}
    assert out["import"]["batches"] == 3
    trades = open_archive(root).events("trades")
    assert len(trades) == 25_000
    t = trades[1]
    assert isinstance(t, Trade)
    assert (t.symbol, t.venue, t.provider, t.side, t.trade_id) == (
        "BTCUSDT",
        "binance",
        "tardis",
        "sell",
        "1001",
    )
    assert (t.ts_event, t.ts_recv, t.price, t.size) == (
        (T0_US + 10) * 1000,
        (T0_US + 13) * 1000,
        37001.5,
        0.2,
    )
    assert cli("import", "tardis", str(f), "-d", str(root))["skipped"] is True
    cli("import", "tardis", str(f), "-d", str(root), "--force")
    assert len(open_archive(root).events("trades")) == 25_000  # dedup by natural key


def test_tardis_quotes(tmp_path: Path) -> None:
    f, root = tmp_path / "quotes.csv", tmp_path / "data"
    f.write_text(
        "exchange,symbol,timestamp,local_timestamp,ask_amount,ask_price,bid_price,bid_amount\n"
        f"deribit,BTC-PERPETUAL,{T0_US},{T0_US + 5},1200,37010.5,37010,500\n"
        f"deribit,BTC-PERPETUAL,{T0_US + 1},{T0_US + 6},,,37009.5,800\n"
    )
    out = cli("import", "tardis", str(f), "-d", str(root))
    assert out["import"]["by_type"] == {"quotes": 2}
    q1, q2 = open_archive(root).events("quotes")
    assert isinstance(q1, Quote) and isinstance(q2, Quote)
    assert (q1.bid_price, q1.bid_size, q1.ask_price, q1.ask_size) == (
        37010.0,
        500.0,
        37010.5,
        1200.0,
    )
    assert (q2.ask_price, q2.ask_size, q2.bid_price) == (0.0, 0.0, 37009.5)


def test_tardis_book_snapshots_and_deltas(tmp_path: Path) -> None:
    f, root = tmp_path / "book.csv", tmp_path / "data"
    head = "exchange,symbol,timestamp,local_timestamp,is_snapshot,side,price,amount\n"
    rows = [
        "bitmex,XBTUSD,1,2,false,bid,99,1",  # before the first snapshot: skipped
        "bitmex,XBTUSD,10,20,true,bid,100,5",
        "bitmex,XBTUSD,10,20,true,bid,101,3",
        "bitmex,XBTUSD,10,20,true,ask,102,4",
        "bitmex,XBTUSD,10,20,true,ask,103,0",  # a zero level in a snapshot is absent
        "bitmex,XBTUSD,11,21,false,bid,101,0",
        "bitmex,XBTUSD,11,21,false,ask,102.5,7",
        "bitmex,XBTUSD,30,40,true,bid,90,1",  # a reconnect: a new full book
        "bitmex,XBTUSD,30,40,true,ask,91,2",
        "bitmex,XBTUSD,31,41,false,ask,91,0",
        "bitmex,XBTUSD,32,42,false,middle,91,0",  # bad side
    ]
    f.write_text(head + "\n".join(rows) + "\n")
    out = cli("import", "tardis", str(f), "-d", str(root))
    assert out["file_kind"] == "incremental_book_L2"
    assert (out["rows"], out["bad_rows"], out["skipped_before_first_snapshot"]) == (11, 1, 1)
    assert out["import"]["by_type"] == {"book_snapshots": 2, "book_deltas": 3}
    archive = open_archive(root)
    s1, s2 = archive.events("book_snapshots")
    assert isinstance(s1, BookSnapshot) and isinstance(s2, BookSnapshot)
    assert (s1.ts_event, s1.ts_recv, s1.bids, s1.asks) == (
        10_000,
        20_000,
        [(101.0, 3.0), (100.0, 5.0)],
        [(102.0, 4.0)],
    )
    assert (s2.bids, s2.asks) == ([(90.0, 1.0)], [(91.0, 2.0)])
    deltas = archive.events("book_deltas")
    assert [(d.side, d.price, d.size) for d in deltas if isinstance(d, BookDelta)] == [
        ("bid", 101.0, 0.0), ("ask", 102.5, 7.0), ("ask", 91.0, 0.0),
    ]  # fmt: skip


def test_tardis_unknown_header_is_a_usage_error(tmp_path: Path) -> None:
    f = tmp_path / "x.csv"
    f.write_text("a,b,c\n1,2,3\n")
    result = runner.invoke(app, ["import", "tardis", str(f), "-d", str(tmp_path / "data")])
    assert result.exit_code == 2
    assert "none of Tardis incremental_book_L2, trades or quotes" in result.output


MAPPING = """
type = "trades"
delimiter = ";"
[timestamp]
columns = ["Date", "Time"]
format = "%d.%m.%Y %H:%M:%S.%f"
zone = "Europe/Berlin"
[columns]
Price = "price"
Qty = "size"
Dir = "side"
Id = "trade_id"
[constants]
symbol = "SAP"
venue = "XETR"
provider = "vendor"
[values.side]
K = "buy"
V = "sell"
"""


def test_mapped_csv(tmp_path: Path) -> None:
    m, f, root = tmp_path / "m.toml", tmp_path / "sap.csv", tmp_path / "data"
    m.write_text(MAPPING)
    f.write_text(
        "Date;Time;Price;Qty;Dir;Id\n"
        "04.03.2024;09:00:00.250000;180.5;100;K;a1\n"
        "04.03.2024;09:00:01.000000;180.6;50;V;a2\n"
        "04.03.2024;09:00:02.000000;oops;50;V;a3\n"
        "04.07.2024;09:00:00.000000;181;10;;a4\n"
    )
    out = cli("import", "csv", str(f), "-m", str(m), "-d", str(root))
    assert (out["rows"], out["bad_rows"]) == (4, 1)
    assert out["import"]["by_type"] == {"trades": 3}
    t1, _, t3 = open_archive(root).events("trades")
    assert isinstance(t1, Trade) and isinstance(t3, Trade)
    # 09:00 CET is 08:00 UTC in March; 09:00 CEST is 07:00 UTC in July.
    assert t1.ts_event == 1_709_539_200_250_000_000 == t1.ts_recv
    assert t3.ts_event == 1_720_076_400_000_000_000
    assert (t1.symbol, t1.venue, t1.side, t1.price, t1.size, t1.trade_id) == (
        "SAP",
        "XETR",
        "buy",
        180.5,
        100.0,
        "a1",
    )
    assert t3.side == "unknown"
    cli("import", "csv", str(f), "-m", str(m), "-d", str(root), "--force")
    assert len(open_archive(root).events("trades")) == 3


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ('type = "trades"', 'type = "ticks"'),
        ('Qty = "size"', 'Qty = "volume"'),
        ('zone = "Europe/Berlin"', 'zone = "Mars/Olympus"'),
    ],
)
def test_mapping_mistakes_are_named(tmp_path: Path, change: str, message: str) -> None:
    m, f = tmp_path / "m.toml", tmp_path / "x.csv"
    m.write_text(MAPPING.replace(change, message))
    f.write_text("Date;Time;Price;Qty;Dir;Id\n")
    result = runner.invoke(app, ["import", "csv", str(f), "-m", str(m), "-d", str(tmp_path / "d")])
    assert result.exit_code == 2
    expected = {
        'type = "ticks"': "type = 'ticks': one of trades, quotes, bars",
        'Qty = "volume"': "[columns] Qty = 'volume': not a trades field; "
        "no column or constant for size",
        'zone = "Mars/Olympus"': "[timestamp] zone 'Mars/Olympus': not an IANA time zone",
    }[message]
    assert expected in result.output.replace("\n", " ")
