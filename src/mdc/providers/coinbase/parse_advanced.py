"""Coinbase Advanced Trade market-data frames → events, with the connection's sequence check.

Docs read 2026-12-03: https://docs.cdp.coinbase.com/coinbase-app/advanced-trade-apis/websocket/
websocket-overview (``wss://advanced-trade-ws.coinbase.com``; one channel per ``subscribe``;
a subscribe within 5 s or the server disconnects), …/websocket-channels (``heartbeats``,
``ticker``, ``level2``, ``market_trades`` need no authentication; most channels close after
60–90 s without updates unless ``heartbeats`` is subscribed too), …/websocket-rate-limits
(8 unauthenticated messages per second per IP) and the AsyncAPI pages
https://docs.cdp.coinbase.com/api-reference/advanced-trade-api/websocket/level2 and
…/market-trades (``level2`` answers on channel ``l2_data``; ``new_quantity`` is the level's
new size, ``"0"`` removes it; trades are sent in 250 ms batches). Field names were checked
against the official SDK, github.com/coinbase/coinbase-advanced-py
``coinbase/websocket/types/websocket_response.py`` and ``misc_types.py`` (read 2026-12-03).

Every message is an envelope ``{channel, timestamp, sequence_num, events: [...]}``; the envelope
decodes first with ``events`` kept raw, then the events with the decoder its channel selects.
Each event is a ``snapshot`` (the state on subscribing: the whole book, recent trades, the
current ticker) or an ``update``.

What the feed guarantees and what we check:

* ``sequence_num`` counts every message of the connection, whatever its channel. A hole means
  messages were lost, and nobody can tell whose: one ``Gap`` for the hole (symbol ``*``: every
  product of the connection may have lost data) and every book is resynchronised (the stream
  resubscribes ``level2``; a fresh snapshot follows). A number at or below the last one is a
  duplicate and is dropped (counted). The count restarts with each connection.
* Trades carry a per-product ``trade_id``; the last one seen per product survives reconnects,
  so the recent trades a ``market_trades`` snapshot repeats after a resubscription are not
  stored twice. Continuity is the sequence number's job, not the trade ids'.
* A trade's ``side`` is the maker's side, as on the Exchange feed (the production feed was
  checked that way by NautilusTrader's adapter, nautilus_coinbase ``coinbase_side_to_aggressor``);
  the aggressor is the other one.
* Book snapshots carry a placeholder ``event_time`` (the epoch) on their levels; they are
  stamped with the envelope's ``timestamp``, as are tickers, which carry no time of their own.
"""

from __future__ import annotations

from typing import Final

import msgspec

from mdc.domain.events import BookDelta, BookSnapshot, Event, Gap, Quote, Side, Trade
from mdc.domain.rfc3339 import rfc3339_ns
from mdc.providers.base import ProviderError
from mdc.providers.connection import Reconnect

VENUE: Final = "coinbase"
ALL_PRODUCTS: Final = "*"
"""Symbol of a ``Gap`` that concerns the whole connection, not one product."""
_TAKER: Final[dict[str, Side]] = {"SELL": "buy", "BUY": "sell"}


class _Envelope(msgspec.Struct, gc=False):
    channel: str = ""
    timestamp: str = ""
    sequence_num: int = -1
    events: msgspec.Raw = msgspec.Raw(b"[]")
    type: str = ""
    message: str = ""


class _Level(msgspec.Struct, gc=False):
    side: str
    price_level: float
    new_quantity: float
    event_time: str = ""


class _BookEvent(msgspec.Struct, gc=False):
    type: str
    product_id: str
    updates: list[_Level] = []


class _Trade(msgspec.Struct, gc=False):
    trade_id: str
    product_id: str
    price: float
    size: float
    side: str
    time: str


class _TradeEvent(msgspec.Struct, gc=False):
    type: str = ""
    trades: list[_Trade] = []


class _Ticker(msgspec.Struct, gc=False):
    product_id: str
    best_bid: float | None = None
    best_ask: float | None = None
    best_bid_quantity: float | None = None
    best_ask_quantity: float | None = None


class _TickerEvent(msgspec.Struct, gc=False):
    type: str = ""
    tickers: list[_Ticker] = []


_envelope = msgspec.json.Decoder(_Envelope)
_books = msgspec.json.Decoder(list[_BookEvent], strict=False)
_trades = msgspec.json.Decoder(list[_TradeEvent], strict=False)
_tickers = msgspec.json.Decoder(list[_TickerEvent], strict=False)
_QUIET: Final = frozenset({"heartbeats", "subscriptions", "status", "candles", "ticker_batch"})
"""Channels that carry no events we store (their ``sequence_num`` still counts)."""


class AdvancedParser:
    """Stateful parser for one Advanced Trade connection; :meth:`reset` on every (re)connect."""

    def __init__(self, provider: str = VENUE) -> None:
        self.provider = provider
        self.resubscribe: set[str] = set()
        """Products whose book needs a fresh snapshot; the stream resubscribes and clears it."""
        self.books: set[str] = set()
        """Products with a book on this connection (a sequence hole resyncs all of them)."""
        self.duplicates = 0
        self.ignored = 0
        self.sequence_gaps = 0
        self._last_seq = -1
        self._last_ts = 0
        self._last_trade: dict[str, int] = {}

    def reset(self) -> None:
        """A new connection numbers its messages afresh; an outage is the connection layer's
        ``Gap``. Trade ids are kept: a snapshot's repeated trades are dropped."""
        self._last_seq = -1
        self.books.clear()

    def parse(self, frame: bytes | str, ts_recv: int) -> list[Event]:
        """Events of one frame; raises ``msgspec`` errors or ProviderError on a bad frame."""
        env = _envelope.decode(frame)
        if env.type == "error":
            self._error(env.message)
        events: list[Event] = []
        if env.sequence_num >= 0:
            if env.sequence_num <= self._last_seq:
                self.duplicates += 1
                return events
            ts = rfc3339_ns(env.timestamp) if env.timestamp else ts_recv
            if self._last_seq >= 0 and env.sequence_num > self._last_seq + 1:
                events.append(self._sequence_gap(env.sequence_num, ts, ts_recv))
            self._last_seq = env.sequence_num
            self._last_ts = ts
        channel = env.channel
        if channel == "l2_data":
            self._book(_books.decode(env.events), ts_recv, events)
        elif channel == "market_trades":
            self._trade(_trades.decode(env.events), ts_recv, events)
        elif channel == "ticker":
            self._ticker(_tickers.decode(env.events), ts_recv, events)
        elif channel not in _QUIET:
            self.ignored += 1  # new message types may appear at any time: ignore them
        return events

    def _error(self, message: str) -> None:
        text = f"coinbase advanced trade: {message}".strip()
        lowered = message.lower()
        if "subscribe" in lowered or "auth" in lowered or "jwt" in lowered:
            raise ProviderError(text)  # a product or channel we cannot have: fatal
        raise Reconnect(text)  # slow consumer, message too big …: a new connection helps

    def _sequence_gap(self, sequence: int, ts: int, ts_recv: int) -> Gap:
        self.sequence_gaps += 1
        self.resubscribe.update(self.books)
        first, last = self._last_seq + 1, sequence - 1
        return Gap(
            symbol=ALL_PRODUCTS,
            venue=VENUE,
            provider=self.provider,
            ts_event=ts,
            ts_recv=ts_recv,
            from_ts=self._last_ts,
            to_ts=ts,
            reason="sequence_gap",
            detail=f"sequence_num {first}..{last} missing ({last - first + 1}) on the "
            "connection: any product may have lost data; books resynchronised",
        )

    def _book(self, books: list[_BookEvent], ts_recv: int, events: list[Event]) -> None:
        provider = self.provider
        for book in books:
            product = book.product_id
            if book.type == "snapshot":
                self.books.add(product)
                self.resubscribe.discard(product)
                bids = [(u.price_level, u.new_quantity) for u in book.updates if u.side == "bid"]
                asks = [(u.price_level, u.new_quantity) for u in book.updates if u.side != "bid"]
                events.append(
                    BookSnapshot(
                        symbol=product,
                        venue=VENUE,
                        provider=provider,
                        ts_event=self._last_ts,
                        ts_recv=ts_recv,
                        bids=bids,
                        asks=asks,
                    )
                )
                continue
            for u in book.updates:
                events.append(
                    BookDelta(
                        symbol=product,
                        venue=VENUE,
                        provider=provider,
                        ts_event=rfc3339_ns(u.event_time) if u.event_time else self._last_ts,
                        ts_recv=ts_recv,
                        side="bid" if u.side == "bid" else "ask",
                        price=u.price_level,
                        size=u.new_quantity,
                    )
                )

    def _trade(self, batches: list[_TradeEvent], ts_recv: int, events: list[Event]) -> None:
        for batch in batches:
            # A batch lists the newest trade first; store them in the order they happened.
            for t in sorted(batch.trades, key=_trade_order):
                tid = int(t.trade_id) if t.trade_id.isdigit() else None
                if tid is not None:
                    if tid <= self._last_trade.get(t.product_id, -1):
                        self.duplicates += 1
                        continue
                    self._last_trade[t.product_id] = tid
                events.append(
                    Trade(
                        symbol=t.product_id,
                        venue=VENUE,
                        provider=self.provider,
                        ts_event=rfc3339_ns(t.time),
                        ts_recv=ts_recv,
                        price=t.price,
                        size=t.size,
                        side=_TAKER.get(t.side.upper(), "unknown"),
                        trade_id=t.trade_id,
                    )
                )

    def _ticker(self, batches: list[_TickerEvent], ts_recv: int, events: list[Event]) -> None:
        for batch in batches:
            for t in batch.tickers:
                if t.best_bid is None or t.best_ask is None:
                    continue
                events.append(
                    Quote(
                        symbol=t.product_id,
                        venue=VENUE,
                        provider=self.provider,
                        ts_event=self._last_ts or ts_recv,
                        ts_recv=ts_recv,
                        bid_price=t.best_bid,
                        bid_size=t.best_bid_quantity or 0.0,
                        ask_price=t.best_ask,
                        ask_size=t.best_ask_quantity or 0.0,
                    )
                )


def _trade_order(t: _Trade) -> tuple[int, str]:
    return (int(t.trade_id) if t.trade_id.isdigit() else 0, t.time)
