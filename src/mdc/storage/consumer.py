"""The loop every consumer of the local WAL shares: the JetStream publisher and the sinks.

A consumer reads acknowledged records from its position (``WalTail``), hands a pass of them on
(``deliver``, which raises when the far side is unavailable), and only then writes its position
(``storage.positions``). A failed pass is retried, the same records again, with backoff: an
outage pauses the consumer, the WAL keeps the records, and it catches up when the far side is
back. At stop the collector waits a bounded time for it to catch up (``drain``).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Final

from mdc.domain.backoff import backoff_delay
from mdc.storage.store import Store
from mdc.storage.tail import TailRecord, WalTail

log = logging.getLogger(__name__)

IDLE_S: Final = 0.02
DRAIN_S: Final = 5.0
"""How long a stopping collector waits for a consumer to hand on what it still holds."""
MAX_BACKOFF_S: Final = 5.0


class WalConsumer:
    """Subclasses implement ``deliver`` (and ``reset`` to drop a broken connection)."""

    label = "WAL consumer"

    def __init__(self, store: Store | None, position_name: str, batch_records: int) -> None:
        """``store`` None: a consumer that another loop feeds through ``deliver`` (a sink fed
        from JetStream, ``sinks/stream.py``); it has no position and ``run`` refuses."""
        self._store = store
        self.position_name = position_name
        self.batch_records = batch_records
        start = store.positions.register(position_name) if store is not None else 0
        self.tail = WalTail(store.wal_dir, start) if store is not None else None
        self.position = start
        self.delivered_records = 0
        self.delivered_events = 0
        self.errors = 0
        self.last_error = ""
        self.connected = False

    @property
    def store(self) -> Store:
        if self._store is None:
            raise RuntimeError(f"{self.label} is not fed from a local WAL")
        return self._store

    async def deliver(self, records: list[TailRecord]) -> None:
        raise NotImplementedError

    async def reset(self) -> None:
        """After a failed pass: close what may be broken (the next ``deliver`` reconnects)."""

    async def close(self) -> None:
        """At the end of ``run``."""

    async def run(self) -> None:
        """Hand records on until cancelled (the runtime cancels its services at stop)."""
        pending: list[TailRecord] = []
        failures = 0
        store, tail = self.store, self.tail
        assert tail is not None  # set with the store
        try:
            while True:
                if not pending:
                    pending = tail.read(store.acknowledged_lsn, self.batch_records)
                    if not pending:
                        await asyncio.sleep(IDLE_S)
                        continue
                try:
                    await self.deliver(pending)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    failures += 1
                    self.errors += 1
                    self.connected = False
                    self.last_error = str(exc) or type(exc).__name__
                    delay = backoff_delay(failures, 0.2, MAX_BACKOFF_S)
                    log.warning(
                        "%s: %s; retrying in %.1fs (the WAL keeps it)",
                        self.label,
                        self.last_error,
                        delay,
                    )
                    await self.reset()
                    await asyncio.sleep(delay)
                    continue
                await asyncio.to_thread(
                    self.store.positions.commit, self.position_name, pending[-1].lsn
                )
                self.position = pending[-1].lsn
                self.delivered_records += len(pending)
                self.delivered_events += sum(len(r.events) for r in pending)
                failures = 0
                self.connected = True
                pending = []
        finally:
            await self.close()

    async def drain(self) -> None:
        """At stop: wait (bounded) until everything written is handed on."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + DRAIN_S
        while self.position < self.store.wal_lsn and loop.time() < deadline:
            await asyncio.sleep(IDLE_S)
        if self.position < self.store.wal_lsn:
            log.warning(
                "%s stops with WAL records %d..%d not yet handed on; the next start does it",
                self.label,
                self.position + 1,
                self.store.wal_lsn,
            )

    def stats(self) -> dict[str, Any]:
        return {
            "connected": self.connected,
            "position_lsn": self.position,
            "lag_records": (
                max(0, self._store.acknowledged_lsn - self.position) if self._store else None
            ),
            "delivered_records": self.delivered_records,
            "delivered_events": self.delivered_events,
            "errors": self.errors,
            "last_error": self.last_error,
        }
