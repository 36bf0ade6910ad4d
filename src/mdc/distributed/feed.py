"""A sink fed from JetStream (``mdc sink --from``): a durable pull consumer whose messages are
acknowledged only after the sink has committed them.

Each fetched batch becomes one pass of records for the sink's ``deliver`` (one record per
message, its "LSN" the message's stream sequence, so ids built from it are the same when the
message is delivered again). Only when ``deliver`` returned — PostgreSQL's transaction
committed, Redis answered, the broker confirmed — are the messages acked. A failed pass is
retried, the same messages, with backoff, telling JetStream they are still being worked on; a
sink process killed before its acks gets the messages redelivered after ``ack_wait_s``, which
PostgreSQL drops by primary key (exactly once) and buses carry with the same ids (at least once).
A message that does not decode is terminated (never redelivered), counted and logged.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Any, Final, Protocol

import msgspec

from mdc.config.schema import DistributedConfig
from mdc.distributed import subjects as subj
from mdc.distributed.connect import connect, ensure_stream
from mdc.distributed.durable import DurableReader, subscribe_durable
from mdc.domain.backoff import backoff_delay
from mdc.domain.events import Event
from mdc.storage.tail import TailRecord

if TYPE_CHECKING:
    from nats.aio.msg import Msg

log = logging.getLogger(__name__)

MAX_BACKOFF_S: Final = 5.0
_decoder: Final = msgspec.msgpack.Decoder(list[Event])


class Target(Protocol):
    """What a sink offers (``sinks.base.Sink``): a pass in, an exception when it failed."""

    label: str

    async def deliver(self, records: list[TailRecord]) -> None: ...

    async def reset(self) -> None: ...

    async def close(self) -> None: ...


class StreamFeed(DurableReader):
    def __init__(
        self, cfg: DistributedConfig, durable: str, filter_subject: str | None, target: Target
    ) -> None:
        super().__init__(cfg, durable, filter_subject)
        self.target = target
        self.delivered_messages = 0
        self.delivered_events = 0
        self.acked = 0
        self.redelivered = 0
        self.bad_messages = 0
        self.errors = 0
        self.last_error = ""

    async def run(self, duration: float | None = None) -> None:
        """Consume until :meth:`stop` (or ``duration``); a pass in flight is finished first."""
        nc = await connect(self.cfg, f"mdc-sink-{self.durable}")
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
                await self.poll_lag(psub)
                if msgs:
                    await self._pass(msgs)
        finally:
            self.connected = False
            await self.target.close()
            await nc.close()

    def _record(self, msg: Msg) -> TailRecord | None:
        if msg.metadata.num_delivered > 1:
            self.redelivered += 1
        try:
            events = _decoder.decode(msg.data)
            count = (msg.headers or {}).get(subj.HDR_COUNT)
            if count is not None and int(count) != len(events):
                raise ValueError(f"{subj.HDR_COUNT} says {count}, the payload holds {len(events)}")
        except (msgspec.DecodeError, ValueError) as exc:
            self.bad_messages += 1
            log.warning("%s: bad message on %s dropped: %s", self.target.label, msg.subject, exc)
            return None
        return TailRecord(msg.metadata.sequence.stream, 0, events)

    async def _pass(self, msgs: list[Msg]) -> None:
        good: list[Msg] = []
        records: list[TailRecord] = []
        for msg in msgs:
            rec = self._record(msg)
            if rec is None:
                await self._quietly(msg.term())
            else:
                good.append(msg)
                records.append(rec)
        if not records:
            return
        failures = 0
        last_progress = time.monotonic()
        while True:
            try:
                await self.target.deliver(records)
                break
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                failures += 1
                self.errors += 1
                self.connected = False
                self.last_error = str(exc) or type(exc).__name__
                delay = backoff_delay(failures, 0.2, MAX_BACKOFF_S)
                log.warning(
                    "%s: %s; retrying in %.1fs (unacked: the stream keeps it)",
                    self.target.label,
                    self.last_error,
                    delay,
                )
                await self.target.reset()
                if time.monotonic() - last_progress > self.cfg.ack_wait_s / 3:
                    last_progress = time.monotonic()
                    for msg in good:  # still ours: not to be redelivered meanwhile
                        await self._quietly(msg.in_progress())
                await asyncio.sleep(delay)
        self.connected = True
        self.delivered_messages += len(records)
        self.delivered_events += sum(len(r.events) for r in records)
        for msg in good:
            if await self._quietly(msg.ack()):
                self.acked += 1

    async def _quietly(self, call: Any) -> bool:
        """An ack/term/in-progress; a failure (disconnected) means a redelivery later."""
        try:
            await call
        except Exception as exc:
            log.warning(
                "%s: ack to the stream failed (%s): redelivered later", self.target.label, exc
            )
            return False
        return True

    def stats(self) -> dict[str, Any]:
        return {
            "stream": self.cfg.stream,
            "durable": self.durable,
            "filter": self.filter,
            "connected": int(self.connected),
            "fetched": self.fetched,
            "delivered_messages": self.delivered_messages,
            "delivered_events": self.delivered_events,
            "acked": self.acked,
            "redelivered": self.redelivered,
            "bad_messages": self.bad_messages,
            "errors": self.errors,
            "last_error": self.last_error,
            "lag_messages": self.lag_messages,
            "ack_pending": self.ack_pending,
        }
