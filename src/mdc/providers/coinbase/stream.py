"""Coinbase live feeds on the shared connection layer: the Exchange feed (default) or Advanced
Trade market data (``api = "advanced"``, ``providers/coinbase/advanced.py``).

Channels (https://docs.cdp.coinbase.com/exchange/websocket-feed/channels): the book channel
(``level2_batch`` by default — public; ``level2`` requires authentication,
https://docs.cdp.coinbase.com/exchange/websocket-feed/authentication), ``matches`` for trades,
``ticker`` for quotes and ``heartbeat`` for trade-id continuity. A product whose trades show a
hole is resynchronised by unsubscribing and resubscribing its book channel, which makes the
venue send a fresh ``snapshot``. Limits (https://docs.cdp.coinbase.com/exchange/websocket-feed/
rate-limits, read 2026-12-03): 8 requests per second per IP (bursts of 20) and 100 client
messages per second; one ``subscribe`` names every channel, so a start is one message.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

from mdc.config import provider_section
from mdc.config.schema import SymbolConfig
from mdc.domain.events import Event
from mdc.providers.base import FeedCounter
from mdc.providers.coinbase import SPEC
from mdc.providers.coinbase.advanced import AdvancedTradeProtocol
from mdc.providers.coinbase.config import CoinbaseConfig
from mdc.providers.coinbase.parse import VENUE, CoinbaseParser
from mdc.providers.coinbase.symbols import products_cache, venue_symbol
from mdc.providers.connection import Frame, StreamOptions, WebSocketProvider, WireProtocol
from mdc.providers.resubscribe import ResubscribeProtocol

_encode = msgspec.json.Encoder().encode


class CoinbaseProtocol(ResubscribeProtocol):
    """Coinbase Exchange wire format: subscribe messages, frame parsing, book resync requests."""

    provider = VENUE

    def __init__(self, config: CoinbaseConfig) -> None:
        super().__init__()
        self.config = config
        self.parser: CoinbaseParser = CoinbaseParser(VENUE)
        self.instruments = products_cache(config)

    def url(self) -> str:
        return self.config.stream_url()

    def parse(self, frame: Frame, ts_recv: int) -> list[Event]:
        """``ResubscribeProtocol.parse`` with the parser's kernel called straight away: one
        Python call less per frame, the feed's hot path."""
        parser = self.parser
        kernel = parser.kernel
        if kernel is None:
            return super().parse(frame, ts_recv)
        events: list[Event] = kernel.parse(parser, frame, ts_recv)
        if self._resubscribe_sent or parser.resubscribe:
            self._track_resubscribe()
        return events

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

    def is_heartbeat(self, frame: Frame) -> bool:
        return False  # heartbeats carry last_trade_id: the parser checks them

    def resubscribe_messages(self, products: list[str]) -> list[Frame]:
        channel = [{"name": self.config.book_channel, "product_ids": products}]
        return [
            _encode({"type": kind, "channels": channel}) for kind in ("unsubscribe", "subscribe")
        ]


class CoinbaseStream(WebSocketProvider):
    """``mdc collect --provider coinbase``: keyless trades, quotes and L2 books."""

    spec = SPEC

    def make_protocol(self) -> WireProtocol:
        config = self._config()
        self.protocol: CoinbaseProtocol | AdvancedTradeProtocol = (
            AdvancedTradeProtocol(config) if config.api == "advanced" else CoinbaseProtocol(config)
        )
        return self.protocol

    async def resync(self, symbols: list[SymbolConfig]) -> None:
        """Resubscribe the books' channel: Coinbase answers with a new ``snapshot``."""
        self.protocol.request_resubscribe([venue_symbol(s.symbol) for s in symbols if s.depth])

    def counters(self) -> dict[FeedCounter, int]:
        parser = self.protocol.parser
        return {"duplicates_dropped": parser.duplicates, "messages_ignored": parser.ignored}

    def stream_options(self) -> StreamOptions:
        return self._config()

    def _config(self) -> CoinbaseConfig:
        return provider_section(self.config, SPEC.name, CoinbaseConfig)
