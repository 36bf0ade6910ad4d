"""The IB stream: the real ib_async client against the wire-level TWS stand-in on 127.0.0.1."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from collecting_sink import CollectingSink, eventually
from tests.support.fake_tws import FakeTws, Listing

from mdc.config.schema import Config, SymbolConfig
from mdc.domain.events import BookDelta, BookSnapshot, Gap, Quote, Status, Trade
from mdc.providers.ib.stream import IbStream

LISTINGS = [
    Listing("AAPL", 265598, name="APPLE INC"),
    Listing("MSFT", 272093, name="MICROSOFT CORP"),
    Listing("ES", 551601503, sec_type="FUT", exchange="CME", primary="CME", expiry="20240315"),
]


def config(port: int, **section: Any) -> Config:
    ib = {"port": port, "reconnect_initial_s": 0.05, "reconnect_max_s": 0.1, **section}
    return Config(providers={"ib": ib})


def serve(body: Callable[[FakeTws], Awaitable[None]], **options: Any) -> None:
    """Run ``body`` against a fresh stand-in on its own event loop."""

    async def main() -> None:
        tws = await FakeTws(LISTINGS, **options).start()
        try:
            async with asyncio.timeout(20):
                await body(tws)
        finally:
            await tws.stop()

    asyncio.run(main())


class Running:
    """An IbStream running in a task, stopped (and its gaps flushed) at exit."""

    def __init__(self, port: int, symbols: list[str], **section: Any) -> None:
        self.sink = CollectingSink()
        self.stream = IbStream(config(port, **section), self.sink)
        self.symbols = [SymbolConfig(symbol=s) for s in symbols]
        self.task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Running:
        self.task = asyncio.create_task(self.stream.run(self.symbols))
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.task is not None
        self.task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await self.task


async def streaming(tws: FakeTws, kinds: dict[str, int]) -> None:
    """Wait until the newest connection holds this many subscriptions of each kind."""
    await tws.wait(lambda: all(len(tws.streams(k)) == n for k, n in kinds.items()))


def test_trades_quotes_and_book_updates_are_counted_exactly() -> None:
    async def body(tws: FakeTws) -> None:
        async with Running(tws.port, ["AAPL", "MSFT"]) as run:
            await streaming(tws, {"AllLast": 2, "BidAsk": 2, "depth": 2})
            for i in range(5):
                await tws.trade("AAPL", 190.0 + i, 100)
            for i in range(3):
                await tws.trade("MSFT", 370.0 + i, 10)
            await tws.quote("AAPL", 189.9, 190.1, 300, 400)
            await tws.quote("MSFT", 369.9, 370.1, 5, 7)
            # AAPL bids: insert 189.9, insert 189.8 below, update the top, delete the top
            # (row 1 shifts up to row 0): four row messages, four level changes.
            await tws.depth("AAPL", 0, 0, 1, 189.9, 300)
            await tws.depth("AAPL", 1, 0, 1, 189.8, 200)
            await tws.depth("AAPL", 0, 1, 1, 189.9, 350)
            await tws.depth("AAPL", 0, 2, 1, 189.9, 0)
            await run.sink.wait_for(
                lambda: (
                    len(run.sink.of(Trade)) == 8
                    and len(run.sink.of(Quote)) == 2
                    and len(run.sink.of(BookDelta)) == 4
                )
            )
            await tws.depth("AAPL", 0, 1, 1, 189.75, 120)  # the shifted row 0 is now 189.8
            await run.sink.wait_count(BookDelta, 6)
            assert tws.streams("depth")["AAPL"].smart  # SmartDepth by default
        trades = run.sink.of(Trade)
        assert [(t.symbol, t.price, t.size) for t in trades if t.symbol == "AAPL"] == [
            ("AAPL", 190.0 + i, 100.0) for i in range(5)
        ]
        assert {(q.symbol, q.bid_price, q.ask_size) for q in run.sink.of(Quote)} == {
            ("AAPL", 189.9, 400.0),
            ("MSFT", 369.9, 7.0),
        }
        deltas = [(d.side, d.price, d.size) for d in run.sink.of(BookDelta)]
        assert deltas == [
            ("bid", 189.9, 300.0),
            ("bid", 189.8, 200.0),
            ("bid", 189.9, 350.0),
            ("bid", 189.9, 0.0),
            ("bid", 189.8, 0.0),  # row 0 (189.8) replaced by 189.75
            ("bid", 189.75, 120.0),
        ]
        assert {s.symbol for s in run.sink.of(BookSnapshot)} == {"AAPL", "MSFT"}
        assert run.sink.of(Gap) == []
        details = run.stream.state.details
        assert details["server_version"] == 176
        assert details["farms"] == {"usfarm": "ok", "ushmds": "ok", "secdefnj": "ok"}

    serve(body)


def test_a_dropped_connection_reconnects_resubscribes_and_gaps_each_symbol_once() -> None:
    async def body(tws: FakeTws) -> None:
        async with Running(tws.port, ["AAPL", "MSFT"]) as run:
            await streaming(tws, {"AllLast": 2, "BidAsk": 2, "depth": 2})
            await tws.trade("AAPL", 190.0, 1)
            await tws.trade("MSFT", 370.0, 1)
            await run.sink.wait_count(Trade, 2)
            await tws.drop()
            await tws.wait(lambda: tws.connections == 2)
            await streaming(tws, {"AllLast": 2, "BidAsk": 2, "depth": 2})
            await tws.trade("AAPL", 191.0, 1)
            await tws.trade("MSFT", 371.0, 1)
            await tws.trade("AAPL", 192.0, 1)
            await run.sink.wait_count(Trade, 5)
        gaps = run.sink.of(Gap)
        assert sorted(g.symbol for g in gaps) == ["AAPL", "MSFT"]
        assert all(g.reason == "disconnect" and g.from_ts <= g.to_ts for g in gaps)
        assert run.stream.state.reconnects == 1
        # Each gap lies between its symbol's last trade before the drop and its first after,
        # and spans exactly that time.
        events = run.sink.events
        for gap in gaps:
            before, after = [t for t in run.sink.of(Trade) if t.symbol == gap.symbol][:2]
            assert events.index(before) < events.index(gap) < events.index(after)
            assert (gap.from_ts, gap.to_ts) == (before.ts_event, after.ts_event)

    serve(body)


def test_unknown_symbol_is_reported_and_the_others_stream() -> None:
    async def body(tws: FakeTws) -> None:
        async with Running(tws.port, ["AAPL", "NOPE", "ES:FUT:CME:USD:20240315"]) as run:
            await streaming(tws, {"AllLast": 2})
            await tws.trade("AAPL", 190.0, 1)
            await tws.trade("ES", 4800.25, 2)
            await run.sink.wait_count(Trade, 2)
        assert {t.symbol for t in run.sink.of(Trade)} == {"AAPL", "ES:FUT:CME:USD:20240315"}
        unknown = [s for s in run.sink.of(Status) if s.kind == "contract"]
        assert [(s.symbol, s.state) for s in unknown] == [("NOPE", "unknown")]
        assert "error 200" in unknown[0].detail and "SYMBOL:SECTYPE" in unknown[0].detail
        assert run.stream.state.details["unknown"] == ["NOPE"]
        assert run.stream.state.subscribed == {"AAPL", "ES:FUT:CME:USD:20240315"}

    serve(body)


def test_out_of_tick_by_tick_lines_falls_back_to_market_data() -> None:
    async def body(tws: FakeTws) -> None:
        tws.tick_by_tick_lines = 2  # AAPL gets its two; MSFT's are refused with 10190
        async with Running(tws.port, ["AAPL", "MSFT"], smart_depth=False) as run:
            await streaming(tws, {"AllLast": 1, "BidAsk": 1, "mktdata": 1})
            await tws.mkt_tick("MSFT", 1, 369.9, 5)
            await tws.mkt_tick("MSFT", 2, 370.1, 7)
            await tws.mkt_tick("MSFT", 4, 370.0, 3)
            await run.sink.wait_for(lambda: len(run.sink.of(Trade)) == 1)
            await run.sink.wait_for(lambda: len(run.sink.of(Quote)) >= 1)
            assert set(tws.streams("mktdata")) == {"MSFT"}
            assert set(tws.streams("AllLast")) == {"AAPL"}
            assert not tws.streams("depth")["AAPL"].smart
        assert run.stream.state.details["fallbacks"] == 1
        trade = run.sink.of(Trade)[0]
        assert (trade.symbol, trade.price, trade.size) == ("MSFT", 370.0, 3.0)

    serve(body)


def test_1100_and_1102_make_one_gap_per_symbol_without_reconnecting() -> None:
    async def body(tws: FakeTws) -> None:
        async with Running(tws.port, ["AAPL", "MSFT"]) as run:
            await streaming(tws, {"AllLast": 2})
            await tws.trade("AAPL", 190.0, 1)
            await run.sink.wait_count(Trade, 1)
            await tws.error(
                -1, 1100, "Connectivity between IB and Trader Workstation has been lost."
            )
            await tws.error(
                -1, 1102, "Connectivity between IB and TWS has been restored - data maintained."
            )
            await tws.trade("AAPL", 191.0, 1)
            await tws.trade("MSFT", 371.0, 1)
            await run.sink.wait_count(Trade, 3)
            await tws.error(
                -1, 1100, "Connectivity between IB and Trader Workstation has been lost."
            )
            await tws.error(
                -1, 1101, "Connectivity between IB and TWS has been restored - data lost."
            )
            await tws.wait(lambda: len(tws.requested(97)) == 4 + 4)  # everything requested again
            await tws.trade("AAPL", 192.0, 1)
            await run.sink.wait_count(Trade, 4)
            await eventually(lambda: run.stream.state.gaps == 3)
        gaps = [(g.symbol, g.reason) for g in run.sink.of(Gap)]
        assert gaps == [
            ("AAPL", "ib_connectivity_lost"),
            ("MSFT", "ib_connectivity_lost"),
            ("AAPL", "ib_connectivity_lost"),
            ("MSFT", "ib_connectivity_lost"),  # still open when the stream stopped
        ]
        states = [
            s.state for s in run.sink.of(Status) if s.kind == "connection" and s.symbol == "MSFT"
        ]
        assert states == ["lost", "restored", "lost", "restored_data_lost"]
        assert tws.connections == 1

    serve(body)
