"""Kraken L2 books with CRC32 checksum validation after every update (WebSocket v1 and v2).

https://docs.kraken.com/api/docs/guides/spot-ws-book-v1 : the checksum is the CRC32 of the top
10 asks (low to high) then the top 10 bids (high to low), each level written as its price and
volume text with the ``.`` removed and leading zeros stripped. Each level therefore keeps that
checksum token, made once when the level is set (the float price is only the sort key). The CRC
of the ask part and the encoded bid part are kept until a change reaches the top 10 of their
side, so an update re-joins at most the side it touched (and none when it is deeper). After each
update the book is truncated to the subscribed depth, since levels pushed out of scope are not
deleted on the wire. :class:`CheckedBooks` holds a connection's books and what both parsers do
with a checksum: count it, or on a mismatch emit one ``Gap`` and ask for the book again.
"""

from __future__ import annotations

import zlib
from bisect import bisect_left
from collections.abc import Callable, Iterable, Sequence
from typing import Final

from mdc.domain.events import BookDelta, BookSide, Event, Gap
from mdc.providers.base import FeedCounter
from mdc.providers.kraken.symbols import VENUE

CHECKSUM_LEVELS: Final = 10

Levels = list[tuple[float, float]]
SetLevel = Callable[[str, str], tuple[float, float]]
"""``PairBook.set_ask``/``set_bid``: price and volume text in, the level as floats out."""


class PairBook:
    """One pair's L2 book: per side, sorted keys and the checksum token of each level, aligned.

    Asks are keyed by price (best first), bids by the negated price (best first), so the top of
    both sides is the head of a list.
    """

    __slots__ = (
        "_ask_crc",
        "_ask_keys",
        "_ask_tokens",
        "_bid_keys",
        "_bid_tokens",
        "_bid_top",
        "depth",
    )

    def __init__(self, depth: int) -> None:
        self.depth = depth
        self._ask_keys: list[float] = []
        self._ask_tokens: list[str] = []
        self._bid_keys: list[float] = []
        self._bid_tokens: list[str] = []
        self._ask_crc: int | None = None
        """CRC32 of the top asks' tokens; None once a change reached them."""
        self._bid_top: bytes | None = None
        """The top bids' tokens, encoded; None once a change reached them."""

    def load(self, asks: list[list[str]], bids: list[list[str]]) -> tuple[Levels, Levels]:
        """Replace the book with a snapshot's levels (``[price, volume, timestamp]``); returns
        them as (price, size) floats in the snapshot's order, for the snapshot event."""
        ask_levels = [(float(lv[0]), float(lv[1])) for lv in asks]
        bid_levels = [(float(lv[0]), float(lv[1])) for lv in bids]
        self._ask_keys, self._ask_tokens = _sorted([p for p, _ in ask_levels], asks)
        self._bid_keys, self._bid_tokens = _sorted([-p for p, _ in bid_levels], bids)
        self._ask_crc = None
        self._bid_top = None
        return ask_levels, bid_levels

    def set_ask(self, price_text: str, volume_text: str) -> tuple[float, float]:
        """Set (volume 0: delete) one ask level; its price and size as floats."""
        price = float(price_text)
        size = float(volume_text)
        if _set(self._ask_keys, self._ask_tokens, price, size, price_text, volume_text):
            self._ask_crc = None
        return price, size

    def set_bid(self, price_text: str, volume_text: str) -> tuple[float, float]:
        """Set (volume 0: delete) one bid level; its price and size as floats."""
        price = float(price_text)
        size = float(volume_text)
        if _set(self._bid_keys, self._bid_tokens, -price, size, price_text, volume_text):
            self._bid_top = None
        return price, size

    def sizes(self) -> tuple[int, int]:
        """Levels held on the ask and bid side."""
        return len(self._ask_keys), len(self._bid_keys)

    def truncate(self) -> None:
        """Drop levels beyond the subscribed depth (the venue no longer reports them)."""
        # The cached tops stay valid: a side outgrows a depth under 10 only by an insert into
        # its top 10, which already dropped that side's cache.
        depth = self.depth
        if len(self._ask_keys) > depth:
            del self._ask_keys[depth:], self._ask_tokens[depth:]
        if len(self._bid_keys) > depth:
            del self._bid_keys[depth:], self._bid_tokens[depth:]

    def checksum(self) -> int:
        ask_crc = self._ask_crc
        if ask_crc is None:
            ask_crc = self._ask_crc = zlib.crc32(_top(self._ask_tokens))
        bid_top = self._bid_top
        if bid_top is None:
            bid_top = self._bid_top = _top(self._bid_tokens)
        return zlib.crc32(bid_top, ask_crc)


def _token(price: str, volume: str) -> str:
    """A level's checksum text: both numbers without ``.`` or leading zeros."""
    return price.replace(".", "").lstrip("0") + volume.replace(".", "").lstrip("0")


def _top(tokens: list[str]) -> bytes:
    return "".join(tokens[:CHECKSUM_LEVELS]).encode()


def _sorted(keys: list[float], levels: list[list[str]]) -> tuple[list[float], list[str]]:
    """Keys and the levels' tokens, best first."""
    pairs = sorted(zip(keys, [_token(lv[0], lv[1]) for lv in levels], strict=True))
    return [k for k, _ in pairs], [t for _, t in pairs]


def _set(
    keys: list[float], tokens: list[str], key: float, size: float, price: str, volume: str
) -> bool:
    """Set or delete one level; whether that reached the checksum's top levels."""
    i = bisect_left(keys, key)
    found = i < len(keys) and keys[i] == key
    if size == 0.0:
        if not found:
            return False
        del keys[i], tokens[i]
    else:
        token = _token(price, volume)
        if found:
            tokens[i] = token
        else:
            keys.insert(i, key)
            tokens.insert(i, token)
    return i < CHECKSUM_LEVELS


class CheckedBooks:
    """The books of one connection, each checked against the venue's CRC32 after every message.

    The v1 and v2 parsers share this: the same checksum, and the same recovery when it does not
    match (one ``Gap`` from the last validated message, the book dropped, the pair queued in
    :attr:`resubscribe` for the stream to subscribe again, which brings a new snapshot).
    """

    def __init__(self, depth: int, symbols: dict[str, str], provider: str = VENUE) -> None:
        self.provider = provider
        self.depth = depth
        """Levels kept per book: the depth subscribed (truncation must match it)."""
        self.symbols = symbols
        """Venue pair (``XBT/USD``, ``BTC/USD``) → normalised (``BTC-USD``), as subscribed."""
        self.books: dict[str, PairBook] = {}
        self.resubscribe: set[str] = set()
        """Pairs whose book failed its checksum; the stream resubscribes them."""
        self.checksums_ok = 0
        self.checksums_failed = 0
        self.unvalidated = 0
        """Updates that arrived with no book to check them against (before the snapshot)."""
        self.ignored = 0
        self._last_ts: dict[str, int] = {}

    def counters(self) -> dict[FeedCounter, int]:
        return {
            "book_checksums_ok": self.checksums_ok,
            "book_checksum_failures": self.checksums_failed,
            "book_updates_unvalidated": self.unvalidated,
            "messages_ignored": self.ignored,
        }

    def reset(self) -> None:
        """A new connection: every book comes again with its snapshot."""
        self.books.clear()
        self.resubscribe.clear()
        self._last_ts.clear()

    def check(
        self, pair: str, symbol: str, book: PairBook, checksum: int | None, ts: int, ts_recv: int
    ) -> Gap | None:
        """Compare ``book`` with the checksum its message carried (None: it carried none)."""
        if checksum is not None:
            if book.checksum() != checksum:
                return self._mismatch(pair, symbol, checksum, ts, ts_recv)
            self.checksums_ok += 1
        self._last_ts[pair] = ts
        return None

    def _deltas(
        self,
        out: list[Event],
        symbol: str,
        side: BookSide,
        levels: Iterable[Sequence[str]],
        apply: SetLevel | None,
        ts: int,
        ts_recv: int,
    ) -> None:
        """Append one ``BookDelta`` per ``[price, volume, …]`` level, applied to the book
        through ``apply`` when there is one (its floats are the book's)."""
        provider = self.provider
        for level in levels:
            price, size = apply(level[0], level[1]) if apply else (float(level[0]), float(level[1]))
            out.append(
                BookDelta(
                    symbol=symbol,
                    venue=VENUE,
                    provider=provider,
                    ts_event=ts,
                    ts_recv=ts_recv,
                    side=side,
                    price=price,
                    size=size,
                )
            )

    def _mismatch(self, pair: str, symbol: str, checksum: int, ts: int, ts_recv: int) -> Gap:
        self.checksums_failed += 1
        self.books.pop(pair, None)
        self.resubscribe.add(pair)
        return Gap(
            symbol=symbol,
            venue=VENUE,
            provider=self.provider,
            ts_event=ts,
            ts_recv=ts_recv,
            from_ts=self._last_ts.get(pair, ts),
            to_ts=ts,
            reason="checksum_mismatch",
            detail=f"book CRC32 {checksum} did not match; resubscribing {pair}",
        )
