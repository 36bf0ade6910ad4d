"""Binance local order book synchronisation: diff-depth events + REST snapshot, per the docs.

https://developers.binance.com/docs/binance-spot-api-docs/web-socket-streams#how-to-manage-a-local-order-book-correctly

1. Buffer the diff-depth events of a symbol and note the ``U`` of the first one.
2. Fetch a REST depth snapshot. If its ``lastUpdateId`` < that first ``U``, fetch again.
3. Drop buffered events with ``u`` <= ``lastUpdateId``; the first one left must have
   ``lastUpdateId`` in ``[U; u]`` (else events were lost: start over).
4. The book is the snapshot; apply the buffered events, then every new one:
   ``u`` <= book's update id → ignore; ``U`` > book's update id + 1 → something was lost:
   discard the book and start over (one ``Gap``); else apply and set the book's id to ``u``.

The book itself is not kept here (the collectors keep books): what matters is which events are
applied, and the snapshot and deltas emitted carry ``seq`` = the update id they bring the book to.
The REST snapshot has no time of its own; it is stamped with the event time of the last buffered
event it already contains (or of the first one applied after it), so no delta that follows is
older than the book.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final, Literal

import msgspec

from mdc.domain.events import BookDelta, BookSide, BookSnapshot, Event, Gap

VENUE: Final = "binance"
MAX_BUFFERED: Final = 10_000
"""Events buffered per symbol while a snapshot is fetched; beyond this the sync starts over."""

State = Literal["waiting", "fetching", "synced"]


class DepthUpdate(msgspec.Struct, gc=False, rename={"ts": "E", "first": "U", "last": "u"}):
    s: str
    ts: int
    first: int
    last: int
    b: list[tuple[float, float]]
    a: list[tuple[float, float]]


class DepthSnapshot(msgspec.Struct, gc=False, rename={"last_update_id": "lastUpdateId"}):
    last_update_id: int
    bids: list[tuple[float, float]]
    asks: list[tuple[float, float]]


snapshot_decoder: Final = msgspec.json.Decoder(DepthSnapshot, strict=False)


@dataclass(slots=True)
class _Symbol:
    state: State = "waiting"
    buffer: list[tuple[DepthUpdate, int]] = field(default_factory=list)
    first_update: int = 0
    update_id: int = 0
    last_ts: int = 0
    snapshots: int = 0


class DepthSync:
    """Per-symbol sync state machines; ``pending`` lists the symbols that need a snapshot."""

    def __init__(self, provider: str = VENUE) -> None:
        self.provider = provider
        self.pending: set[str] = set()
        """Symbols (normalised) waiting for :meth:`snapshot`; the stream fetches them."""
        self.stale = 0
        self.restarts = 0
        self._symbols: dict[str, _Symbol] = {}

    def reset(self) -> None:
        """A new connection: every book starts over from a new snapshot."""
        self._symbols.clear()
        self.pending.clear()

    def forget(self, symbol: str) -> None:
        """An unsubscribed symbol: a later subscription syncs from scratch."""
        self._symbols.pop(symbol, None)
        self.pending.discard(symbol)

    def state(self, symbol: str) -> State:
        s = self._symbols.get(symbol)
        return "waiting" if s is None else s.state

    def snapshots_fetched(self, symbol: str) -> int:
        """Snapshots taken for the current sync attempt (the stream backs off on this)."""
        s = self._symbols.get(symbol)
        return 0 if s is None else s.snapshots

    def update(self, symbol: str, event: DepthUpdate, ts_recv: int) -> list[Event]:
        s = self._symbols.get(symbol)
        if s is None:
            s = self._symbols[symbol] = _Symbol()
        if s.state == "synced":
            return self._apply(symbol, s, event, ts_recv)
        if s.state == "waiting" or len(s.buffer) >= MAX_BUFFERED:
            s.state = "fetching"
            s.buffer = [(event, ts_recv)]
            s.first_update = event.first
            s.snapshots = 0
            self.pending.add(symbol)
        else:
            s.buffer.append((event, ts_recv))
        return []

    def snapshot(self, symbol: str, snap: DepthSnapshot, ts_recv: int) -> list[Event]:
        """Feed a REST snapshot; returns the snapshot and buffered deltas once in sync."""
        s = self._symbols.get(symbol)
        if s is None or s.state != "fetching":
            return []  # a late answer for a sync that was abandoned
        s.snapshots += 1
        last_id = snap.last_update_id
        if last_id < s.first_update:
            return []  # older than the stream: still pending, fetch again
        contained = [e for e, _ in s.buffer if e.last <= last_id]
        buffered = [(e, t) for e, t in s.buffer if e.last > last_id]
        if buffered and buffered[0][0].first > last_id + 1:
            # Events between the snapshot and the buffer are missing: start over.
            self.restarts += 1
            s.state = "waiting"
            s.buffer = []
            self.pending.discard(symbol)
            return []
        self.pending.discard(symbol)
        s.state = "synced"
        s.buffer = []
        s.update_id = last_id
        if contained:
            ts = contained[-1].ts * 1_000_000
        else:
            ts = buffered[0][0].ts * 1_000_000 if buffered else ts_recv
        s.last_ts = ts
        events: list[Event] = [
            BookSnapshot(
                symbol=symbol,
                venue=VENUE,
                provider=self.provider,
                ts_event=ts,
                ts_recv=ts_recv,
                seq=last_id,
                bids=snap.bids,
                asks=snap.asks,
            )
        ]
        for event, t in buffered:
            events.extend(self._apply(symbol, s, event, t))
        return events

    def _apply(self, symbol: str, s: _Symbol, event: DepthUpdate, ts_recv: int) -> list[Event]:
        if event.last <= s.update_id:
            self.stale += 1
            return []
        ts = event.ts * 1_000_000
        if event.first > s.update_id + 1:
            gap = Gap(
                symbol=symbol,
                venue=VENUE,
                provider=self.provider,
                ts_event=ts,
                ts_recv=ts_recv,
                from_ts=s.last_ts,
                to_ts=ts,
                reason="depth_update_id_gap",
                detail=f"update ids {s.update_id + 1}..{event.first - 1} missing; resyncing",
            )
            self.restarts += 1
            s.state = "fetching"
            s.buffer = [(event, ts_recv)]
            s.first_update = event.first
            s.snapshots = 0
            self.pending.add(symbol)
            return [gap]
        s.update_id = event.last
        s.last_ts = ts
        provider = self.provider
        seq = event.last
        deltas: list[Event] = []  # a few levels per event: plain loops beat comprehensions
        sides: tuple[tuple[BookSide, list[tuple[float, float]]], ...] = (
            ("bid", event.b),
            ("ask", event.a),
        )
        for side, levels in sides:
            for price, size in levels:
                deltas.append(
                    BookDelta(
                        symbol=symbol,
                        venue=VENUE,
                        provider=provider,
                        ts_event=ts,
                        ts_recv=ts_recv,
                        seq=seq,
                        side=side,
                        price=price,
                        size=size,
                    )
                )
        return deltas
