"""Order books per stream: apply snapshots and deltas, and say when a book cannot be trusted.

Rules (each raises one ``Integrity``, right after the event that showed it):

- A provider that has sent a snapshot is a *snapshot provider*: its books start empty and wait
  for one; deltas before it are dropped (``delta_before_snapshot``, once per wait).
  Providers that never send snapshots build their books from deltas alone.
- A delta whose ``ts_event`` is older than the book's last update is stale: dropped,
  ``out_of_order``. Snapshots always apply (they are how a book recovers).
- Crossed and locked books are checked after each *complete* update — a snapshot, or the last of
  consecutive deltas of one book with one ``ts_event`` (one exchange message): inside a message a
  book may cross for a moment (new bid before the old ask is removed) and that is not an error.
  ``crossed_book`` / ``locked_book`` are reported once per episode; the episode ends when the
  book uncrosses, is replaced by a snapshot, or is reset.
- After a sequence gap every book the lost messages could belong to is reset: cleared, marked as
  needing a snapshot, ``book_reset``.
"""

from __future__ import annotations

from mdc.collectors.emit import (
    BAD_VALUE,
    BOOK_RESET,
    CROSSED_BOOK,
    DELTA_BEFORE_SNAPSHOT,
    LOCKED_BOOK,
    OUT_OF_ORDER,
    Emitter,
    StreamKey,
)
from mdc.domain.book import SPREAD_CROSSED, SPREAD_LOCKED, SPREAD_NORMAL, OrderBook
from mdc.domain.events import BookDelta, BookSnapshot, Event


class DepthCollector:
    """All books, with the episode state that keeps reports to one per problem."""

    def __init__(self, emit: Emitter, depth_levels: int) -> None:
        self._emit = emit
        self.depth_levels = depth_levels
        self.books: dict[StreamKey, OrderBook] = {}
        self._by_symbol: dict[str, list[OrderBook]] = {}
        self.snapshot_providers: set[str] = set()
        self.spread_reported: dict[OrderBook, int] = {}
        """Books in a locked/crossed episode → the state already reported (a compiled kernel
        that checks a book itself reads it, and ends an episode when the book uncrosses)."""
        self.wait_reported: set[OrderBook] = set()
        """Books whose current wait for a snapshot was already reported (a compiled kernel
        leaves their deltas out of the book without another report, as :meth:`on_delta` does)."""
        # The book whose last delta run is not yet checked for a crossed/locked top.
        self._pending: OrderBook | None = None
        self._pending_event: BookDelta | None = None
        self._pending_index = -1
        self._pending_ts = 0

    # -- events -----------------------------------------------------------------------------
    def on_delta(self, ev: BookDelta, key: StreamKey, index: int) -> None:
        book = self.books.get(key)
        if book is None:
            book = self._open(ev, key)
        ts = ev.ts_event
        pending = self._pending
        if pending is not None and (pending is not book or ts != self._pending_ts):
            # This delta ends the run: its check, inline when it raises nothing (the book is
            # as reported), which is nearly always so (deltas of one-change messages each end one).
            if pending.spread_state() == self.spread_reported.get(pending, SPREAD_NORMAL):
                self._pending = None
                self._pending_event = None
            else:
                self.flush()
        if book.needs_snapshot and ev.provider in self.snapshot_providers:
            if book not in self.wait_reported:
                self.wait_reported.add(book)
                self._emit.integrity(
                    index,
                    ev,
                    DELTA_BEFORE_SNAPSHOT,
                    "warning",
                    "book awaits a snapshot; deltas are dropped until it arrives",
                )
            return
        if ts < book.ts_event:
            self._emit.integrity(
                index,
                ev,
                OUT_OF_ORDER,
                "warning",
                f"book delta ts_event {ts} older than the book's last update {book.ts_event}",
            )
            return
        side = ev.side
        if not (
            (side == "bid" or side == "ask") and book.apply_delta(side == "bid", ev.price, ev.size)
        ):
            self._emit.integrity(
                index, ev, BAD_VALUE, "warning", f"bad level {side} {ev.price!r} x {ev.size!r}"
            )
            return
        book.ts_event = ts
        book.ts_recv = ev.ts_recv
        book.seq = ev.seq
        self._pending = book
        self._pending_event = ev
        self._pending_index = index
        self._pending_ts = ts

    def on_snapshot(self, ev: BookSnapshot, key: StreamKey, index: int) -> None:
        self.flush()
        book = self.books.get(key)
        if book is None:
            book = self._open(ev, key)
        self.snapshot_providers.add(ev.provider)
        bad = book.apply_snapshot(ev.bids, ev.asks)
        book.ts_event = ev.ts_event
        book.ts_recv = ev.ts_recv
        book.seq = ev.seq
        self.wait_reported.discard(book)
        self.spread_reported.pop(book, None)
        if bad:
            self._emit.integrity(
                index, ev, BAD_VALUE, "warning", f"{bad} invalid levels left out of the snapshot"
            )
        self._check_spread(book, ev, index)

    def pend(self, book: OrderBook, trigger: BookDelta) -> None:
        """Make ``book`` the one whose delta run awaits its check, ``trigger`` the run's last
        delta: a compiled kernel that applied the run hands the check over here when it stops
        mid-run or the check would raise an event. The check's events go first in the next
        batch (index -1), where the trigger, already written, would have had them."""
        self._pending = book
        self._pending_event = trigger
        self._pending_index = -1
        self._pending_ts = trigger.ts_event

    def flush(self) -> None:
        """Check the book of the last delta run (call at the end of every batch)."""
        book = self._pending
        if book is None:
            return
        self._pending = None
        trigger = self._pending_event
        self._pending_event = None
        if trigger is not None:
            self._check_spread(book, trigger, self._pending_index)

    def _check_spread(self, book: OrderBook, trigger: Event, index: int) -> None:
        state = book.spread_state()
        reported = self.spread_reported.get(book, SPREAD_NORMAL)
        if state == reported:
            return
        if state == SPREAD_NORMAL:
            del self.spread_reported[book]
            return
        self.spread_reported[book] = state
        bid = book.best_bid()
        ask = book.best_ask()
        assert bid is not None and ask is not None  # a locked/crossed book has both sides
        if state == SPREAD_CROSSED:
            kind, detail = CROSSED_BOOK, f"best bid {bid[0]} above best ask {ask[0]}"
        else:
            kind, detail = LOCKED_BOOK, f"best bid equals best ask {ask[0]}"
        self._emit.integrity(
            index, trigger, kind, "warning" if state == SPREAD_CROSSED else "info", detail
        )

    # -- resets -----------------------------------------------------------------------------
    def reset_after_gap(self, trigger: Event, index: int, per_symbol: bool) -> None:
        """Reset the books of ``trigger``'s provider that share its sequence: its symbol's
        (per-symbol sequence) or every book of its venue (per-feed sequence)."""
        self.flush()
        provider = trigger.provider
        for book in self.books.values():
            if book.provider != provider:
                continue
            if per_symbol and book.symbol != trigger.symbol:
                continue
            if not per_symbol and book.venue != trigger.venue:
                continue
            if len(book) == 0 and book.needs_snapshot:
                continue  # nothing left to distrust
            book.clear()
            self.wait_reported.discard(book)
            self.spread_reported.pop(book, None)
            self._emit.integrity(
                index,
                trigger,
                BOOK_RESET,
                "warning",
                "sequence gap: book cleared until the next snapshot",
                symbol=book.symbol,
                venue=book.venue,
            )

    def forget(self, symbol: str | None = None, provider: str | None = None) -> None:
        """Drop books (all, one symbol's, one provider's): the next event starts afresh."""
        self.flush()
        for key, book in list(self.books.items()):
            if (symbol is None or book.symbol == symbol) and (
                provider is None or book.provider == provider
            ):
                del self.books[key]
                self.wait_reported.discard(book)
                self.spread_reported.pop(book, None)
                same = self._by_symbol[book.symbol]
                same.remove(book)
                if not same:
                    del self._by_symbol[book.symbol]

    def _open(self, ev: Event, key: StreamKey) -> OrderBook:
        book = OrderBook(ev.symbol, ev.venue, ev.provider, self.depth_levels)
        self.books[key] = book
        self._by_symbol.setdefault(ev.symbol, []).append(book)
        return book

    # -- queries ----------------------------------------------------------------------------
    def book(self, symbol: str, venue: str | None = None) -> OrderBook | None:
        """The most recently updated book of ``symbol`` (on ``venue``, when given)."""
        best: OrderBook | None = None
        for book in self._by_symbol.get(symbol, ()):
            if venue is not None and book.venue != venue:
                continue
            if best is None or book.ts_event > best.ts_event:
                best = book
        return best

    def awaiting_snapshot(self, book: OrderBook) -> bool:
        """True when ``book`` drops deltas until its provider sends a snapshot."""
        return book.needs_snapshot and book.provider in self.snapshot_providers

    def stats(self) -> dict[str, int]:
        states = list(self.spread_reported.values())
        return {
            "books": len(self.books),
            "books_awaiting_snapshot": sum(map(self.awaiting_snapshot, self.books.values())),
            "books_crossed": states.count(SPREAD_CROSSED),
            "books_locked": states.count(SPREAD_LOCKED),
        }
