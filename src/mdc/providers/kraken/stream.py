"""Kraken live feed on the shared connection layer: WebSocket API v2 (default) or v1.

Checked 2026-12-02 against https://docs.kraken.com/exchange/api-reference/spot-websocket:
v1 is frozen and v2 recommended. v2 (https://docs.kraken.com/exchange/api-reference/
spot-websocket-v2/book, …/trade, …/ticker, …/instrument): ``{"method": "subscribe", "params":
{"channel": …, "symbol": [...]}}``; the ``instrument`` channel first (each pair's price and
qty precision, which the book checksum needs), then ``book`` with the configured depth,
``trade`` and ``ticker`` with ``event_trigger = "bbo"`` (a quote on every best bid/offer
change). v1 (https://docs.kraken.com/api/docs/websocket-v1/subscribe): ``book``, ``trade`` and
``spread``. Either way a book that fails its CRC32 checksum is unsubscribed and subscribed
again, which brings a new snapshot.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any, Final

import msgspec

from mdc.config import provider_section
from mdc.config.schema import SymbolConfig
from mdc.providers.base import FeedCounter
from mdc.providers.connection import (
    Frame,
    StreamOptions,
    WebSocketProvider,
    WireProtocol,
)
from mdc.providers.instruments import InstrumentCache
from mdc.providers.kraken import SPEC
from mdc.providers.kraken.config import KrakenConfig
from mdc.providers.kraken.parse import KrakenParser
from mdc.providers.kraken.parse_v2 import KrakenV2Parser
from mdc.providers.kraken.symbols import VENUE, parse_asset_pairs, venue_symbol, venue_symbol_v2
from mdc.providers.resubscribe import ResubscribeProtocol

BOOK_DEPTHS: Final = (10, 25, 100, 500, 1000)
_HEARTBEAT_TEXT: Final = '{"event":"heartbeat"}'
_HEARTBEAT: Final = _HEARTBEAT_TEXT.encode()
_HEARTBEAT_V2_TEXT: Final = '{"channel":"heartbeat"}'
_HEARTBEATS: Final = frozenset(
    {_HEARTBEAT_TEXT, _HEARTBEAT, _HEARTBEAT_V2_TEXT, _HEARTBEAT_V2_TEXT.encode()}
)
V2_CHANNELS: Final = {"depth": "book", "trades": "trade", "quotes": "ticker"}

_encode = msgspec.json.Encoder().encode


def book_depth(levels: int) -> int:
    """The smallest depth Kraken offers that covers ``levels``."""
    return next((d for d in BOOK_DEPTHS if d >= levels), BOOK_DEPTHS[-1])


class KrakenProtocol(ResubscribeProtocol):
    """Kraken v2 (or v1) wire format plus checksum-triggered book resubscription."""

    provider = VENUE

    def __init__(self, config: KrakenConfig, depth: int) -> None:
        super().__init__()
        self.config = config
        self.depth = depth
        self.v2 = config.api == "v2"
        self.parser: KrakenParser | KrakenV2Parser = (
            KrakenV2Parser(depth, {}, VENUE) if self.v2 else KrakenParser(depth, {}, VENUE)
        )
        self._pair = venue_symbol_v2 if self.v2 else venue_symbol
        self._req_ids = itertools.count(1)
        self.instruments = InstrumentCache(
            VENUE,
            config.rest_url.rstrip("/") + "/0/public/AssetPairs",
            parse_asset_pairs,
            config.asset_pairs_ttl_s,
        )

    def url(self) -> str:
        return self.config.stream_url()

    def _messages(self, event: str, symbols: Sequence[SymbolConfig]) -> list[Frame]:
        if self.v2:
            return self._messages_v2(event, symbols)
        channels: dict[str, list[str]] = {}
        for s in symbols:
            pair = venue_symbol(s.symbol)
            self.parser.symbols[pair] = s.symbol
            if s.depth:
                channels.setdefault("book", []).append(pair)
            if s.trades:
                channels.setdefault("trade", []).append(pair)
            if s.quotes:
                channels.setdefault("spread", []).append(pair)
        return [self._request(event, name, pairs) for name, pairs in channels.items()]

    def _messages_v2(self, method: str, symbols: Sequence[SymbolConfig]) -> list[Frame]:
        channels: dict[str, list[str]] = {}
        for s in symbols:
            pair = venue_symbol_v2(s.symbol)
            self.parser.symbols[pair] = s.symbol
            for flag, channel in V2_CHANNELS.items():
                if getattr(s, flag):
                    channels.setdefault(channel, []).append(pair)
        frames: list[Frame] = [
            self._request(method, name, pairs) for name, pairs in channels.items()
        ]
        if method == "subscribe" and "book" in channels:
            # The precisions the checksum needs, before the first book snapshot.
            instrument = {"method": "subscribe", "params": {"channel": "instrument"}}
            frames.insert(0, _encode({**instrument, "req_id": next(self._req_ids)}))
        return frames

    def _request(self, event: str, name: str, pairs: list[str]) -> bytes:
        if self.v2:
            params: dict[str, Any] = {"channel": name, "symbol": pairs}
            if name == "book":
                params["depth"] = self.depth
            elif name == "ticker":
                params["event_trigger"] = "bbo"
            return _encode({"method": event, "params": params, "req_id": next(self._req_ids)})
        subscription: dict[str, Any] = {"name": name}
        if name == "book":
            subscription["depth"] = self.depth
        return _encode({"event": event, "pair": pairs, "subscription": subscription})

    def subscribe_messages(self, symbols: Sequence[SymbolConfig]) -> list[Frame]:
        return self._messages("subscribe", symbols)

    def unsubscribe_messages(self, symbols: Sequence[SymbolConfig]) -> list[Frame]:
        for s in symbols:
            self.parser.books.pop(self._pair(s.symbol), None)
        return self._messages("unsubscribe", symbols)

    def request_resubscribe(self, books: list[str]) -> None:
        """Drop these books and subscribe them again (a new snapshot follows)."""
        for pair in books:
            self.parser.books.pop(pair, None)
        super().request_resubscribe(books)

    def resubscribe_messages(self, books: list[str]) -> list[Frame]:
        return [
            self._request("unsubscribe", "book", books),
            self._request("subscribe", "book", books),
        ]

    def is_heartbeat(self, frame: Frame) -> bool:
        return frame in _HEARTBEATS


class KrakenStream(WebSocketProvider):
    """``mdc collect --provider kraken``: keyless trades, spreads and checksummed L2 books."""

    spec = SPEC

    def make_protocol(self) -> WireProtocol:
        config = self._config()
        levels = max((s.depth_levels for s in self.config.symbol_configs()), default=10)
        self.protocol = KrakenProtocol(config, config.book_depth or book_depth(levels))
        return self.protocol

    async def resync(self, symbols: list[SymbolConfig]) -> None:
        """Resubscribe the books: Kraken answers with a new snapshot."""
        pair = venue_symbol_v2 if self.protocol.v2 else venue_symbol
        self.protocol.request_resubscribe([pair(s.symbol) for s in symbols if s.depth])

    def counters(self) -> dict[FeedCounter, int]:
        return self.protocol.parser.counters()

    def stream_options(self) -> StreamOptions:
        return self._config()

    def _config(self) -> KrakenConfig:
        return provider_section(self.config, SPEC.name, KrakenConfig)
