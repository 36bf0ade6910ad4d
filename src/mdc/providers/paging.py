"""Small helpers every historical provider applies to a page before yielding it."""

from __future__ import annotations

from datetime import date, timedelta
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


def date_windows(start: date, end: date, days: int) -> list[tuple[date, date]]:
    """``start..end`` (inclusive) cut into consecutive inclusive windows of at most ``days``.

    For APIs without pagination that cap how much one request may cover: each window is one
    request and one page.
    """
    if days < 1:
        raise ValueError(f"window must be at least one day, got {days}")
    windows = []
    cursor = start
    while cursor <= end:
        last = min(end, cursor + timedelta(days=days - 1))
        windows.append((cursor, last))
        cursor = last + timedelta(days=1)
    return windows
