"""Sequence tracking with each feed's own semantics: holes, repeats and reordering.

A provider declares (``Capabilities``) where its ``seq`` lives — per symbol or per feed (one
sequence across all symbols of a venue's connection) — and whether consecutive messages differ by
exactly 1. Only a *contiguous* sequence can have a hole, so only such feeds raise gaps; feeds whose
ids merely increase (trade ids shared by many symbols, exchange update ids) still get duplicates
and reordering reported, never false gaps.

Several events decoded from one message (a depth update listing many levels) share its ``seq``;
they also share the frame's ``ts_recv``, which is what tells them apart from a later resend of
the same message (a duplicate).
"""

from __future__ import annotations

from typing import Final

from mdc.collectors.emit import DUPLICATE, OUT_OF_ORDER, SEQUENCE_GAP, SEQUENCE_GAP_REASON, Emitter
from mdc.domain.capabilities import SeqScope
from mdc.domain.events import BookSnapshot, Event

SEQ_OK: Final = 0
SEQ_GAP: Final = 1
"""A hole: the event is in order but messages before it are missing."""
SEQ_DUPLICATE: Final = 2
SEQ_OUT_OF_ORDER: Final = 3


class _Position:
    """The last in-order message of one sequence."""

    __slots__ = ("seq", "ts_event", "ts_recv")

    def __init__(self, seq: int, ts_event: int, ts_recv: int) -> None:
        self.seq = seq
        self.ts_event = ts_event
        self.ts_recv = ts_recv


class SequenceTracker:
    """One position per (provider, symbol) or (provider, venue), as each provider's rule says."""

    def __init__(self, emit: Emitter) -> None:
        self._emit = emit
        self._rules: dict[str, tuple[bool, bool]] = {}
        """provider → (scope is per symbol, contiguous)."""
        self._positions: dict[str, dict[str, _Position]] = {}
        """provider → symbol (or venue, for per-feed scope) → position."""

    def set_rule(self, provider: str, scope: SeqScope, contiguous: bool) -> None:
        """How ``provider`` numbers its messages; scope ``none`` stops tracking it."""
        self._positions.pop(provider, None)
        if scope == "none":
            self._rules.pop(provider, None)
            return
        self._rules[provider] = (scope == "symbol", contiguous)
        self._positions[provider] = {}

    def per_symbol(self, provider: str) -> bool:
        """True when ``provider``'s sequence is per symbol (else per feed)."""
        rule = self._rules.get(provider)
        return rule is not None and rule[0]

    def rule(self, provider: str) -> tuple[dict[str, _Position], bool, bool] | None:
        """(positions, per symbol, contiguous) of ``provider``, None when it is not tracked:
        lets the chain check an in-order event inline (see ``Collectors.process``) and call
        :meth:`observe` only for the rest."""
        rule = self._rules.get(provider)
        if rule is None:
            return None
        return self._positions[provider], rule[0], rule[1]

    def observe(self, ev: Event, seq: int, index: int) -> int:
        """Check ``ev`` (``seq`` is its number) against its sequence; emit what is wrong.

        Returns one of the ``SEQ_*`` codes. Only in-order events move the position, so a late
        message never makes the ones after it look out of order.
        """
        rule = self._rules.get(ev.provider)
        if rule is None:
            return SEQ_OK
        per_symbol, contiguous = rule
        positions = self._positions[ev.provider]
        key = ev.symbol if per_symbol else ev.venue
        pos = positions.get(key)
        if pos is None:
            _check_number(seq)
            positions[key] = _Position(seq, ev.ts_event, ev.ts_recv)
            return SEQ_OK
        last = pos.seq
        if seq == last + 1 or (seq > last and not contiguous):
            pos.seq = seq
            pos.ts_event = ev.ts_event
            pos.ts_recv = ev.ts_recv
            return SEQ_OK
        if seq > last:
            detail = f"expected {last + 1} got {seq}"
            self._emit.gap(index, ev, pos.ts_event, SEQUENCE_GAP_REASON, detail)
            self._emit.integrity(index, ev, SEQUENCE_GAP, "error", detail)
            pos.seq = seq
            pos.ts_event = ev.ts_event
            pos.ts_recv = ev.ts_recv
            return SEQ_GAP
        if seq == last:
            if ev.ts_recv == pos.ts_recv:
                return SEQ_OK  # another part of the same message
            self._emit.integrity(index, ev, DUPLICATE, "info", f"seq {seq} seen again")
            return SEQ_DUPLICATE
        self._emit.integrity(index, ev, OUT_OF_ORDER, "warning", f"seq {seq} after {last}")
        return SEQ_OUT_OF_ORDER

    def snapshot(self, snapshot: BookSnapshot, index: int) -> int:
        """A snapshot restarts a per-symbol sequence at its own ``seq`` (none: at the next
        message) and is always in order; per-feed sequences run across snapshots, so there it
        is observed like any message."""
        rule = self._rules.get(snapshot.provider)
        if rule is None:
            return SEQ_OK
        seq = snapshot.seq
        if not rule[0]:
            return SEQ_OK if seq is None else self.observe(snapshot, seq, index)
        positions = self._positions[snapshot.provider]
        if seq is None:
            positions.pop(snapshot.symbol, None)
        else:
            _check_number(seq)
            positions[snapshot.symbol] = _Position(seq, snapshot.ts_event, snapshot.ts_recv)
        return SEQ_OK

    def reset(self, provider: str | None = None, symbol: str | None = None) -> None:
        """Forget positions: all, one provider's, or one symbol's (per-symbol sequences)."""
        for name, positions in self._positions.items():
            if provider is not None and name != provider:
                continue
            if symbol is None:
                positions.clear()
            elif self._rules[name][0]:
                positions.pop(symbol, None)

    def __len__(self) -> int:
        """Sequences being tracked."""
        return sum(map(len, self._positions.values()))


def _check_number(seq: object) -> None:
    """Refuse to start a sequence at a non-integer (it would break every later comparison)."""
    if type(seq) is not int:
        raise TypeError(f"seq must be an integer, got {type(seq).__name__} {seq!r}")
