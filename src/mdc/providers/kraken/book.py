"""Kraken WebSocket v1 book with CRC32 checksum validation after every update.

https://docs.kraken.com/api/docs/guides/spot-ws-book-v1 : the checksum is the CRC32 of the top
10 asks (low to high) then the top 10 bids (high to low), each level written as its price and
volume text with the ``.`` removed and leading zeros stripped. Each level therefore keeps that
checksum text, made once when the level is set (the float price is only the sort key); after
each update the book is truncated to the subscribed depth, since levels pushed out of scope are
not deleted on the wire.
"""

from __future__ import annotations

import zlib
from bisect import bisect_left
from typing import Final

CHECKSUM_LEVELS: Final = 10


def _digits(text: str) -> str:
    return text.replace(".", "").lstrip("0")


class PairBook:
    """One pair's L2 book: per side, sorted keys and the checksum text of each level, aligned.

    Asks are keyed by price (best first), bids by the negated price (best first), so the top of
    both sides is the head of a list and the checksum is two slices joined.
    """

    __slots__ = ("_ask_keys", "_ask_text", "_bid_keys", "_bid_text", "depth")

    def __init__(self, depth: int) -> None:
        self.depth = depth
        self._ask_keys: list[float] = []
        self._ask_text: list[str] = []
        self._bid_keys: list[float] = []
        self._bid_text: list[str] = []

    def load(self, asks: list[list[str]], bids: list[list[str]]) -> None:
        """Replace the book with a snapshot's levels (``[price, volume, timestamp]``)."""
        ask_levels = sorted((float(lv[0]), _digits(lv[0]) + _digits(lv[1])) for lv in asks)
        bid_levels = sorted((-float(lv[0]), _digits(lv[0]) + _digits(lv[1])) for lv in bids)
        self._ask_keys = [k for k, _ in ask_levels]
        self._ask_text = [t for _, t in ask_levels]
        self._bid_keys = [k for k, _ in bid_levels]
        self._bid_text = [t for _, t in bid_levels]

    def set_ask(self, price_text: str, volume_text: str) -> tuple[float, float]:
        price = float(price_text)
        return price, _set(self._ask_keys, self._ask_text, price, price_text, volume_text)

    def set_bid(self, price_text: str, volume_text: str) -> tuple[float, float]:
        price = float(price_text)
        return price, _set(self._bid_keys, self._bid_text, -price, price_text, volume_text)

    def sizes(self) -> tuple[int, int]:
        """Levels held on the ask and bid side."""
        return len(self._ask_keys), len(self._bid_keys)

    def truncate(self) -> None:
        """Drop levels beyond the subscribed depth (the venue no longer reports them)."""
        depth = self.depth
        if len(self._ask_keys) > depth:
            del self._ask_keys[depth:], self._ask_text[depth:]
        if len(self._bid_keys) > depth:
            del self._bid_keys[depth:], self._bid_text[depth:]

    def checksum(self) -> int:
        top = CHECKSUM_LEVELS
        text = "".join(self._ask_text[:top]) + "".join(self._bid_text[:top])
        return zlib.crc32(text.encode())


def _set(keys: list[float], texts: list[str], key: float, price: str, volume: str) -> float:
    size = float(volume)
    i = bisect_left(keys, key)
    found = i < len(keys) and keys[i] == key
    if size == 0.0:
        if found:
            del keys[i], texts[i]
    elif found:
        texts[i] = _digits(price) + _digits(volume)
    else:
        keys.insert(i, key)
        texts.insert(i, _digits(price) + _digits(volume))
    return size
