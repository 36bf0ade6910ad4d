"""The collector's publisher: acknowledged WAL records → JetStream, position checkpointed.

It runs beside the pipeline in ``mdc collect --publish``. Each pass reads up to
``publish_batch`` records above its position and at most the store's acknowledged LSN, publishes
every (venue, type) group of them concurrently and waits for all the stream's acks; only then
is the position (the last LSN of the pass) written to ``_mdc/positions/publish.json``. A crash
before that republishes the pass with the same message ids, which the stream drops. While
JetStream is unreachable the pass is retried with backoff and the WAL keeps the records
(segments are kept until the position passes them).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Any, Final

import msgspec

from mdc.config.schema import DistributedConfig
from mdc.distributed import subjects as subj
from mdc.distributed.connect import BusError, connect, ensure_stream
from mdc.domain.backoff import backoff_delay
from mdc.storage import Store
from mdc.storage.tail import TailRecord, WalTail, drain

if TYPE_CHECKING:
    from nats.aio.client import Client
    from nats.js.client import JetStreamContext

log = logging.getLogger(__name__)

POSITION: Final = "publish"
IDLE_S: Final = 0.02
DRAIN_S: Final = 5.0
"""How long a stopping collector waits for the bus to take what it has not published yet."""
_encoder: Final = msgspec.msgpack.Encoder()


class Publisher:
    def __init__(self, store: Store, cfg: DistributedConfig, collector_id: str) -> None:
        self.store = store
        self.cfg = cfg
        self.collector = collector_id
        start = store.positions.register(POSITION)
        self.tail = WalTail(store.wal_dir, start)
        self.position = start
        self.published_records = 0
        self.published_messages = 0
        self.published_events = 0
        self.duplicates = 0
        """Messages the stream reported as already stored (a republish after a crash)."""
        self.errors = 0
        self.last_error = ""
        self.connected = False
        self.last_publish_ns = 0

    def messages(self, rec: TailRecord) -> list[tuple[str, bytes, dict[str, str]]]:
        """The (subject, payload, headers) of one record, one per (venue, type)."""
        out = []
        for (venue, kind), events in subj.group(rec.events).items():
            headers = {
                subj.HDR_MSG_ID: subj.msg_id(self.collector, rec.lsn, venue, kind),
                subj.HDR_COLLECTOR: self.collector,
                subj.HDR_LSN: str(rec.lsn),
                subj.HDR_COUNT: str(len(events)),
            }
            subject = subj.subject(self.cfg.subject_prefix, self.collector, venue, kind)
            out.append((subject, _encoder.encode(events), headers))
        return out

    async def run(self) -> None:
        """Publish until cancelled (the runtime's services are cancelled at shutdown)."""
        nc = await self._connect()
        try:
            js = nc.jetstream()
            failures = 0
            ensured = False
            pending: list[TailRecord] = []
            while True:
                if not pending:
                    pending = self.tail.read(self.store.acknowledged_lsn, self.cfg.publish_batch)
                    if not pending:
                        await asyncio.sleep(IDLE_S)
                        continue
                try:
                    if not ensured:
                        await ensure_stream(js, self.cfg)
                        ensured = True
                    await self._publish(js, pending)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    self.errors += 1
                    self.connected = False
                    self.last_error = f"{type(exc).__name__}: {exc}"
                    failures += 1
                    delay = backoff_delay(failures, 0.2, 5.0)
                    log.warning(
                        "publish to JetStream failed (%s); retrying in %.1fs (the WAL keeps it)",
                        self.last_error,
                        delay,
                    )
                    await asyncio.sleep(delay)
                    continue
                failures = 0
                self.connected = True
                pending = []
        finally:
            await nc.close()

    async def drain(self) -> None:
        """At stop: wait (bounded) until everything written is published."""
        await drain("publisher", lambda: self.position, lambda: self.store.wal_lsn, DRAIN_S)

    async def _connect(self) -> Client:
        """Connect, retrying while NATS is unreachable: collecting never waits for the bus."""
        failures = 0
        while True:
            try:
                return await connect(self.cfg, f"mdc-publisher-{self.collector}")
            except BusError as exc:
                failures += 1
                self.errors += 1
                self.last_error = str(exc)
                delay = backoff_delay(failures, 0.2, 5.0)
                log.warning("%s; retrying in %.1fs (the WAL keeps what is collected)", exc, delay)
                await asyncio.sleep(delay)

    async def _publish(self, js: JetStreamContext, records: list[TailRecord]) -> None:
        msgs = [m for rec in records for m in self.messages(rec)]
        acks = await asyncio.gather(
            *(js.publish(s, p, stream=self.cfg.stream, headers=h) for s, p, h in msgs)
        )
        self.duplicates += sum(1 for a in acks if a.duplicate)
        last = records[-1].lsn
        await asyncio.to_thread(self.store.positions.commit, POSITION, last)
        self.position = last
        self.published_records += len(records)
        self.published_messages += len(msgs)
        self.published_events += sum(len(r.events) for r in records)
        self.last_publish_ns = time.time_ns()

    def stats(self) -> dict[str, Any]:
        return {
            "collector_id": self.collector,
            "stream": self.cfg.stream,
            "connected": self.connected,
            "position_lsn": self.position,
            "lag_records": max(0, self.store.acknowledged_lsn - self.position),
            "published_records": self.published_records,
            "published_messages": self.published_messages,
            "published_events": self.published_events,
            "duplicates": self.duplicates,
            "errors": self.errors,
            "last_error": self.last_error,
        }
