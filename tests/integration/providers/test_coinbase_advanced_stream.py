"""The real Coinbase provider with ``api = "advanced"`` against a local Advanced Trade server.

The server speaks the documented protocol (one channel per subscribe, ``subscriptions``
confirmations, ``snapshot`` then ``update`` events, a per-connection ``sequence_num``); the
counts below are exactly what it sent.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

from coinbase_advanced_server import AdvancedTradeServer
from collecting_sink import CollectingSink, running
from venue_server import FAST_STREAM

from mdc.config.schema import Config, SymbolConfig
from mdc.domain.events import BookDelta, BookSnapshot, Gap, Quote, Trade
from mdc.providers.coinbase.config import CoinbaseConfig
from mdc.providers.coinbase.parse_advanced import AdvancedParser
from mdc.providers.coinbase.stream import CoinbaseStream

SYMBOLS = [SymbolConfig(symbol="BTC-USD"), SymbolConfig(symbol="ETH-USD")]
CHANNELS = ["heartbeats", "level2", "market_trades", "ticker"]


def config(server: AdvancedTradeServer) -> Config:
    section = {
        "api": "advanced",
        "ws_url": server.ws_url,
        "rest_url": server.http_url,
        **FAST_STREAM,
    }
    return Config(symbols=[s.symbol for s in SYMBOLS], providers={"coinbase": section})


Scenario = Callable[[AdvancedTradeServer, CollectingSink, AdvancedParser], Awaitable[None]]


def run(fixtures: Path, scenario: Scenario) -> None:
    async def main() -> None:
        async with AdvancedTradeServer(fixtures) as server:
            server.books["BTC-USD"] = _ladder(45000.0, 0.5)
            server.books["ETH-USD"] = _ladder(3000.0, 0.05)
            server.recent_trades["BTC-USD"] = []
            sink = CollectingSink()
            provider = CoinbaseStream(config(server), sink)
            async with running(provider, SYMBOLS):
                await sink.wait_count(BookSnapshot, 2)
                parser = provider.protocol.parser
                assert isinstance(parser, AdvancedParser)
                await scenario(server, sink, parser)

    asyncio.run(main())


def _ladder(mid: float, step: float) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    bids = [(f"{mid - step * (i + 1):.2f}", "1.5") for i in range(5)]
    asks = [(f"{mid + step * (i + 1):.2f}", "2") for i in range(5)]
    return bids, asks


def test_default_endpoint_is_the_advanced_trade_host() -> None:
    assert CoinbaseConfig(api="advanced").stream_url() == "wss://advanced-trade-ws.coinbase.com"
    assert CoinbaseConfig().stream_url() == "wss://ws-feed.exchange.coinbase.com"


def test_session_counts_trades_quotes_and_book_updates_exactly(fixtures_dir: Path) -> None:
    async def scenario(
        server: AdvancedTradeServer, sink: CollectingSink, parser: AdvancedParser
    ) -> None:
        await server.wait_for(lambda: len(server.received) == len(CHANNELS))
        await sink.wait_count(Quote, 2)  # each product's ticker snapshot
        await server.book_update("BTC-USD", bids=[("44999.50", "0.25")], asks=[("45000.50", "0")])
        await server.book_update("ETH-USD", asks=[("3000.01", "7")])
        await server.trades("BTC-USD", [101, 102, 103])
        await server.heartbeat(1)
        await server.ticker("BTC-USD", "44999.50", "45001.00")
        await sink.wait_count(Quote, 3)
        await sink.wait_count(Trade, 3)
        await sink.wait_count(BookDelta, 3)
        assert len(sink.of(BookSnapshot)) == 2
        snapshot = next(e for e in sink.of(BookSnapshot) if e.symbol == "BTC-USD")
        assert isinstance(snapshot, BookSnapshot)
        assert snapshot.bids[0] == (44999.5, 1.5) and snapshot.asks[0] == (45000.5, 2.0)
        assert len(snapshot.bids) == len(snapshot.asks) == 5
        assert snapshot.ts_event > 0  # the envelope's time, not the levels' epoch placeholder
        deltas = [(e.symbol, e.side, e.price, e.size) for e in sink.of(BookDelta)]
        assert deltas == [
            ("BTC-USD", "bid", 44999.5, 0.25),
            ("BTC-USD", "ask", 45000.5, 0.0),
            ("ETH-USD", "ask", 3000.01, 7.0),
        ]
        trades = sink.of(Trade)
        assert [t.trade_id for t in trades] == ["101", "102", "103"]
        # Side is the maker's: trade 101 is "BUY", so the aggressor sold.
        assert [t.side for t in trades] == ["sell", "buy", "sell"]
        quote = sink.of(Quote)[-1]
        assert isinstance(quote, Quote)
        assert (quote.bid_price, quote.bid_size, quote.ask_price) == (44999.5, 1.5, 45001.0)
        assert sink.of(Gap) == [] and sink.bad == []
        # As documented: one channel per subscribe, the products listed, no JWT.
        assert [m["channel"] for _, m in server.received] == CHANNELS
        for _, message in server.received:
            assert message["product_ids"] == ["BTC-USD", "ETH-USD"]
            assert set(message) == {"type", "product_ids", "channel"}

    run(fixtures_dir / "crypto", scenario)


def test_a_sequence_hole_is_exactly_one_gap_and_one_book_resync(fixtures_dir: Path) -> None:
    async def scenario(
        server: AdvancedTradeServer, sink: CollectingSink, parser: AdvancedParser
    ) -> None:
        await server.book_update("BTC-USD", bids=[("44999.50", "0.75")])
        server.skip(3)  # three messages lost on the connection
        await server.book_update("ETH-USD", bids=[("2999.95", "4")])
        await sink.wait_count(Gap, 1)
        await sink.wait_count(BookSnapshot, 4)  # both books resubscribed: fresh snapshots
        await server.book_update("BTC-USD", asks=[("45000.50", "0.1")])
        await sink.wait_count(BookDelta, 3)
        (gap,) = sink.of(Gap)
        assert isinstance(gap, Gap)
        assert (gap.symbol, gap.reason) == ("*", "sequence_gap")
        assert gap.detail.startswith("sequence_num ")
        assert "missing (3)" in gap.detail
        assert len(server.requests("level2", "unsubscribe")) == 1
        assert [r["product_ids"] for r in server.requests("level2")] == [
            ["BTC-USD", "ETH-USD"],
            ["BTC-USD", "ETH-USD"],
        ]
        assert server.connections == 1
        assert parser.sequence_gaps == 1 and parser.duplicates == 0

    run(fixtures_dir / "crypto", scenario)


def test_reconnect_restarts_numbering_and_repeated_snapshot_trades_are_dropped(
    fixtures_dir: Path,
) -> None:
    async def scenario(
        server: AdvancedTradeServer, sink: CollectingSink, parser: AdvancedParser
    ) -> None:
        await server.wait_for(lambda: len(server.received) == len(CHANNELS))
        await server.trades("BTC-USD", [7, 8, 9])
        await sink.wait_count(Trade, 3)
        await server.drop()
        await server.wait_for(lambda: server.connections == 2 and len(server.clients) == 1)
        await sink.wait_count(BookSnapshot, 4)
        await server.wait_for(lambda: len(server.requests("ticker")) == 2)
        await sink.wait_count(Quote, 4)
        await server.trades("BTC-USD", [10])
        await sink.wait_count(Trade, 4)
        # The new connection's snapshot repeated 7..9: stored once. Its sequence_num started
        # at 0 again: no sequence Gap, only the outage's Gap per product.
        assert [t.trade_id for t in sink.of(Trade)] == ["7", "8", "9", "10"]
        gaps = sink.of(Gap)
        assert sorted(g.symbol for g in gaps) == ["BTC-USD", "ETH-USD"]
        assert all(g.reason != "sequence_gap" for g in gaps)
        assert parser.duplicates == 3 and parser.sequence_gaps == 0

    run(fixtures_dir / "crypto", scenario)


def test_client_messages_keep_to_eight_a_second(fixtures_dir: Path) -> None:
    """Subscriptions plus three resyncs (10 messages) measured on the server's side."""

    async def scenario(
        server: AdvancedTradeServer, sink: CollectingSink, parser: AdvancedParser
    ) -> None:
        for n in range(3):
            server.skip(1)
            await server.heartbeat(n)
            await sink.wait_count(Gap, n + 1)
            await sink.wait_count(BookSnapshot, 2 * (n + 2))
        times = [t for t, _ in server.received]
        assert len(times) == len(CHANNELS) + 3 * 2
        busiest = max(sum(1 for u in times if t <= u < t + 1.0) for t in times)
        assert busiest <= 8

    run(fixtures_dir / "crypto", scenario)
