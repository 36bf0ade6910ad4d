"""Coinbase Advanced Trade market data (``api = "advanced"``): the wire protocol.

Docs read 2026-12-03: https://docs.cdp.coinbase.com/coinbase-app/advanced-trade-apis/websocket/
websocket-overview and …/websocket-channels: ``{"type": "subscribe", "product_ids": [...],
"channel": …}``, one channel per message; the public market-data channels used here
(``heartbeats``, ``level2``, ``market_trades``, ``ticker``) need no JWT, so none is sent (a JWT
is only for ``user`` and ``futures_balance_summary``, as in the official SDK's
``WS_AUTH_CHANNELS``). …/websocket-rate-limits: 8 unauthenticated messages per second per IP,
so frames go out at most every 125 ms. Without updates most channels close after 60–90 s
unless ``heartbeats`` is subscribed, so it is (unless ``heartbeat = false``). A book that may
be wrong (a hole in ``sequence_num``, or the runtime asking) is resynchronised by
unsubscribing and subscribing its ``level2`` again: a fresh snapshot follows.

Not done: the channels page advises authenticating with a CDP API key (a JWT per subscribe)
"for the most reliable connection"; this provider connects keyless. ``-USDC`` products are
served on the ``user`` channel only (the market-data channels answer them with the ``-USD``
product's data), so collect ``BTC-USD`` rather than ``BTC-USDC`` here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import msgspec

from mdc.config.schema import SymbolConfig
from mdc.providers.coinbase.config import CoinbaseConfig
from mdc.providers.coinbase.parse_advanced import VENUE, AdvancedParser
from mdc.providers.coinbase.symbols import products_cache, venue_symbol
from mdc.providers.connection import Frame
from mdc.providers.resubscribe import ResubscribeProtocol

MESSAGES_PER_S: Final = 8
"""Unauthenticated client messages per second per IP (the rate-limits page)."""
_encode = msgspec.json.Encoder().encode


class AdvancedTradeProtocol(ResubscribeProtocol):
    """Advanced Trade wire format: one subscribe per channel, paced to the message limit."""

    provider = VENUE
    send_interval_s = 1.0 / MESSAGES_PER_S

    def __init__(self, config: CoinbaseConfig) -> None:
        super().__init__()
        self.config = config
        self.parser: AdvancedParser = AdvancedParser(VENUE)
        self.instruments = products_cache(config)

    def url(self) -> str:
        return self.config.stream_url()

    def _messages(self, kind: str, symbols: Sequence[SymbolConfig]) -> list[Frame]:
        wanted: dict[str, list[str]] = {}
        if self.config.heartbeat and symbols:
            wanted["heartbeats"] = [venue_symbol(s.symbol) for s in symbols]
        for s in symbols:
            product = venue_symbol(s.symbol)
            if s.depth:
                wanted.setdefault("level2", []).append(product)
            if s.trades:
                wanted.setdefault("market_trades", []).append(product)
            if s.quotes:
                wanted.setdefault("ticker", []).append(product)
        return [_request(kind, channel, ids) for channel, ids in wanted.items()]

    def subscribe_messages(self, symbols: Sequence[SymbolConfig]) -> list[Frame]:
        return self._messages("subscribe", symbols)

    def unsubscribe_messages(self, symbols: Sequence[SymbolConfig]) -> list[Frame]:
        return self._messages("unsubscribe", symbols)

    def resubscribe_messages(self, products: list[str]) -> list[Frame]:
        return [_request(kind, "level2", products) for kind in ("unsubscribe", "subscribe")]


def _request(kind: str, channel: str, product_ids: list[str]) -> bytes:
    return _encode({"type": kind, "product_ids": product_ids, "channel": channel})
