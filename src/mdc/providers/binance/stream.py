"""Binance spot live feed on the shared connection layer.

Streams are subscribed with ``SUBSCRIBE`` requests on the combined-stream endpoint
(https://developers.binance.com/docs/binance-spot-api-docs/web-socket-streams#live-subscribingunsubscribing-to-streams).
Each book is synchronised with a REST depth snapshot
(https://developers.binance.com/docs/binance-spot-api-docs/rest-api/market-data-endpoints#order-book)
by :mod:`mdc.providers.binance.book`; this module fetches the snapshots the sync asks for, with
backoff on HTTP errors and rate limits. Binance ends a connection after 24 hours, so the
protocol asks for a planned reconnect shortly before (``max_connection_age_s``).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Sequence
from typing import Final

import httpx
import msgspec

from mdc.config import provider_section
from mdc.config.schema import SymbolConfig
from mdc.domain.events import Event
from mdc.domain.time import now_ns
from mdc.providers.base import ProviderError
from mdc.providers.binance import SPEC
from mdc.providers.binance.config import BinanceConfig
from mdc.providers.binance.parse import VENUE, BinanceParser
from mdc.providers.binance.symbols import parse_exchange_info, venue_symbol
from mdc.providers.connection import (
    Frame,
    StreamOptions,
    StreamSession,
    WebSocketProvider,
    WireProtocol,
)
from mdc.providers.instruments import REST_TIMEOUT_S, InstrumentCache, check_symbols

log = logging.getLogger(__name__)

STREAMS_PER_REQUEST: Final = 200
"""Streams named in one SUBSCRIBE request (Binance allows 1024 per connection)."""
MAX_STREAMS: Final = 1024
SNAPSHOT_RETRY_S: Final = 0.5
"""First delay before fetching a snapshot again (doubles per attempt)."""
SNAPSHOT_RETRY_MAX_S: Final = 30.0
RATE_LIMITED: Final = frozenset({418, 429})

_encode = msgspec.json.Encoder().encode


class BinanceProtocol(WireProtocol):
    """Binance wire format plus the REST snapshot side of the book sync."""

    provider = VENUE

    def __init__(self, config: BinanceConfig) -> None:
        self.config = config
        self.max_connection_age_s = config.max_connection_age_s
        self.parser = BinanceParser({}, VENUE)
        self.instruments = InstrumentCache(
            VENUE,
            config.rest_url.rstrip("/") + "/api/v3/exchangeInfo",
            parse_exchange_info,
            config.exchange_info_ttl_s,
        )
        self._ids = itertools.count(1)
        self._snapshots_wanted = asyncio.Event()

    def url(self) -> str:
        return self.config.ws_url

    def _streams(self, symbols: Sequence[SymbolConfig]) -> list[str]:
        depth = "depth@100ms" if self.config.depth_speed == "100ms" else "depth"
        streams: list[str] = []
        for s in symbols:
            wire = venue_symbol(s.symbol)
            self.parser.symbols[wire] = s.symbol
            name = wire.lower()
            if s.depth:
                streams.append(f"{name}@{depth}")
            if s.trades:
                streams.append(f"{name}@{self.config.trades}")
            if s.quotes:
                streams.append(f"{name}@bookTicker")
            streams += [f"{name}@kline_{interval}" for interval in self.config.bars]
        return streams

    def _requests(self, method: str, streams: list[str]) -> list[Frame]:
        return [
            _encode({"method": method, "params": streams[i : i + STREAMS_PER_REQUEST], "id": n})
            for i, n in zip(range(0, len(streams), STREAMS_PER_REQUEST), self._ids, strict=False)
        ]

    def subscribe_messages(self, symbols: Sequence[SymbolConfig]) -> list[Frame]:
        return self._requests("SUBSCRIBE", self._streams(symbols))

    def unsubscribe_messages(self, symbols: Sequence[SymbolConfig]) -> list[Frame]:
        for s in symbols:
            self.parser.depth.forget(s.symbol)
        return self._requests("UNSUBSCRIBE", self._streams(symbols))

    def parse(self, frame: Frame, ts_recv: int) -> list[Event]:
        events = self.parser.parse(frame, ts_recv)
        if self.parser.depth.pending:
            self._snapshots_wanted.set()
        return events

    def reset(self) -> None:
        self.parser.reset()
        self._snapshots_wanted.clear()

    def restart_sync(self, symbols: list[str]) -> None:
        """Start these books' sync over: the next depth event triggers a new snapshot."""
        for symbol in symbols:
            self.parser.depth.forget(symbol)

    async def on_connected(self, session: StreamSession) -> None:
        """Check the symbols, then fetch every depth snapshot the book sync asks for."""
        symbols = [s.symbol for s in session.subscriptions]
        streams = self._streams(session.subscriptions)
        if len(streams) > MAX_STREAMS:
            raise ProviderError(
                f"binance: {len(streams)} streams requested, at most {MAX_STREAMS} per connection"
            )
        await check_symbols(self.instruments, symbols)
        async with httpx.AsyncClient(timeout=REST_TIMEOUT_S) as client:
            while True:
                await self._snapshots_wanted.wait()
                self._snapshots_wanted.clear()
                for symbol in sorted(self.parser.depth.pending):
                    await self._sync(session, client, symbol)

    async def _sync(self, session: StreamSession, client: httpx.AsyncClient, symbol: str) -> None:
        depth = self.parser.depth
        attempts = depth.snapshots_fetched(symbol)
        if attempts:  # the last snapshot was older than the stream: wait for a newer one
            await asyncio.sleep(min(SNAPSHOT_RETRY_MAX_S, SNAPSHOT_RETRY_S * 2.0 ** (attempts - 1)))
            if symbol not in depth.pending:
                return
        url = f"{self.config.rest_url.rstrip('/')}/api/v3/depth"
        params = {"symbol": venue_symbol(symbol), "limit": str(self.config.snapshot_limit)}
        try:
            response = await client.get(url, params=params)
        except httpx.HTTPError as exc:
            log.warning("binance: depth snapshot for %s failed: %s", symbol, exc)
            await asyncio.sleep(SNAPSHOT_RETRY_S)
            self._snapshots_wanted.set()
            return
        if response.status_code != 200:
            wait = SNAPSHOT_RETRY_S
            if response.status_code in RATE_LIMITED:
                wait = float(response.headers.get("Retry-After", SNAPSHOT_RETRY_MAX_S))
            log.warning(
                "binance: depth snapshot for %s: HTTP %d; retrying in %gs",
                symbol,
                response.status_code,
                wait,
            )
            await asyncio.sleep(wait)
            self._snapshots_wanted.set()
            return
        await session.publish(self.parser.snapshot(symbol, response.content, now_ns()))
        if symbol in depth.pending:
            self._snapshots_wanted.set()


class BinanceStream(WebSocketProvider):
    """``mdc collect --provider binance``: keyless trades, best bid/offer and synced L2 books."""

    spec = SPEC

    def make_protocol(self) -> WireProtocol:
        self.protocol = BinanceProtocol(self._config())
        return self.protocol

    async def resync(self, symbols: list[SymbolConfig]) -> None:
        """Sync the books again from a new REST snapshot (the documented procedure)."""
        self.protocol.restart_sync([s.symbol for s in symbols if s.depth])

    def stream_options(self) -> StreamOptions:
        return self._config()

    def _config(self) -> BinanceConfig:
        return provider_section(self.config, SPEC.name, BinanceConfig)
