"""Where the collectors put the ``Integrity`` and ``Gap`` events they raise, and their counters.

Collectors never build a new batch per event: they record ``(index, event)`` pairs here and the
chain splices them in once, after the event at ``index`` that triggered them. The kinds below are
the ``Integrity.kind`` values the collectors emit (stable: dashboards and quality reports key on
them).
"""

from __future__ import annotations

from collections import Counter
from typing import Final, TypeAlias

from mdc.domain.events import Event, Gap, Integrity, Severity

StreamKey: TypeAlias = tuple[str, str, str]
"""(symbol, venue, provider): one stream's state (book, BBO, last trade) is kept per key."""

CROSSED_BOOK: Final = "crossed_book"
"""Best bid above best ask after a complete update (reported once per episode)."""
LOCKED_BOOK: Final = "locked_book"
"""Best bid equal to best ask after a complete update (reported once per episode)."""
DELTA_BEFORE_SNAPSHOT: Final = "delta_before_snapshot"
"""Deltas for a book that awaits a snapshot (dropped; reported once until the snapshot)."""
OUT_OF_ORDER: Final = "out_of_order"
"""A lower sequence number than one already seen, or a book update older than the book."""
DUPLICATE: Final = "duplicate"
"""A sequence number seen again in a later message."""
SEQUENCE_GAP: Final = "sequence_gap"
"""A hole in a contiguous sequence (a ``Gap`` is emitted with it)."""
BOOK_RESET: Final = "book_reset"
"""A book was cleared because its data can no longer be trusted."""
BAD_VALUE: Final = "bad_value"
"""A price or size that is not a number, or a negative size (the level is left out)."""
BAD_EVENT: Final = "bad_event"
"""An event the collectors could not process at all (kept in the batch, state unchanged)."""

INTEGRITY_KINDS: Final = (
    CROSSED_BOOK,
    LOCKED_BOOK,
    DELTA_BEFORE_SNAPSHOT,
    OUT_OF_ORDER,
    DUPLICATE,
    SEQUENCE_GAP,
    BOOK_RESET,
    BAD_VALUE,
    BAD_EVENT,
)
SEQUENCE_GAP_REASON: Final = "sequence_gap"
"""``Gap.reason`` of a hole in a contiguous sequence."""


class Emitter:
    """Pending insertions for the batch being processed, and counters over the whole run."""

    __slots__ = ("counts", "gaps", "inserts")

    def __init__(self) -> None:
        self.inserts: list[tuple[int, Event]] = []
        self.counts: Counter[str] = Counter()
        """Integrity events emitted, by kind."""
        self.gaps = 0

    def integrity(
        self,
        after: int,
        trigger: Event,
        kind: str,
        severity: Severity,
        detail: str,
        symbol: str | None = None,
        venue: str | None = None,
    ) -> None:
        """Raise ``kind`` about ``trigger`` (or about ``symbol``/``venue`` at its time)."""
        event = integrity_about(trigger, kind, severity, detail, symbol, venue)
        self.inserts.append((after, event))
        self.counts[kind] += 1

    def gap(self, after: int, trigger: Event, from_ts: int, reason: str, detail: str) -> None:
        """Data for ``trigger``'s symbol is missing from ``from_ts`` to its ``ts_event``."""
        self.inserts.append(
            (
                after,
                Gap(
                    symbol=trigger.symbol,
                    venue=trigger.venue,
                    provider=trigger.provider,
                    ts_event=trigger.ts_event,
                    ts_recv=trigger.ts_recv,
                    from_ts=from_ts,
                    to_ts=trigger.ts_event,
                    reason=reason,
                    detail=detail,
                ),
            )
        )
        self.gaps += 1

    def splice(self, batch: list[Event]) -> None:
        """Insert the pending events into ``batch`` (in place), each after its trigger."""
        inserts = self.inserts
        if not inserts:
            return
        inserts.sort(key=_index)  # stable: events for one trigger keep their order
        out: list[Event] = []
        start = 0
        for index, event in inserts:
            if index >= start:
                out.extend(batch[start : index + 1])
                start = index + 1
            out.append(event)
        out.extend(batch[start:])
        batch[:] = out
        inserts.clear()


def integrity_about(
    trigger: Event,
    kind: str,
    severity: Severity,
    detail: str,
    symbol: str | None = None,
    venue: str | None = None,
) -> Integrity:
    """The ``Integrity`` event of a finding about ``trigger``: its stream and times (or
    ``symbol``/``venue`` at its time). The collectors and the quality detectors both raise these."""
    return Integrity(
        symbol=trigger.symbol if symbol is None else symbol,
        venue=trigger.venue if venue is None else venue,
        provider=trigger.provider,
        ts_event=trigger.ts_event,
        ts_recv=trigger.ts_recv,
        kind=kind,
        severity=severity,
        detail=detail,
    )


def _index(item: tuple[int, Event]) -> int:
    return item[0]
