"""``mdc import nyse-xdp`` (a pcap written here, plain/gzip/zstd) and ``mdc import taq``, through
the real store into an archive that is read back."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from pathlib import Path

import pytest
import zstandard
from tests.support import xdp
from tests.unit.providers.nyse.test_nyse_parse import (
    SYMBOLS,
    expected_books,
    l2_books,
    orders_from_l3,
)
from typer.testing import CliRunner

from mdc.cli.main import app
from mdc.domain.events import BookDelta, BookSnapshot, Event, Gap, OrderUpdate, Quote, Trade
from mdc.storage.archive import open_archive

runner = CliRunner()
LINE_A, LINE_B = ("239.10.1.1", 41001), ("239.10.2.1", 41001)


@pytest.fixture(autouse=True)
def wide(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "250")


def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "mdc.toml"
    path.write_text(
        f'[storage]\nroot = "{tmp_path / "data"}"\n'
        "[providers.nyse]\n"
        f'channels = [{{id = 1, lines = ["{LINE_A[0]}:{LINE_A[1]}", "{LINE_B[0]}:{LINE_B[1]}"]}}]\n'
    )
    return path


def capture(market: xdp.Market, path: Path, drop: int | None = None) -> None:
    frames = []
    for i, data in enumerate(market.packets):
        if i == drop:
            continue
        ts = 1_764_000_000_000_000_000 + i * 1000
        frames.append((ts, LINE_A[0], LINE_A[1], data))
        frames.append((ts + 300, LINE_B[0], LINE_B[1], data))
    xdp.write_pcap(path, frames)


def archived(root: Path, type_name: str) -> list[Event]:
    return open_archive(root).events(type_name)


@pytest.mark.parametrize("compression", ["", ".gz", ".zst"])
def test_pcap_import_gives_the_builders_books_trades_and_volumes(
    tmp_path: Path, compression: str
) -> None:
    market = xdp.Market(21, SYMBOLS)
    market.open()
    market.run(2500)
    plain = tmp_path / "day.pcap"
    capture(market, plain)
    path = plain.with_name(plain.name + compression)
    if compression == ".gz":
        path.write_bytes(gzip.compress(plain.read_bytes()))
    elif compression == ".zst":
        path.write_bytes(zstandard.ZstdCompressor().compress(plain.read_bytes()))
    cfg = config_file(tmp_path)
    result = runner.invoke(app, ["import", "nyse-xdp", str(path), "-c", str(cfg), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    (channel,) = summary["feed"]["channels"]
    assert channel["duplicates"] == {"B": len(market.packets)}
    assert channel["gaps"] == 0
    assert summary["unlisted_destinations"] == {}
    root = tmp_path / "data"
    trades = archived(root, "trades")
    assert Counter(t.symbol for t in trades if isinstance(t, Trade)) == {
        x.symbol: x.trades for x in market.listings.values()
    }
    volumes: Counter[str] = Counter()
    for t in trades:
        assert isinstance(t, Trade)
        volumes[t.symbol] += int(t.size)
    assert volumes == {x.symbol: x.volume for x in market.listings.values()}
    book_events = sorted(
        archived(root, "book_snapshots") + archived(root, "book_deltas"),
        key=lambda e: (e.ts_event, e.seq or 0, not isinstance(e, BookSnapshot)),
    )
    assert all(isinstance(e, BookDelta | BookSnapshot) for e in book_events)
    assert l2_books(book_events) == expected_books(market)
    # idempotent: the same file again writes nothing; --force rewrites into the same rows
    again = runner.invoke(app, ["import", "nyse-xdp", str(path), "-c", str(cfg)])
    assert again.exit_code == 0 and "already imported" in again.output
    forced = runner.invoke(app, ["import", "nyse-xdp", str(path), "-c", str(cfg), "--force"])
    assert forced.exit_code == 0, forced.output
    assert len(archived(root, "trades")) == len(trades)


def test_pcap_import_with_orders_stores_every_order_message(tmp_path: Path) -> None:
    market = xdp.Market(23, SYMBOLS)
    market.open()
    market.run(1500)
    path = tmp_path / "day.pcap"
    capture(market, path)
    cfg = config_file(tmp_path)
    plain = runner.invoke(app, ["import", "nyse-xdp", str(path), "-c", str(cfg), "--json"])
    assert plain.exit_code == 0, plain.output
    assert "order_updates" not in json.loads(plain.output)["import"]["by_type"]
    args = ["import", "nyse-xdp", str(path), "-c", str(cfg), "--orders", "--force", "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    sent = sum(sum(x.actions.values()) for x in market.listings.values())
    assert json.loads(result.output)["import"]["by_type"]["order_updates"] == sent
    root = tmp_path / "data"
    stored = archived(root, "order_updates")
    assert Counter((e.symbol, e.action) for e in stored if isinstance(e, OrderUpdate)) == {
        (x.symbol, a): n for x in market.listings.values() for a, n in x.actions.items()
    }
    divisors = {x.symbol: x.divisor for x in market.listings.values()}
    ordered = sorted(stored, key=lambda e: (e.symbol, e.seq or 0))
    assert orders_from_l3(ordered, divisors) == {
        x.symbol: x.book.orders for x in market.listings.values()
    }
    sql = "SELECT count(*) AS n FROM order_updates WHERE action = 'execute'"
    executed = sum(x.actions["execute"] for x in market.listings.values())
    assert open_archive(root).sql(sql, as_="arrow").column("n").to_pylist() == [executed]
    again = runner.invoke(app, args)  # idempotent on (venue, symbol, ts_event, seq, action, id)
    assert again.exit_code == 0, again.output
    assert len(archived(root, "order_updates")) == sent


def test_pcap_import_with_a_lost_packet_stores_one_gap(tmp_path: Path) -> None:
    market = xdp.Market(22, SYMBOLS)
    market.open()
    market.run(1200)
    path = tmp_path / "lossy.pcap"
    capture(market, path, drop=30)
    result = runner.invoke(app, ["import", "nyse-xdp", str(path), "-c", str(config_file(tmp_path))])
    assert result.exit_code == 0, result.output
    gaps = archived(tmp_path / "data", "gaps")
    assert len(gaps) == 1
    (gap,) = gaps
    assert isinstance(gap, Gap) and gap.symbol == "channel:1" and gap.reason == "sequence_gap"


def test_not_a_capture_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.pcap"
    path.write_bytes(b"hello world, not a capture")
    result = runner.invoke(app, ["import", "nyse-xdp", str(path), "-c", str(config_file(tmp_path))])
    assert result.exit_code == 1
    assert "not a pcap or pcapng file" in result.output


# -- TAQ ----------------------------------------------------------------------------------

TRADE_HEADER = (
    "Time|Exchange|Symbol|Sale Condition|Trade Volume|Trade Price|Trade Stop Stock Indicator|"
    "Trade Correction Indicator|Sequence Number|Trade Id|Source of Trade|"
    "Trade Reporting Facility|Participant Timestamp|Trade Reporting Facility TRF Timestamp|"
    "Trade Through Exempt Indicator"
)
NBBO_HEADER = (
    "Time|Exchange|Symbol|Bid_Price|Bid_Size|Offer_Price|Offer_Size|Quote_Condition|"
    "Sequence_Number|National_BBO_Ind|FINRA_BBO_Indicator|FINRA_ADF_MPID_Indicator|"
    "Quote_Cancel_Correction|Source_Of_Quote|BestBidQuoteCondition|Best_Bid_Exchange|"
    "Best_Bid_Price|Best_Bid_Size|Best_Bid_FINRA_Market_Maker_ID|Best_Offer_Quote_Condition|"
    "Best_Offer_Exchange|Best_Offer_Price|Best_Offer_Size|Best_Offer_FINRA_Market_Maker_ID|"
    "LULD_Indicator|LULD_NBBO_Indicator|SIP_Generated_Message_Identifier|Participant_Timestamp|"
    "FINRA_ADF_Timestamp|Security_Status_Indicator"
)


def taq_trades(path: Path, rows: int) -> None:
    lines = [TRADE_HEADER]
    for i in range(rows):
        t = f"0930{i % 60:02d}{i * 1000:09d}"
        cond = "@ TI" if i % 3 else "@F  "
        corr = "00" if i % 7 else "01"
        trf = "T" if i % 5 == 0 else ""
        lines.append(
            f"{t}|{'NPQ'[i % 3]}|{'IBM' if i % 2 else 'T'}|{cond}|{100 + i}|{150.25 + i / 100:.4f}"
            f"||{corr}|{1000 + i}|{50000 + i}|C|{trf}|{t}|{t if trf else ''}|0"
        )
    lines.append(f"END|20251124|{rows}")
    path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))


def test_taq_trades_import_exact_rows_and_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "EQY_US_ALL_TRADE_20251124.gz"
    taq_trades(path, 250)
    cfg = config_file(tmp_path)
    result = runner.invoke(app, ["import", "taq", str(path), "-c", str(cfg), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert (summary["rows"], summary["bad_rows"], summary["file_kind"]) == (250, 0, "trades")
    trades = archived(tmp_path / "data", "trades")
    assert len(trades) == 250
    first = next(t for t in trades if isinstance(t, Trade) and t.seq == 1000)
    # 09:30:00 US/Eastern on 2025-11-24 (EST, UTC-5) = 14:30:00Z
    assert first.ts_event == 1_763_994_600_000_000_000
    assert first.symbol == "T" and first.exchange == "N" and first.venue == "TAQ"
    assert first.conditions == ["@", "F", "corr=01"]
    assert first.trade_id == "50000" and first.price == 150.25 and first.size == 100.0
    assert first.trf_id == "T" and first.trf_ts == first.ts_event
    second = next(t for t in trades if isinstance(t, Trade) and t.seq == 1001)
    assert second.ts_event == 1_763_994_601_000_001_000
    assert second.conditions == ["@", "T", "I"] and second.trf_id is None
    assert Counter(t.symbol for t in trades) == {"IBM": 125, "T": 125}
    again = runner.invoke(app, ["import", "taq", str(path), "-c", str(cfg), "--force"])
    assert again.exit_code == 0, again.output
    assert len(archived(tmp_path / "data", "trades")) == 250  # dedup on natural keys


def test_taq_nbbo_import(tmp_path: Path) -> None:
    path = tmp_path / "EQY_US_ALL_NBBO_20250715.gz"
    row = (
        "093000123456789|N|IBM|150.10|3|150.12|5|R|77|2|||||A|N|150.10|3||A|P|150.12|5|"
        "||||093000123000000||"
    )
    bad = "0930xx|N|IBM|x|3|150.12|5|R|78|2|||||A|N|abc|3||A|P|150.12|5|||||||"
    text = "\n".join([NBBO_HEADER, row, bad, "END|20250715|2"]) + "\n"
    path.write_bytes(gzip.compress(text.encode()))
    result = runner.invoke(
        app, ["import", "taq", str(path), "-c", str(config_file(tmp_path)), "--json"]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert (summary["rows"], summary["bad_rows"]) == (2, 1)
    (quote,) = archived(tmp_path / "data", "quotes")
    assert isinstance(quote, Quote)
    # 09:30 EDT (UTC-4) on 2025-07-15
    assert quote.ts_event == 1_752_586_200_123_456_789
    assert (quote.venue, quote.bid_exchange, quote.ask_exchange) == ("NBBO", "N", "P")
    assert (quote.bid_price, quote.bid_size, quote.ask_price, quote.ask_size) == (
        150.10,
        3.0,
        150.12,
        5.0,
    )
    assert quote.seq == 77 and quote.conditions == ["R", "A", "A"]


def test_taq_unknown_file_is_a_usage_error(tmp_path: Path) -> None:
    path = tmp_path / "something_20250101.txt"
    path.write_text("a|b|c\n1|2|3\n")
    result = runner.invoke(app, ["import", "taq", str(path), "-c", str(config_file(tmp_path))])
    assert result.exit_code == 2
    assert "neither the name" in result.output
