"""What the pipeline needs of storage."""

from __future__ import annotations

from typing import Any, Protocol

from mdc.domain.events import Event


class EventStore(Protocol):
    def append(self, batch: list[Event]) -> None:
        """Make the batch durable (per the fsync policy) and write it to the archive."""

    def write_raw(self, provider: str, ts_recv: int, data: bytes | str) -> None:
        """Keep a raw provider frame (raw capture)."""

    def write_bad_frame(self, provider: str, ts_recv: int, data: bytes | str, error: str) -> None:
        """Keep a frame that failed to parse, for inspection."""

    def close(self) -> None:
        """Flush, fsync and checkpoint everything acknowledged."""

    def stats(self) -> dict[str, Any]: ...
