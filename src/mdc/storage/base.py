"""What the pipeline needs of storage (the real one is ``mdc.storage.store.Store``).

``append`` acknowledges a batch (WAL, per the fsync policy) and writes it to the archive; it
raises ``mdc.storage.StoragePaused`` only when the batch (past ``exc.acknowledged`` events) was
not written — the caller keeps it, awaits ``wait_writable()`` and retries. See
docs/durability.md.
"""

from __future__ import annotations

from typing import Any, Protocol

from mdc.domain.events import Event


class EventStore(Protocol):
    def append(self, batch: list[Event], *, dedup: bool = False) -> None:
        """Make the batch durable (per the fsync policy) and write it to the archive.
        ``dedup=True`` for re-written data (backfill, replay): natural keys already stored
        are dropped."""

    @property
    def writable(self) -> bool:
        """False while paused (disk below ``min_free_mb``, a write error) or closed."""

    async def wait_writable(self) -> None:
        """Return once appends are accepted again."""

    def maintain(self) -> None:
        """Housekeeping when no appends come (checkpoint, disk guard, retention)."""

    def write_raw(self, provider: str, ts_recv: int, data: bytes | str) -> None:
        """Keep a raw provider frame (raw capture)."""

    def write_bad_frame(self, provider: str, ts_recv: int, data: bytes | str, error: str) -> None:
        """Keep a frame that failed to parse, for inspection."""

    def set_budgets(self, retention_days: int, retention_max_mb: int, min_free_mb: int) -> None:
        """Apply new retention and disk budgets (a config reload); 0 means off, as in config."""

    def close(self) -> None:
        """Flush, fsync and checkpoint everything acknowledged; idempotent."""

    def stats(self) -> dict[str, Any]: ...
