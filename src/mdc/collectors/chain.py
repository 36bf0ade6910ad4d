"""All per-stream collectors, run over each batch in one pass.

For every event, in batch order: the sequence tracker checks its ``seq`` (per each provider's
rule), then the state machine of its type runs — books for ``BookSnapshot``/``BookDelta``, the
BBO for ``Quote``, aggressor inference for ``Trade``. What they find goes into the batch as
``Integrity``/``Gap`` events right after the event that triggered them. Events flagged as
duplicates or out of order stay in the batch (the archive keeps what was received) but do not
change any state. An event that cannot be processed at all becomes a ``bad_event`` integrity
record; nothing here raises on bad data.

State is kept per stream, keyed ``(symbol, venue, provider)``.
"""

from __future__ import annotations

import math
from types import ModuleType
from typing import Final

from mdc.collectors.depth import DepthCollector
from mdc.collectors.emit import BAD_EVENT, INTEGRITY_KINDS, Emitter, StreamKey
from mdc.collectors.quote import QuoteCollector
from mdc.collectors.sequence import SEQ_GAP, SEQ_OK, SequenceTracker, _Position
from mdc.collectors.trade import TradeCollector, _Tick
from mdc.domain import native
from mdc.domain.book import OrderBook
from mdc.domain.capabilities import Capabilities, SeqScope
from mdc.domain.events import (
    BookDelta,
    BookSnapshot,
    Event,
    Gap,
    Integrity,
    Quote,
    Trade,
)
from mdc.domain.time import NS_PER_S

DEFAULT_STALE_AFTER_NS: Final = 30 * NS_PER_S
_OWN_SEQUENCE_RULES: Final = frozenset((BookSnapshot, Gap, Integrity))
"""Not checked by ``observe``: snapshots restart a sequence, gaps reset it, integrity
records are derived (they repeat their trigger's ``seq``)."""
KERNEL: Final = "mdc.collectors.kernel"


class Collectors:
    """Books, BBOs, trade sides and sequences of every stream the collector sees."""

    def __init__(
        self,
        depth_levels: int = 10,
        seq_rules: dict[str, tuple[SeqScope, bool]] | None = None,
        stale_after_ns: int = DEFAULT_STALE_AFTER_NS,
    ) -> None:
        """``seq_rules``: provider name → (``Capabilities.seq_scope``, ``seq_contiguous``);
        ``stale_after_ns``: a BBO older than this before a trade is not used to infer its side.
        """
        self._emit = Emitter()
        self._sequence = SequenceTracker(self._emit)
        for name, (scope, contiguous) in (seq_rules or {}).items():
            self._sequence.set_rule(name, scope, contiguous)
        self._depth = DepthCollector(self._emit, depth_levels)
        self._quotes = QuoteCollector()
        self._trades = TradeCollector(self._quotes.quotes, self._depth.books, stale_after_ns)
        self._events = 0
        self._kernel_events = 0
        self.kernel: ModuleType | None = native.load(KERNEL)
        """The compiled delta path (``kernel.pyx``), or None: the Python methods do it all."""

    def register_provider(self, name: str, capabilities: Capabilities) -> None:
        """Track ``name``'s sequence numbers as its capabilities define them."""
        self._sequence.set_rule(name, capabilities.seq_scope, capabilities.seq_contiguous)

    def process(self, batch: list[Event]) -> list[Event]:
        """Run every collector over ``batch``; returns it (same list) with trade sides filled in
        and ``Integrity``/``Gap`` events inserted after their triggers.

        The hot path is inlined: an event whose ``seq`` is the next of its sequence only moves
        the position (what ``SequenceTracker.observe`` would do), and a quote only replaces its
        stream's BBO; with the compiled kernel (``collectors/kernel.pyx``) a run of book deltas
        without ``seq`` is ``DepthCollector.on_delta``'s in C up to the first it leaves to the
        method; everything else goes through the collectors' methods.
        """
        self._events += len(batch)
        sequence = self._sequence
        observe = sequence.observe
        rule_of = sequence.rule
        on_delta = self._depth.on_delta
        on_trade = self._trades.on_trade
        on_quote = self._quotes.on_quote
        quotes = self._quotes.quotes
        provider: str | None = None
        rule: tuple[dict[str, _Position], bool, bool] | None = None
        positions: dict[str, _Position] = {}
        per_symbol = contiguous = True
        deltas = None if self.kernel is None else self.kernel.deltas
        depth = self._depth
        n = len(batch)
        index = 0
        while index < n:
            ev = batch[index]
            try:
                cls = type(ev)
                if cls is BookDelta and deltas is not None:
                    done: int = deltas(depth, batch, index)  # a run of common-case deltas
                    if done > index:
                        index = done
                        continue
                seq = ev.seq
                code = SEQ_OK
                if seq is not None and cls not in _OWN_SEQUENCE_RULES:
                    if ev.provider != provider:
                        provider = ev.provider
                        rule = rule_of(provider)
                        if rule is not None:
                            positions, per_symbol, contiguous = rule
                    if rule is not None:
                        pos = positions.get(ev.symbol if per_symbol else ev.venue)
                        if pos is not None and (
                            seq == pos.seq + 1 or (not contiguous and seq > pos.seq)
                        ):
                            pos.seq = seq
                            pos.ts_event = ev.ts_event
                            pos.ts_recv = ev.ts_recv
                        else:
                            code = observe(ev, seq, index)
                            if code == SEQ_GAP:
                                self._after_gap(ev, index)
                if cls is Quote:
                    if code <= SEQ_GAP:
                        key = (ev.symbol, ev.venue, ev.provider)
                        if key in quotes:
                            quotes[key] = ev  # type: ignore[assignment]
                        else:
                            on_quote(ev, key)  # type: ignore[arg-type]
                elif cls is BookDelta:
                    if code <= SEQ_GAP:
                        on_delta(ev, (ev.symbol, ev.venue, ev.provider), index)  # type: ignore[arg-type]
                elif cls is Trade:
                    on_trade(ev, (ev.symbol, ev.venue, ev.provider), code <= SEQ_GAP)  # type: ignore[arg-type]
                elif cls is BookSnapshot:
                    code = sequence.snapshot(ev, index)  # type: ignore[arg-type]
                    if code == SEQ_GAP:
                        self._after_gap(ev, index)
                    if code <= SEQ_GAP:
                        self._depth.on_snapshot(ev, (ev.symbol, ev.venue, ev.provider), index)  # type: ignore[arg-type]
                elif cls is Gap:
                    # An outage the provider reported: numbering may restart after it.
                    per = sequence.per_symbol(ev.provider)
                    sequence.reset(ev.provider, ev.symbol if per else None)
            except Exception as exc:  # bad data must never stop the collector
                self._bad_event(ev, index, exc)
            index += 1
        try:
            self._depth.flush()
        except Exception as exc:
            self._bad_event(batch[-1], len(batch) - 1, exc)
        self._emit.splice(batch)
        return batch

    def kernel_state(
        self, provider: str
    ) -> (
        tuple[
            dict[str, _Position],
            dict[StreamKey, Quote],
            dict[StreamKey, _Tick],
            int,
            dict[StreamKey, OrderBook],
            DepthCollector,
        ]
        | None
    ):
        """The state a compiled kernel moves for ``provider``'s streams (positions, BBOs, trade
        ticks, the BBO staleness limit, books and their depth collector), or None when its
        sequence is not the per-symbol contiguous kind the kernel's inline check assumes."""
        rule = self._sequence.rule(provider)
        if rule is None or not (rule[1] and rule[2]):
            return None
        trades = self._trades
        return (
            rule[0],
            self._quotes.quotes,
            trades.ticks,
            trades.stale_ns,
            self._depth.books,
            self._depth,
        )

    def count_kernel(self, events: int, inferred: int) -> None:
        """Add what a kernel processed to the counters ``stats`` reports."""
        self._events += events
        self._kernel_events += events
        self._trades.inferred += inferred

    def _after_gap(self, ev: Event, index: int) -> None:
        self._depth.reset_after_gap(ev, index, self._sequence.per_symbol(ev.provider))

    def _bad_event(self, ev: object, index: int, exc: Exception) -> None:
        """Record an event that broke a collector (it may not even be an event)."""
        self._emit.inserts.append(
            (
                index,
                Integrity(
                    symbol=str(getattr(ev, "symbol", "")),
                    venue=str(getattr(ev, "venue", "")),
                    provider=str(getattr(ev, "provider", "")),
                    ts_event=_int_or_zero(getattr(ev, "ts_event", 0)),
                    ts_recv=_int_or_zero(getattr(ev, "ts_recv", 0)),
                    kind=BAD_EVENT,
                    severity="error",
                    detail=f"{type(ev).__name__} not processed: {type(exc).__name__}: {exc}",
                ),
            )
        )
        self._emit.counts[BAD_EVENT] += 1

    # -- queries ----------------------------------------------------------------------------
    def book(self, symbol: str, venue: str | None = None) -> OrderBook | None:
        """The most recently updated book of ``symbol`` (on ``venue``, when given)."""
        return self._depth.book(symbol, venue)

    def bbo(self, symbol: str, venue: str | None = None) -> Quote | None:
        """The newest quote of ``symbol``; without quotes, its book's top as a ``Quote``
        (a missing side has price NaN and size 0)."""
        quote = self._quotes.latest(symbol, venue)
        if quote is not None:
            return quote
        book = self._depth.book(symbol, venue)
        if book is None:
            return None
        bid = book.best_bid()
        ask = book.best_ask()
        if bid is None and ask is None:
            return None
        return Quote(
            symbol=book.symbol,
            venue=book.venue,
            provider=book.provider,
            ts_event=book.ts_event,
            ts_recv=book.ts_recv,
            seq=book.seq,
            bid_price=math.nan if bid is None else bid[0],
            bid_size=0.0 if bid is None else bid[1],
            ask_price=math.nan if ask is None else ask[0],
            ask_size=0.0 if ask is None else ask[1],
        )

    def awaiting_snapshot(self) -> list[OrderBook]:
        """Books that drop deltas until their provider sends a snapshot (resubscribe them)."""
        return [b for b in self._depth.books.values() if self._depth.awaiting_snapshot(b)]

    # -- control ----------------------------------------------------------------------------
    def widen_depth(self, levels: int) -> None:
        """Books opened from now on keep at least ``levels`` levels (a reload added a deeper
        symbol; existing books keep theirs until they are reset)."""
        self._depth.depth_levels = max(self._depth.depth_levels, levels)

    def reset(self, symbol: str | None = None) -> None:
        """Forget all state (or one symbol's): books, BBOs, trade ticks, per-symbol sequences.
        Per-feed sequences span symbols, so only a full reset clears them."""
        self._depth.forget(symbol=symbol)
        self._quotes.forget(symbol=symbol)
        self._trades.forget(symbol=symbol)
        self._sequence.reset(symbol=symbol)

    def reset_provider(self, name: str) -> None:
        """Forget everything learnt from ``name`` (call when its connection restarts: its
        sequences start over and its books need a new snapshot)."""
        self._depth.forget(provider=name)
        self._quotes.forget(provider=name)
        self._trades.forget(provider=name)
        self._sequence.reset(provider=name)

    def stats(self) -> dict[str, int]:
        """Counters for /status and metrics (every integrity kind present, 0 when unseen)."""
        counts = self._emit.counts
        out = {
            "events": self._events,
            "kernel_events": self._kernel_events,
            "sides_inferred": self._trades.inferred,
            "bbo_streams": len(self._quotes),
            "sequences": len(self._sequence),
            "gaps": self._emit.gaps,
            "integrity": sum(counts.values()),
            **self._depth.stats(),
        }
        for kind in INTEGRITY_KINDS:
            out[f"integrity.{kind}"] = counts.get(kind, 0)
        return out


def _int_or_zero(value: object) -> int:
    return value if isinstance(value, int) else 0
