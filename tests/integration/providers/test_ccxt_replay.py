"""The ccxt provider against capture replays, compared with the native providers.

ccxt's endpoint URLs are pointed at the local replay server; the same frames go through the
native provider too. Coinbase (``coinbaseexchange``): the same trades and quotes (ccxt asks for
an API key for Coinbase books). Binance: the same trades and, after the REST snapshot sync, the
same books. Known differences, both from ccxt itself: it ignores Coinbase's ``last_match`` (the
trade repeated on subscribe), and its times are milliseconds. The replay is paced because
ccxt's ``watch_*`` calls return the latest state: frames arriving while the provider maps the
previous result would be merged, which is right for a live feed but not for an exact match.
"""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

import pytest
from kraken_v2_server import KrakenV2Server, ladder
from replay_server import ReplayServer, read_rest_capture, read_ws_capture

from mdc.config import Config, SymbolConfig
from mdc.domain.events import BookDelta, BookSnapshot, Event, Quote, Trade
from mdc.providers.base import ProviderError
from mdc.providers.binance.stream import BinanceStream
from mdc.providers.ccxt.stream import CcxtStream
from mdc.providers.coinbase.stream import CoinbaseStream

PRODUCTS = ["BAND-GBP", "NMR-EUR", "NU-GBP", "SKL-GBP"]
NO_PINGS: dict[str, Any] = {"stale_market_hours_only": False, "ping_interval_s": 0}


class Sink:
    def __init__(self) -> None:
        self.events: list[Event] = []
        self.bad: list[str] = []

    async def publish(self, events: list[Event]) -> None:
        self.events.extend(events)

    def raw(self, provider: str, ts_recv: int, data: bytes | str) -> None:
        pass

    def bad_frame(self, provider: str, ts_recv: int, data: bytes | str, error: str) -> None:
        self.bad.append(error)


def _ms(ts: int) -> int:
    return ts // 1_000_000


def trades(events: list[Event], skip_ids: set[str]) -> list[tuple[Any, ...]]:
    return [
        (e.symbol, e.trade_id, e.price, e.size, e.side, _ms(e.ts_event))
        for e in events
        if isinstance(e, Trade) and e.trade_id not in skip_ids
    ]


def quotes(events: list[Event]) -> list[tuple[Any, ...]]:
    return [
        (e.symbol, e.bid_price, e.bid_size, e.ask_price, e.ask_size, _ms(e.ts_event))
        for e in events
        if isinstance(e, Quote)
    ]


def book(events: list[Event]) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []
    for e in events:
        if isinstance(e, BookSnapshot):
            out.append((e.symbol, "snapshot", sorted(e.bids), sorted(e.asks)))
        elif isinstance(e, BookDelta):
            out.append((e.symbol, e.side, e.price, e.size, _ms(e.ts_event)))
    return out


def per_symbol(rows: list[tuple[Any, ...]]) -> dict[str, list[tuple[Any, ...]]]:
    """Order across symbols depends on task scheduling; within a symbol it must match."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    for row in rows:
        out.setdefault(row[0], []).append(row)
    return out


HANG_S: Final = 180
"""Only a guard against a hang: the replay ends when every event arrived (ccxt loading its
exchange took more than 20 s on a machine at load 11)."""


async def run(
    provider: Any, server: ReplayServer, sink: Sink, symbols: list[SymbolConfig], expected: int
) -> None:
    task = asyncio.create_task(provider.run(symbols))
    try:
        async with asyncio.timeout(HANG_S):
            await server.replayed.wait()
            while len(sink.events) < expected and not task.done():
                await asyncio.sleep(0.02)
        await asyncio.sleep(0.3)
    finally:
        task.cancel()
        (error,) = await asyncio.gather(task, return_exceptions=True)
    if not isinstance(error, asyncio.CancelledError):
        raise AssertionError(f"provider stopped: {error!r}")


def test_ccxt_matches_native_coinbase(fixtures_dir: Path) -> None:
    asyncio.run(_coinbase(fixtures_dir / "crypto"))


async def _coinbase(crypto: Path) -> None:
    capture = read_ws_capture(crypto / "COINBASE.ws.28.0")
    frames = [p for _, p in capture.frames if json.loads(p).get("product_id") in PRODUCTS]
    msgs = [json.loads(f) for f in frames]
    last_match = {str(m["trade_id"]) for m in msgs if m["type"] == "last_match"}
    matches = sum(m["type"] == "match" for m in msgs)
    tickers = sum(m["type"] == "ticker" for m in msgs)
    assert (matches, tickers) == (14, 18)
    rest = read_rest_capture([crypto / "COINBASE.0"])
    # Coinbase's book channels need a signed subscribe in ccxt (it asks for an API key), so
    # the keyless comparison covers trades and quotes.
    symbols = [SymbolConfig(symbol=p, depth=False) for p in PRODUCTS]

    native = Sink()
    async with ReplayServer(frames, rest) as server:
        section = {"ws_url": server.ws_url, "rest_url": server.http_url, **NO_PINGS}
        config = Config(provider="coinbase", symbols=PRODUCTS, providers={"coinbase": section})
        await run(CoinbaseStream(config, native), server, native, symbols, matches + tickers + 4)

    via_ccxt = Sink()
    # ccxt sends one subscribe per watch call: 2 per product.
    async with ReplayServer(frames, rest, start_after=2 * len(PRODUCTS), pace_s=0.0005) as server:
        section = {
            "exchange": "coinbaseexchange",
            "api_urls": {"ws": server.ws_url, "public": server.http_url},
        }
        config = Config(provider="ccxt", symbols=PRODUCTS, providers={"ccxt": section})
        await run(CcxtStream(config, via_ccxt), server, via_ccxt, symbols, matches + tickers)
        assert server.stats.http_requests == ["/products"]

    assert native.bad == [] and via_ccxt.bad == []
    native_trades = trades(native.events, last_match)
    assert len(native_trades) == matches
    assert per_symbol(trades(via_ccxt.events, set())) == per_symbol(native_trades)
    native_quotes = quotes(native.events)
    assert len(native_quotes) == tickers
    assert per_symbol(quotes(via_ccxt.events)) == per_symbol(native_quotes)
    assert not [e for e in via_ccxt.events if not isinstance(e, Trade | Quote)]


def test_ccxt_unknown_exchange_is_a_clear_error() -> None:
    config = Config(provider="ccxt", providers={"ccxt": {"exchange": "coinbasepro2"}})
    provider = CcxtStream(config, Sink())
    with pytest.raises(ProviderError, match="has no exchange 'coinbasepro2'; did you mean"):
        asyncio.run(provider.run([SymbolConfig(symbol="BTC-USD")]))


def test_ccxt_needs_an_exchange() -> None:
    with pytest.raises(ProviderError, match=r"exchange = \"kraken\""):
        CcxtStream(Config(provider="ccxt"), Sink())


def test_ccxt_exchange_without_the_method_is_a_clear_error() -> None:
    config = Config(provider="ccxt", providers={"ccxt": {"exchange": "bitstamp"}})
    provider = CcxtStream(config, Sink())
    with pytest.raises(ProviderError, match="bitstamp has no watchTicker; set quotes = false"):
        asyncio.run(provider.run([SymbolConfig(symbol="BTC-USD")]))


def test_ccxt_keyless_book_refused_names_the_fix(fixtures_dir: Path) -> None:
    asyncio.run(_coinbase_book(fixtures_dir / "crypto"))


async def _coinbase_book(crypto: Path) -> None:
    rest = read_rest_capture([crypto / "COINBASE.0"])
    async with ReplayServer([], rest) as server:
        section = {
            "exchange": "coinbaseexchange",
            "api_urls": {"ws": server.ws_url, "public": server.http_url},
        }
        config = Config(provider="ccxt", providers={"ccxt": section})
        provider = CcxtStream(config, Sink())
        with pytest.raises(ProviderError, match=r"requires \"apiKey\".*set depth = false"):
            await provider.run([SymbolConfig(symbol="BAND-GBP", trades=False, quotes=False)])


# -- Binance books ---------------------------------------------------------------------------

BINANCE_SYMBOLS = ["NKN-USDT", "BLZ-ETH", "LRC-BTC", "RUNE-EUR"]


def subscription_ack(message: str) -> str | None:
    """Binance answers every SUBSCRIBE request with ``{"result": null, "id": <id>}``."""
    request = json.loads(message)
    if request.get("method") != "SUBSCRIBE":
        return None
    return json.dumps({"result": None, "id": request["id"]})


def final_books(events: list[Event]) -> dict[str, dict[str, dict[float, float]]]:
    """Every symbol's book after applying the snapshots and deltas in order."""
    books: dict[str, dict[str, dict[float, float]]] = {}
    for e in events:
        if isinstance(e, BookSnapshot):
            books[e.symbol] = {"bid": dict(e.bids), "ask": dict(e.asks)}
        elif isinstance(e, BookDelta) and e.symbol in books:
            side = books[e.symbol][e.side]
            if e.size:
                side[e.price] = e.size
            else:
                side.pop(e.price, None)
    return books


def test_ccxt_books_match_native_binance(fixtures_dir: Path) -> None:
    asyncio.run(_binance(fixtures_dir / "crypto"))


async def _binance(crypto: Path) -> None:
    capture = read_ws_capture(crypto / "BINANCE.ws.1.0")
    frames = [p for _, p in capture.frames]
    rest = read_rest_capture([crypto / "BINANCE.0", crypto / "BINANCE.http.0.0"])
    # The capture has aggTrade and diff depth (ccxt's watch_ticker wants @ticker: not captured).
    symbols = [SymbolConfig(symbol=s, quotes=False) for s in BINANCE_SYMBOLS]

    native = Sink()
    async with ReplayServer(frames, rest, answer=subscription_ack) as server:
        section = {"ws_url": server.ws_url, "rest_url": server.http_url, **NO_PINGS}
        config = Config(provider="binance", providers={"binance": section})
        await run(BinanceStream(config, native), server, native, symbols, 2 + 4 + 408)

    via_ccxt = Sink()
    async with ReplayServer(
        frames, rest, start_after=2 * len(symbols), pace_s=0.0005, answer=subscription_ack
    ) as server:
        section = {
            "exchange": "binance",
            "api_urls": {"ws.spot": server.ws_url, "public": server.http_url + "/api/v3"},
            "options": {
                "fetchMarkets": {"types": ["spot"]},
                "watchTrades": {"name": "aggTrade"},
                "streamLimits": {"spot": 1},  # one connection, like the capture's
            },
            "full_book": True,
        }
        config = Config(provider="ccxt", providers={"ccxt": section})
        await run(CcxtStream(config, via_ccxt), server, via_ccxt, symbols, 2 + 4)
        depth = sorted(r for r in server.stats.http_requests if "/depth" in r)
        assert depth == sorted(
            f"/api/v3/depth?symbol={s.replace('-', '')}&limit=1000" for s in BINANCE_SYMBOLS
        )

    assert native.bad == [] and via_ccxt.bad == []
    assert per_symbol(trades(via_ccxt.events, set())) == per_symbol(trades(native.events, set()))
    assert len(trades(native.events, set())) == 2
    native_books = final_books(native.events)
    assert sorted(native_books) == sorted(BINANCE_SYMBOLS)
    assert final_books(via_ccxt.events) == native_books


# -- Book limits a venue refuses ---------------------------------------------------------------


def kraken_ccxt(server: KrakenV2Server, **extra: Any) -> Config:
    urls = {"public": server.http_url, "ws.publicV2": server.ws_url}
    section = {"exchange": "kraken", "api_urls": urls, "reconnect_initial_s": 0.01, **extra}
    return Config(provider="ccxt", providers={"ccxt": section})


def btc_book(server: KrakenV2Server) -> None:
    server.add_book("BTC/USD", (1, 8), *ladder(Decimal("45000.0"), Decimal("0.1"), 40, "0.5"))


def test_ccxt_limit_ccxt_refuses_moves_to_one_the_venue_accepts(fixtures_dir: Path) -> None:
    """ccxt's kraken takes only 10/25/100/500/1000: 20 levels are asked as 25, kept as 20."""

    async def main() -> None:
        async with KrakenV2Server(fixtures_dir / "crypto") as server:
            btc_book(server)
            sink = Sink()
            provider = CcxtStream(kraken_ccxt(server), sink)
            symbol = SymbolConfig(symbol="BTC-USD", trades=False, quotes=False, depth_levels=20)
            task = asyncio.create_task(provider.run([symbol]))
            try:
                async with asyncio.timeout(10):
                    while not any(isinstance(e, BookSnapshot) for e in sink.events):
                        assert not task.done(), task
                        await asyncio.sleep(0.02)
            finally:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
            (request,) = server.requests("book")
            assert request["params"]["depth"] == 25
            (snapshot,) = [e for e in sink.events if isinstance(e, BookSnapshot)]
            assert isinstance(snapshot, BookSnapshot)
            assert len(snapshot.bids) == len(snapshot.asks) == 20
            assert snapshot.bids[0] == (44999.9, 0.5)

    asyncio.run(main())


@pytest.mark.parametrize("pinned", [True, False])
def test_ccxt_limit_the_venue_refuses_is_fatal_with_the_fix(
    fixtures_dir: Path, pinned: bool
) -> None:
    """The venue itself refuses the depth (ccxt's kraken files that under the request id, so
    no watch returns): the stream ends with what the venue said and what to change."""

    async def main() -> None:
        async with KrakenV2Server(fixtures_dir / "crypto") as server:
            btc_book(server)
            server.accepted_depths = {10}
            extra: dict[str, Any] = {"book_timeout_s": 0.5}
            if pinned:
                extra["book_limit"] = 25
            provider = CcxtStream(kraken_ccxt(server, **extra), Sink())
            symbol = SymbolConfig(symbol="BTC-USD", trades=False, quotes=False, depth_levels=25)
            with pytest.raises(ProviderError) as caught:
                await asyncio.wait_for(provider.run([symbol]), 10)
            text = str(caught.value)
            assert "Subscription depth not supported" in text
            assert "book_limit" in text and "depth = false for BTC-USD" in text
            assert len(server.requests("book")) == 1  # not retried

    asyncio.run(main())
