"""Archives for gap finder tests (in memory until the storage writer lands)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from mdc.domain.events import TYPE_NAMES, Bar, Event, Gap


class MemoryArchive:
    def __init__(self, events: list[Event]) -> None:
        self.events = sorted(events, key=lambda e: e.ts_event)

    def timestamps(
        self, kind: str, symbol: str, start_ns: int, end_ns: int, interval: str | None
    ) -> Sequence[int]:
        return [
            e.ts_event
            for e in self.events
            if TYPE_NAMES[type(e)] == kind
            and e.symbol == symbol
            and start_ns <= e.ts_event < end_ns
            and (interval is None or not isinstance(e, Bar) or e.interval == interval)
        ]

    def gap_events(self, symbol: str, start_ns: int, end_ns: int) -> list[Gap]:
        return [
            e
            for e in self.events
            if isinstance(e, Gap)
            and e.symbol == symbol
            and e.from_ts < end_ns
            and e.to_ts > start_ns
        ]


@pytest.fixture
def archive_of() -> Callable[[Path, list[Event]], MemoryArchive]:
    def build(root: Path, events: list[Event]) -> MemoryArchive:
        return MemoryArchive(events)

    return build
