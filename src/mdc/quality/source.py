"""What the batch checks read from an archive: a symbol's events in the order they arrived.

The anomaly detectors judge a stream in receive order, as they would have live; a stored day is
put back in that order by ``ts_recv`` (stable, so rows received together keep their write
order). JSONL and Parquet alike, through the archive read API (``storage/archive.py``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from mdc.domain.events import Event, Integrity, Status
from mdc.storage.archive import Archive, open_archive

REPLAYED: Final = ("trades", "quotes", "bars", "statuses")
"""The types the detectors look at."""


class ArchiveEvents:
    """Events of an archive root, by symbol and time (an absent root holds none)."""

    def __init__(self, root: str | Path) -> None:
        path = Path(root)
        self.archive: Archive | None = open_archive(path) if path.is_dir() else None

    def replay(self, symbol: str, start_ns: int, end_ns: int) -> list[Event]:
        """``symbol``'s trades, quotes, bars and statuses with ``ts_event`` in
        ``[start_ns, end_ns)``, in receive order."""
        events: list[Event] = []
        for type_name in REPLAYED:
            events += self._events(type_name, symbol, start_ns, end_ns)
        events.sort(key=lambda e: e.ts_recv)
        return events

    def integrity(self, symbol: str, start_ns: int, end_ns: int) -> list[Integrity]:
        """Stored ``Integrity`` events of ``symbol`` (the collectors' and the live detectors')."""
        return [
            e
            for e in self._events("integrity", symbol, start_ns, end_ns)
            if isinstance(e, Integrity)
        ]

    def statuses(self, symbol: str, start_ns: int, end_ns: int) -> list[Status]:
        return [
            e for e in self._events("statuses", symbol, start_ns, end_ns) if isinstance(e, Status)
        ]

    def _events(self, type_name: str, symbol: str, start_ns: int, end_ns: int) -> list[Event]:
        if self.archive is None or type_name not in self.archive.types():
            return []
        return self.archive.events(type_name, symbol, start_ns, end_ns)
