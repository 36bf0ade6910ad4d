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
from bisect import bisect_left, insort
from typing import Final

CHECKSUM_LEVELS: Final = 10


def _digits(text: str) -> str:
    return text.replace(".", "").lstrip("0")


class PairBook:
    """One pair's L2 book: price → checksum text per side, keys kept sorted."""

    __slots__ = ("_ask_keys", "_bid_keys", "asks", "bids", "depth")

    def __init__(self, depth: int) -> None:
        self.depth = depth
        self.asks: dict[float, str] = {}
        self.bids: dict[float, str] = {}
        self._ask_keys: list[float] = []  # ascending price: best ask first
        self._bid_keys: list[float] = []  # ascending negated price: best bid first

    def load(self, asks: list[list[str]], bids: list[list[str]]) -> None:
        """Replace the book with a snapshot's levels (``[price, volume, timestamp]``)."""
        self.asks = {float(lv[0]): _digits(lv[0]) + _digits(lv[1]) for lv in asks}
        self.bids = {float(lv[0]): _digits(lv[0]) + _digits(lv[1]) for lv in bids}
        self._ask_keys = sorted(self.asks)
        self._bid_keys = sorted(-p for p in self.bids)

    def set_ask(self, price_text: str, volume_text: str) -> tuple[float, float]:
        return self._set(self.asks, self._ask_keys, 1.0, price_text, volume_text)

    def set_bid(self, price_text: str, volume_text: str) -> tuple[float, float]:
        return self._set(self.bids, self._bid_keys, -1.0, price_text, volume_text)

    @staticmethod
    def _set(
        levels: dict[float, str],
        keys: list[float],
        sign: float,
        price_text: str,
        volume_text: str,
    ) -> tuple[float, float]:
        price = float(price_text)
        volume = float(volume_text)
        if volume == 0.0:
            if levels.pop(price, None) is not None:
                del keys[bisect_left(keys, sign * price)]
        else:
            if price not in levels:
                insort(keys, sign * price)
            levels[price] = _digits(price_text) + _digits(volume_text)
        return price, volume

    def truncate(self) -> None:
        """Drop levels beyond the subscribed depth (the venue no longer reports them)."""
        depth = self.depth
        if len(self._ask_keys) > depth:
            for key in self._ask_keys[depth:]:
                del self.asks[key]
            del self._ask_keys[depth:]
        if len(self._bid_keys) > depth:
            for key in self._bid_keys[depth:]:
                del self.bids[-key]
            del self._bid_keys[depth:]

    def checksum(self) -> int:
        asks = self.asks
        bids = self.bids
        parts = [asks[k] for k in self._ask_keys[:CHECKSUM_LEVELS]]
        parts += [bids[-k] for k in self._bid_keys[:CHECKSUM_LEVELS]]
        return zlib.crc32("".join(parts).encode())
