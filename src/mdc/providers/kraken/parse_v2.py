"""Kraken WebSocket v2 frames → events: checksummed books, trades with ids, BBO tickers.

Docs read 2026-12-02: https://docs.kraken.com/exchange/api-reference/spot-websocket (v2 is
recommended, v1 frozen; ``wss://ws.kraken.com/v2``; symbols ``BTC/USD``; RFC 3339 times;
sequential ``trade_id``), https://docs.kraken.com/exchange/api-reference/spot-websocket-v2/book,
…/trade, …/ticker (``event_trigger = "bbo"``), …/instrument (``price_precision``,
``qty_precision`` per pair) and https://docs.kraken.com/exchange/guides/websockets/book-checksum-v2
(CRC32 over the top 10 asks low→high then the top 10 bids high→low, each level its price and
qty text without ``.`` and leading zeros; in v2 the snapshot carries a checksum too, and
prices and quantities are JSON numbers, so the text is each number written with the pair's
precision: ``0.001`` with ``qty_precision`` 8 is ``0.00100000``).

Every frame is an object; the envelope decodes first with ``data`` kept raw, then ``data`` with
the decoder its channel selects. Book levels keep their price and qty as raw JSON text, padded
to the pair's precision (no float round trip) to make the checksum token; the float is only the
event value and sort key. Precisions come from the ``instrument`` channel, subscribed before
the books; a book whose pair has not been described yet takes the precision its own snapshot
shows (the most decimals among its levels) and counts in ``precision_guessed``.

A checksum mismatch yields one ``Gap``, drops our copy of the book and puts the pair in
``resubscribe`` (the stream unsubscribes and subscribes it: a new snapshot follows). A hole in a
pair's ``trade_id`` sequence is one ``Gap`` (``trade_id_gap``), as on Coinbase.
"""

from __future__ import annotations

from decimal import Decimal
from types import ModuleType
from typing import Final

import msgspec

from mdc.domain import native
from mdc.domain.events import BookSide, BookSnapshot, Event, Gap, Quote, Side, Trade
from mdc.domain.rfc3339 import rfc3339_ns
from mdc.providers.base import FeedCounter, ProviderError
from mdc.providers.kraken.book import CheckedBooks, PairBook, SetLevel
from mdc.providers.kraken.symbols import VENUE


class _Envelope(msgspec.Struct, gc=False):
    channel: str = ""
    type: str = ""
    data: msgspec.Raw = msgspec.Raw(b"[]")
    method: str = ""
    success: bool | None = None
    error: str = ""
    symbol: str = ""


class _Level(msgspec.Struct, gc=False):
    price: msgspec.Raw
    qty: msgspec.Raw


class _Book(msgspec.Struct, gc=False):
    symbol: str
    bids: list[_Level] = []
    asks: list[_Level] = []
    checksum: int | None = None
    timestamp: str = ""


class _Trade(msgspec.Struct, gc=False):
    symbol: str
    side: str
    price: float
    qty: float
    trade_id: int
    timestamp: str
    ord_type: str = ""


class _Ticker(msgspec.Struct, gc=False):
    symbol: str
    bid: float
    bid_qty: float
    ask: float
    ask_qty: float
    timestamp: str = ""


class _Pair(msgspec.Struct, gc=False):
    symbol: str
    price_precision: int
    qty_precision: int


class _Instruments(msgspec.Struct, gc=False):
    pairs: list[_Pair] = []


_envelope = msgspec.json.Decoder(_Envelope)
_books = msgspec.json.Decoder(list[_Book])
_trades = msgspec.json.Decoder(list[_Trade])
_tickers = msgspec.json.Decoder(list[_Ticker])
_instruments = msgspec.json.Decoder(_Instruments)
_SIDES: Final[dict[str, Side]] = {"buy": "buy", "sell": "sell"}


def fixed(raw: msgspec.Raw | bytes, decimals: int) -> str:
    """A JSON number's text with at least ``decimals`` fraction digits (``0.001``, 8 →
    ``0.00100000``); exponent forms go through ``Decimal``."""
    text = bytes(raw).decode().strip('"')
    if "e" in text or "E" in text:
        text = format(Decimal(text), "f")
    whole, _, fraction = text.partition(".")
    missing = decimals - len(fraction)
    return f"{whole}.{fraction}{'0' * missing}" if missing > 0 else text


def _decimals(levels: list[_Level], qty: bool) -> int:
    """The most fraction digits among ``levels``' prices (or quantities)."""
    best = 0
    for level in levels:
        text = bytes(level.qty if qty else level.price)
        dot = text.find(b".")
        if dot >= 0:
            best = max(best, len(text) - dot - 1)
    return best


class KrakenV2Parser(CheckedBooks):
    """Stateful parser for one v2 connection (books, trade ids); :meth:`reset` on reconnect."""

    def __init__(self, depth: int, symbols: dict[str, str], provider: str = VENUE) -> None:
        super().__init__(depth, symbols, provider)
        self.precision: dict[str, tuple[int, int]] = {}
        """Pair → (price, qty) decimals from the instrument channel."""
        self.precision_guessed = 0
        self.duplicates = 0
        self._last_trade: dict[str, tuple[int, int]] = {}
        self._book_precision: dict[str, tuple[int, int]] = {}
        self.kernel: ModuleType | None = KERNEL
        """The compiled book update (``kernel.pyx``), or None: :meth:`_update` does it."""

    def counters(self) -> dict[FeedCounter, int]:
        return super().counters() | {
            "duplicates_dropped": self.duplicates,
            "book_precisions_guessed": self.precision_guessed,
        }

    def reset(self) -> None:
        super().reset()
        self._last_trade.clear()
        self._book_precision.clear()

    def _symbol(self, pair: str) -> str:
        return self.symbols.get(pair) or pair.replace("/", "-")

    def parse(self, frame: bytes | str, ts_recv: int) -> list[Event]:
        msg = _envelope.decode(frame)
        channel = msg.channel
        if channel == "book":
            books = _books.decode(msg.data)
            snapshot = msg.type == "snapshot"
            events: list[Event] = []
            kernel = self.kernel
            for book in books:
                if snapshot:
                    events.append(self._snapshot(book, ts_recv))
                elif kernel is not None:
                    kernel.update_v2(self, events, book, ts_recv)
                else:
                    self._update(events, book, ts_recv)
            return events
        if channel == "trade":
            return self._trades(_trades.decode(msg.data), msg.type == "snapshot", ts_recv)
        if channel == "ticker":
            return self._tickers(_tickers.decode(msg.data), ts_recv)
        if channel == "instrument":
            for pair in _instruments.decode(msg.data).pairs:
                self.precision[pair.symbol] = (pair.price_precision, pair.qty_precision)
            self.ignored += 1
            return []
        if msg.success is False:
            what = f" for {msg.symbol}" if msg.symbol else ""
            raise ProviderError(f"kraken {msg.method} failed{what}: {msg.error}")
        self.ignored += 1  # heartbeat, status, acknowledgements, pong
        return []

    # -- books ---------------------------------------------------------------------------

    def _snapshot(self, data: _Book, ts_recv: int) -> Event:
        pair = data.symbol
        precision = self.precision.get(pair)
        if precision is None:
            self.precision_guessed += 1
            levels = data.asks + data.bids
            precision = (_decimals(levels, qty=False), _decimals(levels, qty=True))
        self._book_precision[pair] = precision
        price_dp, qty_dp = precision
        asks = [[fixed(lv.price, price_dp), fixed(lv.qty, qty_dp)] for lv in data.asks]
        bids = [[fixed(lv.price, price_dp), fixed(lv.qty, qty_dp)] for lv in data.bids]
        book = self.books[pair] = PairBook(self.depth)
        ask_levels, bid_levels = book.load(asks, bids)
        self.resubscribe.discard(pair)
        ts = rfc3339_ns(data.timestamp) if data.timestamp else ts_recv
        symbol = self._symbol(pair)
        gap = self.check(pair, symbol, book, data.checksum, ts, ts_recv)
        if gap is not None:
            return gap
        return BookSnapshot(
            symbol=symbol,
            venue=VENUE,
            provider=self.provider,
            ts_event=ts,
            ts_recv=ts_recv,
            asks=ask_levels,
            bids=bid_levels,
        )

    def _update(self, out: list[Event], data: _Book, ts_recv: int) -> None:
        pair = data.symbol
        symbol = self._symbol(pair)
        ts = rfc3339_ns(data.timestamp) if data.timestamp else ts_recv
        book = self.books.get(pair)
        if book is None:
            self.unvalidated += 1  # no snapshot yet (or resubscribing after a mismatch)
        price_dp, qty_dp = (0, 0) if book is None else self._book_precision[pair]
        sides: tuple[tuple[BookSide, list[_Level], SetLevel | None], ...] = (
            ("ask", data.asks, None if book is None else book.set_ask),
            ("bid", data.bids, None if book is None else book.set_bid),
        )
        for side, levels, apply in sides:
            texts = ((fixed(lv.price, price_dp), fixed(lv.qty, qty_dp)) for lv in levels)
            self._deltas(out, symbol, side, texts, apply, ts, ts_recv)
        if book is None:
            return
        book.truncate()
        gap = self.check(pair, symbol, book, data.checksum, ts, ts_recv)
        if gap is not None:
            out.append(gap)

    # -- trades and tickers --------------------------------------------------------------

    def _trades(self, trades: list[_Trade], snapshot: bool, ts_recv: int) -> list[Event]:
        events: list[Event] = []
        last_trade = self._last_trade
        provider = self.provider
        for t in trades:
            pair = t.symbol
            symbol = self._symbol(pair)
            ts = rfc3339_ns(t.timestamp)
            last = last_trade.get(pair)
            if last is not None:
                if t.trade_id <= last[0]:
                    self.duplicates += 1
                    continue
                if t.trade_id > last[0] + 1 and not snapshot:
                    first = last[0] + 1
                    events.append(
                        Gap(
                            symbol=symbol,
                            venue=VENUE,
                            provider=provider,
                            ts_event=ts,
                            ts_recv=ts_recv,
                            from_ts=last[1],
                            to_ts=ts,
                            reason="trade_id_gap",
                            detail=f"trade ids {first}..{t.trade_id - 1} missing "
                            f"({t.trade_id - first})",
                        )
                    )
            last_trade[pair] = (t.trade_id, ts)
            events.append(
                Trade(
                    symbol=symbol,
                    venue=VENUE,
                    provider=provider,
                    ts_event=ts,
                    ts_recv=ts_recv,
                    price=t.price,
                    size=t.qty,
                    side=_SIDES.get(t.side, "unknown"),
                    trade_id=str(t.trade_id),
                    conditions=[t.ord_type] if t.ord_type else [],
                )
            )
        return events

    def _tickers(self, tickers: list[_Ticker], ts_recv: int) -> list[Event]:
        return [
            Quote(
                symbol=self._symbol(t.symbol),
                venue=VENUE,
                provider=self.provider,
                ts_event=rfc3339_ns(t.timestamp) if t.timestamp else ts_recv,
                ts_recv=ts_recv,
                bid_price=t.bid,
                bid_size=t.bid_qty,
                ask_price=t.ask,
                ask_size=t.ask_qty,
            )
            for t in tickers
        ]


KERNEL: Final = native.load("mdc.providers.kraken.kernel")
"""The compiled book updates (``kernel.pyx``), or None when not built or ``MDC_PURE_PYTHON``."""
