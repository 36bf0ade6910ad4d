"""``mdc store``: an archive writer fed by a durable JetStream pull consumer.

Messages are appended to the writer's own ``Store`` with ``dedup=True`` (idempotent on natural
keys, docs/durability.md "Dedup") and acknowledged only once a checkpoint that contains them is
committed: a writer killed before that gets them redelivered (to itself or to another writer on
the same durable), and the redelivery finds their keys already in its archive. A message that
does not decode is kept in ``_bad/nats/`` and terminated (never redelivered), never a crash.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import msgspec

from mdc.config.schema import DistributedConfig
from mdc.distributed import subjects as subj
from mdc.distributed.connect import connect, ensure_stream
from mdc.distributed.durable import DurableReader, subscribe_durable
from mdc.domain.events import Event
from mdc.storage import StoragePaused, Store

if TYPE_CHECKING:
    from nats.aio.msg import Msg

log = logging.getLogger(__name__)

BAD_SOURCE: Final = "nats"
_decoder: Final = msgspec.msgpack.Decoder(list[Event])


@dataclass(slots=True)
class _Pending:
    lsn: int
    """The writer's own WAL record that holds the message's events."""
    msg: Msg


class ArchiveWriter(DurableReader):
    def __init__(
        self, store: Store, cfg: DistributedConfig, durable: str, filter_subject: str | None
    ) -> None:
        super().__init__(cfg, durable, filter_subject)
        self.store = store
        self._pending: deque[_Pending] = deque()
        self.messages = 0
        self.events = 0
        self.acked = 0
        self.bad_messages = 0
        self.redelivered = 0
        self._last_progress = time.monotonic()

    async def run(self, duration: float | None = None) -> None:
        """Consume until :meth:`stop` (or ``duration``), then commit and ack what is stored."""
        nc = await connect(self.cfg, f"mdc-store-{self.durable}")
        self.connected = True
        try:
            js = nc.jetstream()
            await ensure_stream(js, self.cfg)
            psub = await subscribe_durable(js, self.cfg, self.durable, self.filter)
            loop = asyncio.get_running_loop()
            deadline = None if duration is None else loop.time() + duration
            while not self._stop.is_set():
                if deadline is not None and loop.time() >= deadline:
                    break
                msgs = await self.fetch(psub)
                self.connected = nc.is_connected
                await self.poll_lag(psub)
                for msg in msgs:
                    await self._store(msg)
                self.store.maintain()
                await self._ack_committed()
                await self._keep_alive()
            self.store.checkpoint()
            await self._ack_committed()
            await nc.flush()
        finally:
            self.connected = False
            await nc.close()

    async def _store(self, msg: Msg) -> None:
        self.messages += 1
        if msg.metadata.num_delivered > 1:
            self.redelivered += 1
        try:
            events = _decoder.decode(msg.data)
            count = (msg.headers or {}).get(subj.HDR_COUNT)
            if count is not None and int(count) != len(events):
                raise ValueError(f"{subj.HDR_COUNT} says {count}, the payload holds {len(events)}")
        except (msgspec.DecodeError, ValueError) as exc:
            self.bad_messages += 1
            detail = f"subject {msg.subject}: {exc}"
            log.warning("bad message kept in _bad/%s: %s", BAD_SOURCE, detail)
            self.store.write_bad_frame(BAD_SOURCE, time.time_ns(), bytes(msg.data), detail)
            await msg.term()
            return
        while True:
            try:
                self.store.append(events, dedup=True)
                break
            except StoragePaused:
                await self.store.wait_writable()
        self.events += len(events)
        self._pending.append(_Pending(self.store.wal_lsn, msg))

    async def _ack_committed(self) -> None:
        committed = self.store.committed_lsn
        while self._pending and self._pending[0].lsn <= committed:
            msg = self._pending[0].msg
            try:
                await msg.ack()
            except Exception as exc:  # disconnected: redelivered later, dropped by dedup
                log.warning(
                    "ack failed (%s); the message will be redelivered and deduplicated", exc
                )
            self._pending.popleft()
            self.acked += 1

    async def _keep_alive(self) -> None:
        """Tell the server that messages waiting for a checkpoint (a paused store) are still
        being worked on, so they are not redelivered to another writer meanwhile."""
        now = time.monotonic()
        if not self._pending or now - self._last_progress < self.cfg.ack_wait_s / 3:
            return
        self._last_progress = now
        for p in self._pending:
            try:
                await p.msg.in_progress()
            except Exception as exc:
                log.debug("in-progress signal failed: %s", exc)
                return

    def stats(self) -> dict[str, Any]:
        return {
            "stream": self.cfg.stream,
            "durable": self.durable,
            "filter": self.filter,
            "connected": int(self.connected),
            "fetched": self.fetched,
            "messages": self.messages,
            "stored_messages": self.messages - self.bad_messages,
            "events": self.events,
            "acked": self.acked,
            "awaiting_checkpoint": len(self._pending),
            "redelivered": self.redelivered,
            "bad_messages": self.bad_messages,
            "lag_messages": self.lag_messages,
            "ack_pending": self.ack_pending,
        }
