"""Order-by-order book of one symbol, aggregated into price levels as it changes.

Prices stay raw integers (the feed's units, before ``PriceScaleCode``) so levels are exact keys;
the feed handler converts to float only when it emits a level. Every operation returns what it
changed, so one message costs one dictionary update per touched level and nothing is rescanned.

A book is *trusted* when it has been built from the start of the day (the channel began at
sequence 1) or rebuilt since; after a sequence gap or a Symbol Clear it is cleared and marked
stale: orders added later are still tracked, but executions, modifies and deletes of orders it
never saw are expected then, and nothing it holds is published until it is trusted again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, Protocol, TypeAlias

Order: TypeAlias = tuple[bool, int, int]
"""(is_bid, raw price, open volume)."""
Level: TypeAlias = tuple[bool, int, int]
"""(is_bid, raw price, new total volume at that price; 0 = level gone)."""

NO_CHANGE: Final[tuple[Level, ...]] = ()


class Book(Protocol):
    """What the feed needs of a book: :class:`OrderBook` (the reference) or the kernel's
    compiled ``Book`` (``kernel.pyx``), which has the same methods and return values."""

    trusted: bool
    published: bool

    @property
    def orders(self) -> Mapping[int, Order]: ...

    def __len__(self) -> int: ...

    def clear(self) -> None: ...

    def order(self, order_id: int) -> Order | None: ...

    def add(self, order_id: int, is_bid: bool, price: int, volume: int) -> Level | None: ...

    def modify(self, order_id: int, price: int, volume: int) -> tuple[Level, ...] | None: ...

    def delete(self, order_id: int) -> Level | None: ...

    def execute(self, order_id: int, volume: int) -> tuple[Order, Level] | None: ...

    def replace(
        self, order_id: int, new_id: int, price: int, volume: int
    ) -> tuple[Level, ...] | None: ...

    def levels(self, is_bid: bool) -> list[tuple[int, int]]: ...


class OrderBook:
    """Orders by id and the volume at each price, per side."""

    __slots__ = ("asks", "bids", "orders", "published", "trusted")

    def __init__(self, trusted: bool) -> None:
        self.orders: dict[int, Order] = {}
        self.bids: dict[int, int] = {}
        self.asks: dict[int, int] = {}
        self.trusted = trusted
        self.published = False
        """True once the book's first snapshot went out (deltas may follow)."""

    def __len__(self) -> int:
        return len(self.orders)

    def clear(self) -> None:
        self.orders.clear()
        self.bids.clear()
        self.asks.clear()

    def order(self, order_id: int) -> Order | None:
        return self.orders.get(order_id)

    def _move(self, is_bid: bool, price: int, change: int) -> int:
        """Add ``change`` to the level; the new total (the level is removed at 0)."""
        levels = self.bids if is_bid else self.asks
        total = levels.get(price, 0) + change
        if total > 0:
            levels[price] = total
        else:
            levels.pop(price, None)
            total = 0
        return total

    def add(self, order_id: int, is_bid: bool, price: int, volume: int) -> Level | None:
        """A new resting order; ``None`` if the id is already live (a feed error)."""
        if order_id in self.orders:
            return None
        self.orders[order_id] = (is_bid, price, volume)
        return (is_bid, price, self._move(is_bid, price, volume))

    def modify(self, order_id: int, price: int, volume: int) -> tuple[Level, ...] | None:
        """New price and/or volume of a live order; ``None`` when the id is unknown."""
        old = self.orders.get(order_id)
        if old is None:
            return None
        is_bid, old_price, old_volume = old
        self.orders[order_id] = (is_bid, price, volume)
        if price == old_price:
            if volume == old_volume:
                return NO_CHANGE
            return ((is_bid, price, self._move(is_bid, price, volume - old_volume)),)
        return (
            (is_bid, old_price, self._move(is_bid, old_price, -old_volume)),
            (is_bid, price, self._move(is_bid, price, volume)),
        )

    def delete(self, order_id: int) -> Level | None:
        old = self.orders.pop(order_id, None)
        if old is None:
            return None
        is_bid, price, volume = old
        return (is_bid, price, self._move(is_bid, price, -volume))

    def execute(self, order_id: int, volume: int) -> tuple[Order, Level] | None:
        """``volume`` of the order traded: (the order before, its level after); ``None`` when
        the id is unknown. An execution larger than the order removes it."""
        old = self.orders.get(order_id)
        if old is None:
            return None
        is_bid, price, open_volume = old
        left = open_volume - volume
        if left > 0:
            self.orders[order_id] = (is_bid, price, left)
        else:
            del self.orders[order_id]
            volume = open_volume
        return old, (is_bid, price, self._move(is_bid, price, -volume))

    def replace(
        self, order_id: int, new_id: int, price: int, volume: int
    ) -> tuple[Level, ...] | None:
        """The order is cancelled and ``new_id`` takes its side at a new price/volume."""
        old = self.orders.pop(order_id, None)
        if old is None:
            return None
        is_bid, old_price, old_volume = old
        self.orders[new_id] = (is_bid, price, volume)
        if price == old_price:
            return ((is_bid, price, self._move(is_bid, price, volume - old_volume)),)
        return (
            (is_bid, old_price, self._move(is_bid, old_price, -old_volume)),
            (is_bid, price, self._move(is_bid, price, volume)),
        )

    def levels(self, is_bid: bool) -> list[tuple[int, int]]:
        """(raw price, volume), best first."""
        side = self.bids if is_bid else self.asks
        return sorted(side.items(), reverse=is_bid)
