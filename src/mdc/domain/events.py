"""The one event model every provider is mapped into.

Field names are the on-disk names (JSONL keys, Parquet columns): never rename one without a
migration. Times are int nanoseconds since the Unix epoch, UTC: ``ts_event`` is the exchange's
time, ``ts_recv`` the local receive time. Prices and sizes are floats (no Decimal on the hot path).
Each struct is tagged (``"type"``) so a mixed batch decodes with one ``msgspec`` decoder.
"""

from __future__ import annotations

from typing import Final, Literal, TypeAlias

import msgspec

Side: TypeAlias = Literal["buy", "sell", "unknown"]
BookSide: TypeAlias = Literal["bid", "ask"]
Severity: TypeAlias = Literal["info", "warning", "error"]
OrderAction: TypeAlias = Literal["add", "modify", "replace", "delete", "execute"]


class _Base(msgspec.Struct, gc=False, kw_only=True, omit_defaults=False):
    """Fields every event carries."""

    symbol: str
    venue: str
    provider: str
    ts_event: int
    ts_recv: int
    seq: int | None = None


class Trade(_Base, tag="trade", kw_only=True):
    """One print. ``side`` is the aggressor when the feed says or a collector inferred it."""

    price: float
    size: float
    side: Side = "unknown"
    trade_id: str | None = None
    exchange: str | None = None
    conditions: list[str] = []
    tape: str | None = None
    trf_id: str | None = None
    """Trade Reporting Facility of an off-exchange print (Polygon ``trfi``)."""
    trf_ts: int | None = None
    """When the TRF received the print, int ns UTC (Polygon ``trft``)."""


class Quote(_Base, tag="quote", kw_only=True):
    """Best bid and offer (top of book, or a consolidated NBBO)."""

    bid_price: float
    bid_size: float
    ask_price: float
    ask_size: float
    bid_exchange: str | None = None
    ask_exchange: str | None = None
    conditions: list[str] = []
    tape: str | None = None
    trf_id: str | None = None
    trf_ts: int | None = None


class BookDelta(_Base, tag="book_delta", kw_only=True):
    """One L2 level change: ``size`` is the new total at ``price``; 0 removes the level."""

    side: BookSide
    price: float
    size: float


class BookSnapshot(_Base, tag="book_snapshot", kw_only=True):
    """A full L2 book (best first on each side) that replaces all previous state."""

    bids: list[tuple[float, float]]
    asks: list[tuple[float, float]]


class OrderUpdate(_Base, tag="order_update", kw_only=True):
    """One order-level (L3) book message of an order-by-order feed, as the exchange sent it.

    ``price``/``size`` are the order's new price and open size (``add``, ``modify``,
    ``replace``), what left the book (``delete``: the order's price and size) or what traded
    (``execute``: execution price and volume). ``side`` is ``None`` when the feed's message
    does not carry it and the order is unknown (a book that is stale after a gap). Order ids
    are strings because exchange ids are unsigned 64-bit.
    """

    action: OrderAction
    order_id: str
    side: BookSide | None
    price: float
    size: float
    new_order_id: str | None = None
    """``replace``: the id the order carries from now on."""
    trade_id: str | None = None
    """``execute``: the exchange's trade id (the same as the ``Trade``'s)."""


class Bar(_Base, tag="bar", kw_only=True):
    """OHLCV over ``interval`` (``1s``, ``1m``, ``1h``, ``1d`` …) starting at ``ts_event``."""

    interval: str
    open: float
    high: float
    low: float
    close: float
    volume: float
    vwap: float | None = None
    trades: int | None = None
    adjusted: bool = False


class QuoteBar(_Base, tag="quote_bar", kw_only=True):
    """Bid and ask OHLC over ``interval`` starting at ``ts_event`` (Lean's quote bars).

    A side that had no quote in the bar has ``None`` prices; ``bid_size``/``ask_size`` are the
    last size seen on that side (0 when none).
    """

    interval: str
    bid_open: float | None = None
    bid_high: float | None = None
    bid_low: float | None = None
    bid_close: float | None = None
    bid_size: float = 0.0
    ask_open: float | None = None
    ask_high: float | None = None
    ask_low: float | None = None
    ask_close: float | None = None
    ask_size: float = 0.0


class Gap(_Base, tag="gap", kw_only=True):
    """A span in which data for ``symbol`` is known to be missing (or uncertain)."""

    from_ts: int
    to_ts: int
    reason: str
    detail: str = ""


class Integrity(_Base, tag="integrity", kw_only=True):
    """Something about the data is wrong: crossed book, sequence hole, checksum, bad frame."""

    kind: str
    severity: Severity = "warning"
    detail: str = ""


class Status(_Base, tag="status", kw_only=True):
    """A state change: trading halt/resume, LULD band, connection up/down, failover."""

    kind: str
    state: str
    detail: str = ""


class CorporateAction(_Base, tag="corporate_action", kw_only=True):
    """A split (``ratio`` = new shares per old) or cash dividend (``amount`` per share)."""

    kind: Literal["split", "dividend"]
    ratio: float | None = None
    amount: float | None = None
    currency: str | None = None
    pay_date: str | None = None


Event: TypeAlias = (
    Trade
    | Quote
    | BookDelta
    | BookSnapshot
    | OrderUpdate
    | Bar
    | QuoteBar
    | Gap
    | Integrity
    | Status
    | CorporateAction
)
EVENT_TYPES: Final[tuple[type[Event], ...]] = (
    Trade,
    Quote,
    BookDelta,
    BookSnapshot,
    OrderUpdate,
    Bar,
    QuoteBar,
    Gap,
    Integrity,
    Status,
    CorporateAction,
)

# The archive's name for each type (directory names, DuckDB views, API paths).
TYPE_NAMES: Final[dict[type[Event], str]] = {
    Trade: "trades",
    Quote: "quotes",
    BookDelta: "book_deltas",
    BookSnapshot: "book_snapshots",
    OrderUpdate: "order_updates",
    Bar: "bars",
    QuoteBar: "quote_bars",
    Gap: "gaps",
    Integrity: "integrity",
    Status: "statuses",
    CorporateAction: "corporate_actions",
}
TYPES_BY_NAME: Final[dict[str, type[Event]]] = {v: k for k, v in TYPE_NAMES.items()}
TAGS: Final[dict[type[Event], str]] = {t: str(t.__struct_config__.tag) for t in EVENT_TYPES}

_json_encoder = msgspec.json.Encoder()
_json_batch_decoder = msgspec.json.Decoder(list[Event])
_json_event_decoder = msgspec.json.Decoder(Event)
_msgpack_encoder = msgspec.msgpack.Encoder()
_msgpack_batch_decoder = msgspec.msgpack.Decoder(list[Event])


def encode_json(obj: Event | list[Event]) -> bytes:
    """JSON bytes of one event or a batch (the stable on-disk names)."""
    return _json_encoder.encode(obj)


def decode_json_event(data: bytes | str) -> Event:
    event: Event = _json_event_decoder.decode(data)
    return event


def decode_json_batch(data: bytes | str) -> list[Event]:
    return _json_batch_decoder.decode(data)


def encode_msgpack_batch(batch: list[Event]) -> bytes:
    """Compact binary form of a batch (used by the WAL)."""
    return _msgpack_encoder.encode(batch)


def decode_msgpack_batch(data: bytes) -> list[Event]:
    return _msgpack_batch_decoder.decode(data)
