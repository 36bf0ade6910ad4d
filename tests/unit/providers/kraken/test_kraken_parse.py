"""Kraken v1 frames → events; every update's CRC32 checked (frames from KRAKEN.ws.50.0)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mdc.domain.events import BookDelta, BookSnapshot, Gap, Quote, Trade
from mdc.providers.base import ProviderError
from mdc.providers.kraken.book import PairBook
from mdc.providers.kraken.parse import KrakenParser

TS = 1_700_000_000_000_000_000


def ada_frames(fixtures_dir: Path) -> list[str]:
    path = fixtures_dir / "crypto" / "KRAKEN.ws.50.0"
    return [
        line.split(": ", 1)[1]
        for line in path.read_text().splitlines()
        if line[:1].isdigit() and line.endswith('"ADA/XBT"]')
    ]


def test_snapshot_then_updates_validate(fixtures_dir: Path) -> None:
    frames = ada_frames(fixtures_dir)
    parser = KrakenParser(1000, {"ADA/XBT": "ADA-BTC"})
    (snapshot,) = parser.parse(frames[0], TS)
    assert isinstance(snapshot, BookSnapshot)
    assert snapshot.symbol == "ADA-BTC"
    assert snapshot.asks[0] == (0.0000229, 13355.87450757)
    assert parser.books["ADA/XBT"].sizes() == (len(snapshot.asks), len(snapshot.bids))
    # [1360,{"b":[["0.000022860","31571.61559016","1618678134.490367"]],"c":"993647625"},...]
    (delta,) = parser.parse(frames[1], TS)
    assert delta == BookDelta(
        symbol="ADA-BTC",
        venue="kraken",
        provider="kraken",
        ts_event=1618678134490367000,
        ts_recv=TS,
        side="bid",
        price=0.00002286,
        size=31571.61559016,
    )
    for frame in frames[2:]:
        parser.parse(frame, TS)
    assert parser.checksums_ok == len(frames) - 1 and parser.checksums_failed == 0


def test_checksum_mismatch_is_one_gap_and_a_resubscribe(fixtures_dir: Path) -> None:
    frames = ada_frames(fixtures_dir)
    parser = KrakenParser(1000, {"ADA/XBT": "ADA-BTC"})
    parser.parse(frames[0], TS)
    msg = json.loads(frames[1])
    msg[1]["b"][0][1] = "31571.61559017"
    delta, gap = parser.parse(json.dumps(msg), TS)
    assert isinstance(delta, BookDelta) and isinstance(gap, Gap)
    assert (gap.symbol, gap.reason) == ("ADA-BTC", "checksum_mismatch")
    assert parser.resubscribe == {"ADA/XBT"} and "ADA/XBT" not in parser.books
    # Until the new snapshot, updates are passed on but cannot be validated.
    assert len(parser.parse(frames[2], TS)) >= 1
    assert parser.unvalidated == 1 and parser.checksums_failed == 1
    parser.parse(frames[0], TS)
    assert parser.resubscribe == set()


def test_truncation_to_the_subscribed_depth() -> None:
    book = PairBook(depth=2)
    book.load([["1.0", "1", "0"], ["2.0", "1", "0"]], [["0.5", "1", "0"]])
    book.set_ask("0.9", "3")
    book.truncate()
    assert book.sizes() == (2, 1)
    # The level pushed out (2.0) is gone: a later delete of it changes nothing.
    book.set_ask("2.0", "0")
    assert book.sizes() == (2, 1)


def test_trade_and_spread() -> None:
    parser = KrakenParser(10, {"XBT/USD": "BTC-USD"})
    trade_frame = (
        '[0,[["5541.20000","0.15850568","1534614057.321597","s","l",""],'
        '["6060.00000","0.02455000","1534614057.324998","b","m",""]],"trade","XBT/USD"]'
    )
    sell, buy = parser.parse(trade_frame, TS)
    assert isinstance(sell, Trade) and isinstance(buy, Trade)
    assert (sell.symbol, sell.price, sell.size) == ("BTC-USD", 5541.2, 0.15850568)
    assert sell.side == "sell"
    assert (buy.side, buy.conditions, buy.ts_event) == ("buy", ["market"], 1534614057324998000)
    spread_frame = (
        '[0,["5698.40000","5700.00000","1542057299.545897","1.01234567","0.98765432"],'
        '"spread","XBT/USD"]'
    )
    (quote,) = parser.parse(spread_frame, TS)
    assert quote == Quote(
        symbol="BTC-USD",
        venue="kraken",
        provider="kraken",
        ts_event=1542057299545897000,
        ts_recv=TS,
        bid_price=5698.4,
        bid_size=1.01234567,
        ask_price=5700.0,
        ask_size=0.98765432,
    )


def test_events_are_not_data() -> None:
    parser = KrakenParser(10, {})
    assert parser.parse('{"event":"heartbeat"}', TS) == []
    assert parser.parse('{"connectionID":17843232920108168701,"event":"systemStatus"}', TS) == []


def test_subscription_error_is_fatal() -> None:
    frame = (
        '{"errorMessage":"Currency pair not supported","event":"subscriptionStatus",'
        '"pair":"XBT/EUX","status":"error","subscription":{"name":"book"}}'
    )
    with pytest.raises(ProviderError, match="XBT/EUX: Currency pair not supported"):
        KrakenParser(10, {}).parse(frame, TS)
