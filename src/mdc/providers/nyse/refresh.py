"""Rebuilding a stale book from an XDP refresh without losing what the realtime feed said since.

A book goes stale after a sequence gap, a sequence reset, a Symbol Clear or an order it should
know but does not. With refresh requests on, its symbol gets a :class:`Backlog`: every book
operation the realtime channel applies to it from then on is recorded with the message's
channel sequence number. A refresh (Common v2.3c, "Refresh": per symbol a Symbol Index Mapping,
Imbalance, Security Status and one Add Order Refresh per resting order, each packet opened by a
Refresh Header) reflects the channel up to the header's ``LastSeqNum``; the
:class:`RefreshBuilder` collects its orders per symbol, and :func:`rebuild` makes the new book:
the refreshed orders, then the backlog's operations numbered after ``LastSeqNum``. Realtime
messages numbered at or before ``LastSeqNum`` that arrive after the refresh are already in it
and are not applied again (``Symbol.skip_through`` in ``parse.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from mdc.providers.nyse.book import Book, OrderBook

MAX_BACKLOG: Final = 1_000_000
"""Operations kept per stale symbol; beyond this the backlog is dropped (the symbol then waits
for a refresh that needs none, or a new day) rather than growing without bound."""

Operation = tuple[int, str, tuple[Any, ...]]
"""(channel sequence number, name of the ``Book`` method, its arguments)."""


class Backlog:
    """Book operations of one stale symbol since it went stale, in channel order."""

    __slots__ = ("lost_through", "ops", "overflowed")

    def __init__(self) -> None:
        self.ops: list[Operation] = []
        self.overflowed = False
        self.lost_through = 0
        """Last sequence number of a gap seen while recording: a refresh must reflect at
        least that far, or the operations lost in the gap are missing from the result."""

    def record(self, seq: int, op: str, args: tuple[Any, ...]) -> None:
        if len(self.ops) >= MAX_BACKLOG:
            self.overflowed = True
            self.ops.clear()
        elif not self.overflowed:
            self.ops.append((seq, op, args))


@dataclass
class RefreshBuilder:
    """One refresh sequence of a channel: its ``LastSeqNum`` and the orders per symbol."""

    last_seq: int
    packets: int = 0
    books: dict[int, OrderBook] = field(default_factory=dict)
    """SymbolIndex → the orders the refresh holds (every symbol it named, even with none)."""

    def symbol(self, index: int) -> OrderBook:
        book = self.books.get(index)
        if book is None:
            book = self.books[index] = OrderBook(trusted=True)
        return book


def rebuild(
    refreshed: OrderBook, backlog: Backlog | None, last_seq: int, new_book: Callable[[bool], Book]
) -> Book:
    """The refreshed book with the backlog's operations after ``last_seq`` applied on top, as
    a ``new_book(trusted=True)`` (the feed's kind of book)."""
    book = new_book(True)
    for order_id, (is_bid, price, volume) in refreshed.orders.items():
        book.add(order_id, is_bid, price, volume)
    if backlog is not None:
        for seq, op, args in backlog.ops:
            if seq > last_seq:
                getattr(book, op)(*args)
    return book
