"""Kraken WebSocket v1 frames → events, every book update checked against its CRC32.

Docs: https://docs.kraken.com/api/docs/websocket-v1/book (snapshot ``as``/``bs``, updates
``a``/``b`` with the checksum ``c``), https://docs.kraken.com/api/docs/websocket-v1/trade
(``[price, volume, time, side, orderType, misc]``, side ``b``/``s`` is the taker's),
https://docs.kraken.com/api/docs/websocket-v1/spread (``[bid, ask, time, bidVolume,
askVolume]``), https://docs.kraken.com/api/docs/guides/spot-ws-book-v1 (checksum).

Data frames are arrays ``[channelID, payload…, channelName, pair]`` and events are objects; both
decode in one typed pass (``msgspec`` union of one object type and one array type). A checksum
mismatch yields one ``Gap``, drops our copy of that book and puts the pair in ``resubscribe``;
the stream resubscribes and the next snapshot restores validation.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any, Final, cast

import msgspec

from mdc.domain import native
from mdc.domain.events import BookSnapshot, Event, Quote, Trade
from mdc.providers.base import ProviderError
from mdc.providers.kraken.book import CheckedBooks, PairBook
from mdc.providers.kraken.symbols import VENUE, common_symbol
from mdc.providers.timestamps import decimal_seconds_ns


class _Event(msgspec.Struct, gc=False, rename={"error_message": "errorMessage"}):
    event: str
    status: str = ""
    pair: str = ""
    error_message: str = ""


class _BookPart(msgspec.Struct, gc=False, rename={"snapshot_asks": "as", "snapshot_bids": "bs"}):
    a: list[list[str]] | None = None
    b: list[list[str]] | None = None
    snapshot_asks: list[list[str]] | None = None
    snapshot_bids: list[list[str]] | None = None
    c: str | None = None


_Frame = _Event | list[int | str | _BookPart | list[Any]]
_decoder = msgspec.json.Decoder(_Frame)


class KrakenParser(CheckedBooks):
    """Stateful parser for one connection (books); :meth:`reset` on reconnect."""

    def __init__(self, depth: int, symbols: dict[str, str], provider: str = VENUE) -> None:
        super().__init__(depth, symbols, provider)
        self.kernel: ModuleType | None = KERNEL
        """The compiled book update (``kernel.pyx``), or None: :meth:`_update` does it."""

    def _symbol(self, pair: str) -> str:
        return self.symbols.get(pair) or common_symbol(pair)

    def parse(self, frame: bytes | str, ts_recv: int) -> list[Event]:
        msg = _decoder.decode(frame)
        if isinstance(msg, _Event):
            if msg.event == "subscriptionStatus" and msg.status == "error":
                raise ProviderError(
                    f"kraken subscription failed for {msg.pair}: {msg.error_message}"
                )
            if msg.event == "error":
                raise ProviderError(f"kraken error: {msg.error_message}")
            self.ignored += 1  # heartbeat, systemStatus, subscriptionStatus, pong
            return []
        if len(msg) < 4:
            raise ValueError(f"kraken data frame with {len(msg)} elements")
        channel = msg[-2]
        pair = msg[-1]
        if not isinstance(channel, str) or not isinstance(pair, str):
            raise ValueError("kraken data frame without channel name and pair")
        if channel.startswith("book"):
            part = msg[1] if len(msg) == 4 else _merge(msg[1:-2])
            if not isinstance(part, _BookPart):
                raise ValueError("kraken book frame with a non-object payload")
            if part.snapshot_asks is not None or part.snapshot_bids is not None:
                return [self._snapshot(pair, part, ts_recv)]
            if self.kernel is not None:
                events: list[Event] = self.kernel.update(self, pair, part, ts_recv)
                return events
            return self._update(pair, part, ts_recv)
        payload = msg[1]
        if not isinstance(payload, list):
            raise ValueError(f"kraken {channel} frame without an array payload")
        if channel == "trade":
            return self._trades(pair, payload, ts_recv)
        if channel == "spread":
            return self._spread(pair, payload, ts_recv)
        self.ignored += 1
        return []

    def _update(self, pair: str, part: _BookPart, ts_recv: int) -> list[Event]:
        symbol = self._symbol(pair)
        asks = part.a or _NO_LEVELS
        bids = part.b or _NO_LEVELS
        # One exchange message, one ts_event (the collectors tell messages apart by it).
        levels = asks + bids if asks and bids else asks or bids
        ts = decimal_seconds_ns(levels[0][2]) if len(levels) == 1 else _latest_ns(levels)
        book = self.books.get(pair)
        events: list[Event] = []
        if asks:
            set_ask = None if book is None else book.set_ask
            self._deltas(events, symbol, "ask", asks, set_ask, ts, ts_recv)
        if bids:
            set_bid = None if book is None else book.set_bid
            self._deltas(events, symbol, "bid", bids, set_bid, ts, ts_recv)
        if book is None:
            self.unvalidated += 1  # no snapshot yet (or resubscribing after a mismatch)
            return events
        book.truncate()
        checksum = None if part.c is None else int(part.c)
        gap = self.check(pair, symbol, book, checksum, ts, ts_recv)
        if gap is not None:
            events.append(gap)
        return events

    def _snapshot(self, pair: str, part: _BookPart, ts_recv: int) -> BookSnapshot:
        asks = part.snapshot_asks or []
        bids = part.snapshot_bids or []
        book = self.books[pair] = PairBook(self.depth)
        ask_levels, bid_levels = book.load(asks, bids)
        self.resubscribe.discard(pair)
        ts = _latest_ns(asks + bids) if asks or bids else ts_recv
        self._last_ts[pair] = ts
        return BookSnapshot(
            symbol=self._symbol(pair),
            venue=VENUE,
            provider=self.provider,
            ts_event=ts,
            ts_recv=ts_recv,
            asks=ask_levels,
            bids=bid_levels,
        )

    def _trades(self, pair: str, payload: list[Any], ts_recv: int) -> list[Event]:
        symbol = self._symbol(pair)
        return [
            Trade(
                symbol=symbol,
                venue=VENUE,
                provider=self.provider,
                ts_event=decimal_seconds_ns(t[2]),
                ts_recv=ts_recv,
                price=float(t[0]),
                size=float(t[1]),
                side="buy" if t[3] == "b" else "sell",
                conditions=["market" if t[4] == "m" else "limit"],
            )
            for t in payload
        ]

    def _spread(self, pair: str, s: list[Any], ts_recv: int) -> list[Event]:
        return [
            Quote(
                symbol=self._symbol(pair),
                venue=VENUE,
                provider=self.provider,
                ts_event=decimal_seconds_ns(s[2]),
                ts_recv=ts_recv,
                bid_price=float(s[0]),
                bid_size=float(s[3]),
                ask_price=float(s[1]),
                ask_size=float(s[4]),
            )
        ]


_NO_LEVELS: Final[list[list[str]]] = []
"""A side absent from an update (never mutated)."""


def _merge(parts: list[int | str | _BookPart | list[Any]]) -> _BookPart:
    """The payload objects of one frame as one (Kraken may split asks and bids in two)."""
    if not all(isinstance(p, _BookPart) for p in parts):
        raise ValueError("kraken book frame with a non-object payload")
    books = cast(list[_BookPart], parts)
    first = books[0]
    if first.snapshot_asks is not None or first.snapshot_bids is not None:
        return first
    asks: list[list[str]] = []
    bids: list[list[str]] = []
    checksum = None
    for part in books:
        asks += part.a or _NO_LEVELS
        bids += part.b or _NO_LEVELS
        if part.c is not None:
            checksum = part.c
    return _BookPart(a=asks, b=bids, c=checksum)


def _latest_ns(levels: list[list[str]]) -> int:
    """The latest level ``timestamp`` as ns; ValueError when there is none.

    Converting every time costs more than the rest of a snapshot; Kraken writes them all alike
    (``1618678123.481570``), and then the latest text is the latest time.
    """
    times = [level[2] for level in levels]
    latest = max(times)
    if _alike(times, latest):
        return decimal_seconds_ns(latest)
    return max(map(decimal_seconds_ns, times))


def _alike(times: list[str], sample: str) -> bool:
    """Whether all ``times`` are ASCII digits, as long as ``sample``, with one ``.`` where it has
    it: then text order is numeric order. Checked on the joined text, without a Python loop."""
    width = len(sample)
    joined = "".join(times)
    dot = sample.find(".")
    dots = joined[dot::width].count(".") if dot >= 0 else 0
    return (
        max(map(len, times)) == width
        and len(joined) == width * len(times)
        and joined.count(".") == dots == (len(times) if dot >= 0 else 0)
        and joined.isascii()
        and joined.replace(".", "").isdigit()
    )


KERNEL: Final = native.load("mdc.providers.kraken.kernel")
"""The compiled book updates (``kernel.pyx``), or None when not built or ``MDC_PURE_PYTHON``."""
