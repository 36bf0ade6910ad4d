"""The real Kraken provider (WebSocket v2) against a local server speaking the v2 protocol.

The session follows the documented v2 examples: an instrument snapshot with each pair's
precisions, book snapshots of the subscribed depth, then updates that insert, change, delete
and push levels out of scope, with quantities such as ``0.001`` that must be written with the
pair's 8 decimals for the checksum; the server computes every checksum from its own book.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from collecting_sink import CollectingSink, eventually, running
from kraken_v2_server import KrakenV2Server, ladder
from venue_server import FAST_STREAM

from mdc.config.schema import Config, SymbolConfig
from mdc.domain.events import BookDelta, BookSnapshot, Gap, Quote, Trade
from mdc.providers.kraken.parse_v2 import KrakenV2Parser
from mdc.providers.kraken.stream import KrakenStream

FAST: dict[str, Any] = {
    **FAST_STREAM,
    "book_depth": 10,
}
SYMBOLS = [SymbolConfig(symbol="BTC-USD"), SymbolConfig(symbol="ETH-USD")]

UPDATES: list[tuple[str, dict[str, list[tuple[str, str]]]]] = [
    ("BTC/USD", {"bids": [("44999.9", "0.001")]}),  # qty needs its 8 decimals: 0.00100000
    ("BTC/USD", {"asks": [("45000.1", "0")]}),  # the best ask goes
    ("BTC/USD", {"bids": [("44999.7", "1.23456789")]}),  # every qty decimal counts
    ("ETH/USD", {"asks": [("3000", "2")], "bids": [("2999.99", "0")]}),  # 3000 is 3000.00
    ("BTC/USD", {"bids": [("45000", "3")]}),  # a new best bid pushes the 10th out of scope
    ("ETH/USD", {"bids": [("2999.5", "7.1")]}),  # deeper than the checksum's 10 levels
    ("BTC/USD", {"asks": [("45000.2", "0.5"), ("45000.3", "0")]}),
    ("ETH/USD", {"asks": [("3000.01", "10.00000001")]}),
]


def config(server: KrakenV2Server) -> Config:
    section = {"ws_url": server.ws_url, "rest_url": server.http_url, "api": "v2", **FAST}
    return Config(symbols=[s.symbol for s in SYMBOLS], providers={"kraken": section})


def run(fixtures: Path, scenario: Callable[[KrakenV2Server], Awaitable[None]]) -> None:
    async def main() -> None:
        async with KrakenV2Server(fixtures) as server:
            server.add_book(
                "BTC/USD", (1, 8), *ladder(Decimal("45000.0"), Decimal("0.1"), 15, "0.5")
            )
            server.add_book(
                "ETH/USD", (2, 8), *ladder(Decimal("3000.00"), Decimal("0.01"), 15, "1.25")
            )
            await scenario(server)

    asyncio.run(main())


def test_v2_session_every_checksum_validates(fixtures_dir: Path) -> None:
    async def scenario(server: KrakenV2Server) -> None:
        sink = CollectingSink()
        provider = KrakenStream(config(server), sink)
        async with running(provider, SYMBOLS):
            await sink.wait_count(BookSnapshot, 2)
            parser = provider.protocol.parser
            assert isinstance(parser, KrakenV2Parser)
            for symbol, sides in UPDATES:
                await server.book_update(symbol, **sides)
            levels = sum(len(v) for _, sides in UPDATES for v in sides.values())
            await sink.wait_count(BookDelta, levels)
            assert parser.checksums_ok == 2 + len(UPDATES)
            assert parser.checksums_failed == 0
            assert parser.precision_guessed == 0
            assert parser.precision == {"BTC/USD": (1, 8), "ETH/USD": (2, 8)}
            snapshot = next(e for e in sink.of(BookSnapshot) if e.symbol == "BTC-USD")
            assert isinstance(snapshot, BookSnapshot)
            assert len(snapshot.bids) == len(snapshot.asks) == 10
            assert snapshot.bids[0] == (44999.9, 0.5)
            await server.ticker("BTC/USD", "45000", "45000.2")
            await sink.wait_count(Quote, 1)
            (quote,) = sink.of(Quote)
            assert isinstance(quote, Quote)
            assert (quote.bid_price, quote.ask_price, quote.ask_size) == (45000.0, 45000.2, 2.0)
            assert sink.of(Gap) == []
            # The subscriptions as documented: instrument first, then book, trade, ticker.
            (ticker,) = server.requests("ticker")
            assert ticker["params"] == {
                "channel": "ticker",
                "symbol": ["BTC/USD", "ETH/USD"],
                "event_trigger": "bbo",
            }
            (book,) = server.requests("book")
            assert book["params"]["depth"] == 10
            first = server.clients[0].received
            assert first[0]["params"] == {"channel": "instrument"}

    run(fixtures_dir / "crypto", scenario)


def test_v2_corrupted_level_is_one_gap_and_one_resubscribe(fixtures_dir: Path) -> None:
    async def scenario(server: KrakenV2Server) -> None:
        sink = CollectingSink()
        provider = KrakenStream(config(server), sink)
        async with running(provider, SYMBOLS):
            await sink.wait_count(BookSnapshot, 2)
            parser = provider.protocol.parser
            await server.book_update("BTC/USD", bids=[("44999.9", "0.75")])
            await server.book_update("BTC/USD", bids=[("44999.8", "0.25")], corrupt=True)
            await sink.wait_count(Gap, 1)
            await sink.wait_count(BookSnapshot, 3)  # the resubscription's snapshot
            await server.book_update("BTC/USD", asks=[("45000.1", "0.001")])
            await eventually(lambda: parser.checksums_ok == 2 + 1 + 1 + 1)
            (gap,) = sink.of(Gap)
            assert isinstance(gap, Gap)
            assert (gap.symbol, gap.reason) == ("BTC-USD", "checksum_mismatch")
            assert parser.checksums_failed == 1
            assert len(server.requests("book", "unsubscribe")) == 1
            assert [r["params"]["symbol"] for r in server.requests("book")] == [
                ["BTC/USD", "ETH/USD"],
                ["BTC/USD"],
            ]
            assert server.connections == 1

    run(fixtures_dir / "crypto", scenario)


def test_v2_hole_in_trade_ids_is_one_gap(fixtures_dir: Path) -> None:
    async def scenario(server: KrakenV2Server) -> None:
        sink = CollectingSink()
        provider = KrakenStream(config(server), sink)
        async with running(provider, SYMBOLS):
            await server.wait_for(lambda: bool(server.requests("trade")))
            await sink.wait_count(BookSnapshot, 2)
            await server.trades("BTC/USD", [1, 2, 3])
            await server.trades("BTC/USD", [3, 5, 6])  # 3 repeated, 4 lost
            await sink.wait_count(Trade, 5)
            await sink.wait_count(Gap, 1)
            assert [e.trade_id for e in sink.of(Trade)] == ["1", "2", "3", "5", "6"]
            (gap,) = sink.of(Gap)
            assert isinstance(gap, Gap)
            assert gap.reason == "trade_id_gap"
            assert gap.detail == "trade ids 4..4 missing (1)"
            (trade,) = [t for t in sink.of(Trade) if t.trade_id == "5"]
            assert isinstance(trade, Trade)
            assert (trade.price, trade.size, trade.side) == (45000.1, 0.001, "buy")

    run(fixtures_dir / "crypto", scenario)
