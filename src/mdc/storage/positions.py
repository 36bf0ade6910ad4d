"""Checkpointed positions of the WAL's other consumers (a JetStream publisher, sinks).

The archive is one consumer of the WAL; a publisher to a bus is another. Each has a position
(the newest LSN it has handed on for good) in ``_mdc/positions/{name}.json``, written
atomically. A WAL segment is deleted only when the archive checkpoint *and* every position are
past it, so a consumer that falls behind (a bus outage) keeps its records on disk instead of
losing them; the disk guard bounds how far.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Final

import msgspec

from mdc.storage.fsutil import atomic_write

POSITIONS_DIR: Final = "positions"
_NAME: Final = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


class Position(msgspec.Struct, kw_only=True):
    lsn: int = 0


class Positions:
    """The positions under ``{control}/positions``; ``floor()`` is the WAL's retention hold."""

    def __init__(self, control: Path, sync: bool = True) -> None:
        self.dir = control / POSITIONS_DIR
        self.sync = sync
        self._lock = threading.Lock()
        self._lsns: dict[str, int] = {}
        for path in sorted(self.dir.glob("*.json")) if self.dir.is_dir() else []:
            try:
                self._lsns[path.stem] = msgspec.json.decode(path.read_bytes(), type=Position).lsn
            except msgspec.DecodeError:
                # Unreadable: hold the whole WAL (position 0) rather than guess a later one.
                self._lsns[path.stem] = 0

    def register(self, name: str) -> int:
        """Add consumer ``name`` (at 0 when new: it starts at the oldest record kept)."""
        if not _NAME.match(name):
            raise ValueError(f"consumer name {name!r}: use letters, digits, '_', '.', '-'")
        with self._lock:
            if name not in self._lsns:
                self.dir.mkdir(parents=True, exist_ok=True)
                self._write(name, 0)
            return self._lsns[name]

    def get(self, name: str) -> int:
        with self._lock:
            return self._lsns.get(name, 0)

    def commit(self, name: str, lsn: int) -> None:
        """Record that ``name`` has handed on every record ``<= lsn`` (durably, then in memory)."""
        with self._lock:
            if lsn > self._lsns.get(name, 0):
                self._write(name, lsn)

    def _write(self, name: str, lsn: int) -> None:
        atomic_write(self.dir / f"{name}.json", msgspec.json.encode(Position(lsn=lsn)), self.sync)
        self._lsns[name] = lsn

    def floor(self) -> int | None:
        """The lowest position (None without consumers): WAL records above it are kept."""
        with self._lock:
            return min(self._lsns.values(), default=None)
