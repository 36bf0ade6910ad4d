"""Coinbase Exchange live feed on the shared connection layer.

Channels (https://docs.cdp.coinbase.com/exchange/websocket-feed/channels): the book channel
(``level2_batch`` by default — public; ``level2`` requires authentication,
https://docs.cdp.coinbase.com/exchange/websocket-feed/authentication), ``matches`` for trades,
``ticker`` for quotes and ``heartbeat`` for trade-id continuity. A product whose trades show a
hole is resynchronised by unsubscribing and resubscribing its book channel, which makes the
venue send a fresh ``snapshot``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import msgspec

from mdc.config import provider_section
from mdc.config.schema import SymbolConfig
from mdc.domain.events import Event
from mdc.providers.base import FeedCounter
from mdc.providers.coinbase import SPEC
from mdc.providers.coinbase.config import CoinbaseConfig
from mdc.providers.coinbase.parse import VENUE, CoinbaseParser
from mdc.providers.coinbase.symbols import parse_products, venue_symbol
from mdc.providers.connection import (
    Frame,
    StreamOptions,
    StreamSession,
    WebSocketProvider,
    WireProtocol,
)
from mdc.providers.instruments import InstrumentCache, check_symbols

_encode = msgspec.json.Encoder().encode


class CoinbaseProtocol(WireProtocol):
    """Coinbase wire format: subscribe messages, frame parsing, book resync requests."""

    provider = VENUE

    def __init__(self, config: CoinbaseConfig) -> None:
        self.config = config
        self.parser = CoinbaseParser(VENUE)
        self.instruments = InstrumentCache(
            VENUE, config.rest_url.rstrip("/") + "/products", parse_products, config.products_ttl_s
        )
        self._resync_wanted = asyncio.Event()
        self._resync_sent: set[str] = set()

    def url(self) -> str:
        return self.config.ws_url

    def _channels(self, symbols: Sequence[SymbolConfig]) -> list[dict[str, Any]]:
        wanted: dict[str, list[str]] = {}
        for s in symbols:
            product = venue_symbol(s.symbol)
            if s.depth:
                wanted.setdefault(self.config.book_channel, []).append(product)
            if s.trades:
                wanted.setdefault("matches", []).append(product)
            if s.quotes:
                wanted.setdefault("ticker", []).append(product)
            if self.config.heartbeat and s.trades:
                wanted.setdefault("heartbeat", []).append(product)
        return [{"name": name, "product_ids": ids} for name, ids in wanted.items()]

    def subscribe_messages(self, symbols: Sequence[SymbolConfig]) -> list[Frame]:
        channels = self._channels(symbols)
        return [_encode({"type": "subscribe", "channels": channels})] if channels else []

    def unsubscribe_messages(self, symbols: Sequence[SymbolConfig]) -> list[Frame]:
        channels = self._channels(symbols)
        return [_encode({"type": "unsubscribe", "channels": channels})] if channels else []

    def parse(self, frame: Frame, ts_recv: int) -> list[Event]:
        events = self.parser.parse(frame, ts_recv)
        if self._resync_sent:
            self._resync_sent &= self.parser.resync  # snapshots arrived: resync done
        if self.parser.resync and not self.parser.resync <= self._resync_sent:
            self._resync_wanted.set()
        return events

    def is_heartbeat(self, frame: Frame) -> bool:
        return False  # heartbeats carry last_trade_id: the parser checks them

    def request_resync(self, products: list[str]) -> None:
        """Ask for fresh snapshots of these products' books (served by ``on_connected``)."""
        self.parser.resync.update(products)
        self._resync_sent.difference_update(products)
        self._resync_wanted.set()

    def reset(self) -> None:
        self.parser.reset()
        self.parser.resync.clear()
        self._resync_sent.clear()
        self._resync_wanted.clear()

    async def on_connected(self, session: StreamSession) -> None:
        """Check the symbols against the product list, then serve book resync requests."""
        await check_symbols(self.instruments, (s.symbol for s in session.subscriptions))
        while True:
            await self._resync_wanted.wait()
            self._resync_wanted.clear()
            products = sorted(self.parser.resync - self._resync_sent)
            if not products:
                continue
            self._resync_sent.update(products)
            channel = [{"name": self.config.book_channel, "product_ids": products}]
            await session.send(_encode({"type": "unsubscribe", "channels": channel}))
            await session.send(_encode({"type": "subscribe", "channels": channel}))


class CoinbaseStream(WebSocketProvider):
    """``mdc collect --provider coinbase``: keyless trades, quotes and L2 books."""

    spec = SPEC

    def make_protocol(self) -> WireProtocol:
        self.protocol = CoinbaseProtocol(self._config())
        return self.protocol

    async def resync(self, symbols: list[SymbolConfig]) -> None:
        """Resubscribe the books' channel: Coinbase answers with a new ``snapshot``."""
        self.protocol.request_resync([venue_symbol(s.symbol) for s in symbols if s.depth])

    def counters(self) -> dict[FeedCounter, int]:
        parser = self.protocol.parser
        return {"duplicates_dropped": parser.duplicates, "messages_ignored": parser.ignored}

    def stream_options(self) -> StreamOptions:
        return self._config()

    def _config(self) -> CoinbaseConfig:
        return provider_section(self.config, SPEC.name, CoinbaseConfig)
