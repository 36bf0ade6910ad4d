"""An L2 order book: price levels per side, kept sorted so the top is always at hand.

Each side is a dict (price → size) plus a sorted list of keys. Keys are the price for bids and the
negated price for asks, both ascending, so the *best* level of either side is the last element:
inserts and deletes near the touch (the common case) move few list entries, and the worst level
is ``keys[0]`` when a side outgrows ``max_levels``. A size update at an existing price touches
only the dict — the hot path of every depth feed.

The book stores every level the feed sends (deeper levels become the top when the top is
removed); ``depth`` is only the default view size. No I/O, no events: the depth collector
decides what a crossed book or a stale update means.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Iterable
from typing import Final

MAX_LEVELS: Final = 5_000
"""Levels kept per side; beyond this the worst level is dropped (bounds memory when a feed
never deletes levels that drift away from the touch)."""
SPREAD_NORMAL: Final = 0
SPREAD_LOCKED: Final = 1
SPREAD_CROSSED: Final = 2
_INF: Final = float("inf")

Level = tuple[float, float]


class OrderBook:
    """L2 state of one instrument on one venue from one provider."""

    __slots__ = (
        "_ask_keys",
        "_asks",
        "_bid_keys",
        "_bids",
        "depth",
        "max_levels",
        "needs_snapshot",
        "provider",
        "seq",
        "symbol",
        "ts_event",
        "ts_recv",
        "venue",
    )

    def __init__(
        self,
        symbol: str,
        venue: str,
        provider: str,
        depth: int = 10,
        max_levels: int = MAX_LEVELS,
    ) -> None:
        self.symbol = symbol
        self.venue = venue
        self.provider = provider
        self.depth = depth
        self.max_levels = max(max_levels, depth, 1)
        self._bids: dict[float, float] = {}
        self._asks: dict[float, float] = {}
        self._bid_keys: list[float] = []  # prices, ascending: best bid last
        self._ask_keys: list[float] = []  # negated prices, ascending: best ask last
        self.ts_event = 0
        """``ts_event`` of the last applied update (0 = none since creation or reset)."""
        self.ts_recv = 0
        self.seq: int | None = None
        self.needs_snapshot = True
        """No snapshot applied since creation or the last reset."""

    # -- updates ----------------------------------------------------------------------------
    def apply_delta(self, is_bid: bool, price: float, size: float) -> bool:
        """Set the total size at ``price`` (0 removes the level).

        Returns False, changing nothing, for a non-finite price or a negative / NaN size.
        """
        if not (-_INF < price < _INF and size >= 0.0):
            return False
        if is_bid:
            levels = self._bids
            keys = self._bid_keys
            key = price
        else:
            levels = self._asks
            keys = self._ask_keys
            key = -price
        if size > 0.0:
            if price in levels:
                levels[price] = size
                return True
            levels[price] = size
            insort(keys, key)
            if len(keys) > self.max_levels:
                worst = keys.pop(0)
                del levels[worst if is_bid else -worst]
        elif levels.pop(price, None) is not None:
            del keys[bisect_left(keys, key)]
        return True

    def apply_snapshot(self, bids: Iterable[Level], asks: Iterable[Level]) -> int:
        """Replace all state with these levels (any order; a repeated price keeps its last
        size, 0 removing it). Returns how many levels were invalid and left out."""
        new_bids = self._build(bids, negate=False)
        new_asks = self._build(asks, negate=True)
        self._bids, self._bid_keys, bad_bids = new_bids
        self._asks, self._ask_keys, bad_asks = new_asks
        self.needs_snapshot = False
        return bad_bids + bad_asks

    def _build(
        self, source: Iterable[Level], negate: bool
    ) -> tuple[dict[float, float], list[float], int]:
        levels: dict[float, float] = {}
        bad = 0
        for price, size in source:
            if not (-_INF < price < _INF and size >= 0.0):
                bad += 1
            elif size > 0.0:
                levels[price] = size
            else:
                levels.pop(price, None)
        keys = sorted(-p for p in levels) if negate else sorted(levels)
        if len(keys) > self.max_levels:
            for key in keys[: len(keys) - self.max_levels]:
                del levels[-key if negate else key]
            keys = keys[len(keys) - self.max_levels :]
        return levels, keys, bad

    def clear(self) -> None:
        """Forget every level and wait for a snapshot (the reset after an integrity failure)."""
        self._bids = {}
        self._asks = {}
        self._bid_keys = []
        self._ask_keys = []
        self.needs_snapshot = True

    # -- views ------------------------------------------------------------------------------
    def best_bid(self) -> Level | None:
        keys = self._bid_keys
        if not keys:
            return None
        price = keys[-1]
        return price, self._bids[price]

    def best_ask(self) -> Level | None:
        keys = self._ask_keys
        if not keys:
            return None
        price = -keys[-1]
        return price, self._asks[price]

    def top(self, n: int | None = None) -> tuple[list[Level], list[Level]]:
        """The best ``n`` (default ``depth``) levels of each side, best first."""
        n = self.depth if n is None else n
        if n <= 0:
            return [], []
        bids = self._bids
        asks = self._asks
        return (
            [(p, bids[p]) for p in reversed(self._bid_keys[-n:])],
            [(-k, asks[-k]) for k in reversed(self._ask_keys[-n:])],
        )

    def size_at(self, is_bid: bool, price: float) -> float:
        """Total size at ``price`` on one side (0 when there is no such level)."""
        return (self._bids if is_bid else self._asks).get(price, 0.0)

    def spread_state(self) -> int:
        """``SPREAD_NORMAL``, ``SPREAD_LOCKED`` or ``SPREAD_CROSSED`` (normal when a side is
        empty); one call, no allocation, for the check after every update."""
        bids = self._bid_keys
        asks = self._ask_keys
        if not (bids and asks):
            return SPREAD_NORMAL
        bid = bids[-1]
        ask = -asks[-1]
        if bid < ask:
            return SPREAD_NORMAL
        return SPREAD_LOCKED if bid == ask else SPREAD_CROSSED

    @property
    def crossed(self) -> bool:
        """Best bid above best ask."""
        return bool(self._bid_keys and self._ask_keys) and self._bid_keys[-1] > -self._ask_keys[-1]

    @property
    def locked(self) -> bool:
        """Best bid equal to best ask."""
        return bool(self._bid_keys and self._ask_keys) and self._bid_keys[-1] == -self._ask_keys[-1]

    @property
    def bid_levels(self) -> int:
        return len(self._bid_keys)

    @property
    def ask_levels(self) -> int:
        return len(self._ask_keys)

    def __len__(self) -> int:
        return len(self._bid_keys) + len(self._ask_keys)

    def __repr__(self) -> str:
        bid = self.best_bid()
        ask = self.best_ask()
        return (
            f"OrderBook({self.symbol}@{self.venue} via {self.provider}: "
            f"{self.bid_levels} bids, {self.ask_levels} asks, best {bid} / {ask})"
        )
