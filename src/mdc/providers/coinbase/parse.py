"""Coinbase Exchange WebSocket frames → events, with per-product trade continuity checks.

Docs: https://docs.cdp.coinbase.com/exchange/websocket-feed/overview (protocol, sequence
numbers), https://docs.cdp.coinbase.com/exchange/websocket-feed/channels (``heartbeat``,
``ticker``, ``level2``/``level2_batch``, ``matches``), https://docs.cdp.coinbase.com/exchange/
websocket-feed/authentication (which channels need a signed subscribe; ``level2_batch``,
``matches``, ``ticker`` and ``heartbeat`` do not).

Each frame is one JSON object decoded straight into a tagged ``msgspec`` Struct (prices and sizes
arrive as strings and are converted to float by the decoder itself). What the feed guarantees and
what we check:

* ``sequence`` is per product and shared by all channels, so on the public channels it only
  increases (holes are normal). It orders messages: one at or below the last seen on the same
  channel is a duplicate or late and is dropped (counted).
* ``trade_id`` is contiguous per product, so on ``matches`` a hole is a lost trade: one ``Gap``
  per hole, and the product's book is resynchronised (``resubscribe``) because a feed that lost a
  match may have lost book updates too. ``heartbeat.last_trade_id`` catches a lost trade at the
  tail once a second heartbeat confirms it.
* ``match.side`` is the *maker's* side; the aggressor is the other one.

``seq`` is set on trades only: the collectors keep one sequence per (provider, symbol), and a
ticker repeats the ``sequence`` of the match it reports. A ``snapshot`` without a ``time`` (older
feeds) is stamped with the product's last exchange time seen, a lower bound of its real time,
so the deltas after it are never older than the book; with none seen yet it waits for the
product's next timed message and takes that time.
"""

from __future__ import annotations

from types import ModuleType
from typing import Final, Literal

import msgspec

from mdc.domain import native
from mdc.domain.events import BookDelta, BookSnapshot, Event, Gap, Quote, Side, Trade
from mdc.domain.rfc3339 import rfc3339_ns
from mdc.providers.base import ProviderError
from mdc.providers.connection import Reconnect

VENUE: Final = "coinbase"
_TAKER: Final[dict[str, Side]] = {"sell": "buy", "buy": "sell"}


class _Msg(msgspec.Struct, tag_field="type", gc=False):
    pass


class Snapshot(_Msg, tag="snapshot"):
    product_id: str
    bids: list[tuple[float, float]]
    asks: list[tuple[float, float]]
    time: str = ""


class L2Update(_Msg, tag="l2update"):
    product_id: str
    changes: list[tuple[Literal["buy", "sell"], float, float]]
    time: str


class Match(_Msg, tag="match"):
    product_id: str
    trade_id: int
    sequence: int
    side: Literal["buy", "sell"]
    price: float
    size: float
    time: str


class LastMatch(Match, tag="last_match"):
    pass


class Ticker(_Msg, tag="ticker"):
    product_id: str
    sequence: int
    best_bid: float | None = None
    best_ask: float | None = None
    best_bid_size: float | None = None
    best_ask_size: float | None = None
    time: str = ""


class Heartbeat(_Msg, tag="heartbeat"):
    product_id: str
    sequence: int
    last_trade_id: int
    time: str


class Subscriptions(_Msg, tag="subscriptions"):
    pass


class Error(_Msg, tag="error"):
    message: str
    reason: str = ""


class _TypeOnly(msgspec.Struct):
    type: str = ""


Message = Snapshot | L2Update | Match | LastMatch | Ticker | Heartbeat | Subscriptions | Error
_decoder = msgspec.json.Decoder(Message, strict=False)
_type_decoder = msgspec.json.Decoder(_TypeOnly)


class CoinbaseParser:
    """Stateful frame parser for one connection; :meth:`reset` on every (re)connect."""

    def __init__(self, provider: str = VENUE) -> None:
        self.provider = provider
        self.iso = rfc3339_ns
        self.resubscribe: set[str] = set()
        """Products whose book needs a fresh snapshot; the stream resubscribes and clears it."""
        self.duplicates = 0
        self.ignored = 0
        self._last_trade: dict[str, tuple[int, int]] = {}  # product → (trade_id, ts_event)
        self._last_seq: dict[tuple[str, bool], int] = {}  # (product, is_match) → sequence
        self._heartbeat_ahead: dict[str, int] = {}
        self._product_ts: dict[str, int] = {}
        """Last exchange time seen per product: a lower bound for an untimed snapshot."""
        self._pending: dict[str, tuple[Snapshot, int]] = {}
        self.kernel: ModuleType | None = KERNEL
        """The compiled fast path (``kernel.pyx``), or None: the Python methods do it all."""

    def reset(self) -> None:
        """Forget continuity: an outage is reported by the connection layer, not as a hole."""
        self._last_trade.clear()
        self._last_seq.clear()
        self._heartbeat_ahead.clear()
        self._pending.clear()

    def parse(self, frame: bytes | str, ts_recv: int) -> list[Event]:
        """Events of one frame; raises ``msgspec`` errors or ProviderError on a bad frame."""
        if self.kernel is not None:  # decodes and dispatches in C, calling back for the rest
            kernel_events: list[Event] = self.kernel.parse(self, frame, ts_recv)
            return kernel_events
        try:
            msg = _decoder.decode(frame)
        except msgspec.ValidationError as exc:
            return self.undecoded(frame, exc)
        return self.message(msg, ts_recv)

    def undecoded(self, frame: bytes | str, error: msgspec.ValidationError) -> list[Event]:
        """A frame that is JSON but no message we decode: ``error`` again for a known type
        (a malformed message), nothing for a new type (counted: they may appear any time)."""
        if _type_decoder.decode(frame).type in _KNOWN:
            raise error
        self.ignored += 1
        return []

    def message(self, msg: Message, ts_recv: int) -> list[Event]:
        """Events of one decoded message (the kernel hands over those it does not take)."""
        match msg:  # most frequent first; LastMatch is a Match
            case L2Update():
                return self._l2update(msg, ts_recv)
            case Match():
                return self._match(msg, ts_recv)
            case Ticker():
                return self._ticker(msg, ts_recv)
            case Snapshot():
                return self._snapshot(msg, ts_recv)
            case Heartbeat():
                return self._heartbeat(msg, ts_recv)
            case Error():
                text = f"coinbase: {msg.message} {msg.reason}".strip()
                if "subscribe" in text.lower():
                    raise ProviderError(text)  # a product or channel we cannot have: fatal
                raise Reconnect(text)  # slow consumer, message too big …: a new connection helps
        self.ignored += 1
        return []

    def _l2update(self, msg: L2Update, ts_recv: int) -> list[Event]:
        ts = self.iso(msg.time)
        symbol = msg.product_id
        self._product_ts[symbol] = ts
        provider = self.provider
        events: list[Event] = []
        for side, price, size in msg.changes:  # mostly one change: a loop beats a comprehension
            events.append(
                BookDelta(
                    symbol=symbol,
                    venue=VENUE,
                    provider=provider,
                    ts_event=ts,
                    ts_recv=ts_recv,
                    side="bid" if side == "buy" else "ask",
                    price=price,
                    size=size,
                )
            )
        if self._pending:
            self._release(symbol, ts, events)
        return events

    def _snapshot(self, msg: Snapshot, ts_recv: int) -> list[Event]:
        product = msg.product_id
        self.resubscribe.discard(product)
        ts = self.iso(msg.time) if msg.time else self._product_ts.get(product)
        if ts is None:
            self._pending[product] = (msg, ts_recv)
            return []
        return [self._book(msg, ts, ts_recv)]

    def _book(self, msg: Snapshot, ts: int, ts_recv: int) -> BookSnapshot:
        return BookSnapshot(
            symbol=msg.product_id,
            venue=VENUE,
            provider=self.provider,
            ts_event=ts,
            ts_recv=ts_recv,
            bids=msg.bids,
            asks=msg.asks,
        )

    def _release(self, product: str, ts: int, events: list[Event]) -> None:
        """Put a snapshot that waited for a time first, stamped with ``ts``."""
        pending = self._pending.pop(product, None)
        if pending is not None:
            events.insert(0, self._book(pending[0], ts, pending[1]))

    def _in_order(self, product: str, is_match: bool, sequence: int) -> bool:
        key = (product, is_match)
        if sequence <= self._last_seq.get(key, -1):
            self.duplicates += 1
            return False
        self._last_seq[key] = sequence
        return True

    def _match(self, msg: Match, ts_recv: int) -> list[Event]:
        product = msg.product_id
        if not self._in_order(product, True, msg.sequence):
            return []
        ts = self.iso(msg.time)
        self._product_ts[product] = max(ts, self._product_ts.get(product, ts))
        events: list[Event] = []
        if self._pending:
            self._release(product, ts, events)
        last = self._last_trade.get(product)
        if last is not None:
            if msg.trade_id <= last[0]:
                self.duplicates += 1
                return []
            if msg.trade_id > last[0] + 1:
                events.append(self._trade_gap(product, last, msg.trade_id - 1, ts, ts_recv))
        self._last_trade[product] = (msg.trade_id, ts)
        self._heartbeat_ahead.pop(product, None)
        events.append(
            Trade(
                symbol=product,
                venue=VENUE,
                provider=self.provider,
                ts_event=ts,
                ts_recv=ts_recv,
                seq=msg.sequence,
                price=msg.price,
                size=msg.size,
                side=_TAKER[msg.side],
                trade_id=str(msg.trade_id),
            )
        )
        return events

    def _trade_gap(
        self, product: str, last: tuple[int, int], missing_to: int, ts: int, ts_recv: int
    ) -> Gap:
        self.resubscribe.add(product)
        first = last[0] + 1
        return Gap(
            symbol=product,
            venue=VENUE,
            provider=self.provider,
            ts_event=ts,
            ts_recv=ts_recv,
            from_ts=last[1],
            to_ts=ts,
            reason="trade_id_gap",
            detail=f"trade ids {first}..{missing_to} missing ({missing_to - first + 1})",
        )

    def _ticker(self, msg: Ticker, ts_recv: int) -> list[Event]:
        if msg.best_bid is None or msg.best_ask is None:
            return []
        product = msg.product_id
        if not self._in_order(product, False, msg.sequence):
            return []
        events: list[Event] = []
        if msg.time:
            ts = self.iso(msg.time)
            self._product_ts[product] = max(ts, self._product_ts.get(product, ts))
            if self._pending:
                self._release(product, ts, events)
        else:
            ts = ts_recv
        events.append(
            Quote(
                symbol=product,
                venue=VENUE,
                provider=self.provider,
                ts_event=ts,
                ts_recv=ts_recv,
                bid_price=msg.best_bid,
                # Sizes came with the ticker in 2022; older feeds (and the 2021 capture) had none.
                bid_size=msg.best_bid_size or 0.0,
                ask_price=msg.best_ask,
                ask_size=msg.best_ask_size or 0.0,
            )
        )
        return events

    def _heartbeat(self, msg: Heartbeat, ts_recv: int) -> list[Event]:
        """A ``last_trade_id`` beyond what ``matches`` delivered, still so one heartbeat later,
        is a lost trade (one heartbeat of slack: the match may still be in flight)."""
        product = msg.product_id
        ts = self.iso(msg.time)
        self._product_ts[product] = max(ts, self._product_ts.get(product, ts))
        events: list[Event] = []
        if self._pending:
            self._release(product, ts, events)
        last = self._last_trade.get(product)
        if last is None or msg.last_trade_id <= last[0]:
            self._heartbeat_ahead.pop(product, None)
            return events
        if product not in self._heartbeat_ahead:
            self._heartbeat_ahead[product] = msg.last_trade_id
            return events
        del self._heartbeat_ahead[product]
        events.append(self._trade_gap(product, last, msg.last_trade_id, ts, ts_recv))
        self._last_trade[product] = (msg.last_trade_id, ts)
        return events


_KNOWN: Final = frozenset(
    str(t.__struct_config__.tag)
    for t in (Snapshot, L2Update, Match, LastMatch, Ticker, Heartbeat, Subscriptions, Error)
)

KERNEL: Final = native.load("mdc.providers.coinbase.kernel")
"""Loaded last: the kernel imports this module's message types."""
