"""Small helpers every historical provider applies to a page before yielding it."""

from __future__ import annotations

from itertools import pairwise
from typing import Protocol, TypeVar


class _Stamped(Protocol):
    @property
    def ts_event(self) -> int: ...


E = TypeVar("E", bound=_Stamped)


def in_time_order(events: list[E]) -> list[E]:
    """``events`` sorted by ``ts_event`` (stable; no copy when already in order, the usual case)."""
    if all(a.ts_event <= b.ts_event for a, b in pairwise(events)):
        return events
    return sorted(events, key=lambda e: e.ts_event)


def within(events: list[E], start_ns: int, end_ns: int) -> list[E]:
    """Only events with ``start_ns <= ts_event < end_ns`` (providers pad their ranges)."""
    return [e for e in events if start_ns <= e.ts_event < end_ns]
