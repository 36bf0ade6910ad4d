"""The collector's publisher: acknowledged WAL records → JetStream, position checkpointed.

It runs beside the pipeline in ``mdc collect --publish`` (the loop is ``storage.consumer``).
Each pass takes up to ``publish_batch`` records above its position and at most the store's
acknowledged LSN, publishes every (venue, type) group of them concurrently and waits for all
the stream's acks; only then is the position written to ``_mdc/positions/publish.json``. A
crash before that republishes the pass with the same message ids, which the stream drops.
While JetStream is unreachable the pass is retried with backoff and the WAL keeps the records.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, Final

import msgspec

from mdc.config.schema import DistributedConfig
from mdc.distributed import subjects as subj
from mdc.distributed.connect import connect, ensure_stream
from mdc.storage import Store
from mdc.storage.consumer import WalConsumer
from mdc.storage.tail import TailRecord

if TYPE_CHECKING:
    from nats.aio.client import Client

POSITION: Final = "publish"
_encoder: Final = msgspec.msgpack.Encoder()


class Publisher(WalConsumer):
    label = "publisher"

    def __init__(self, store: Store, cfg: DistributedConfig, collector_id: str) -> None:
        super().__init__(store, POSITION, cfg.publish_batch)
        self.cfg = cfg
        self.collector = collector_id
        self.published_messages = 0
        self.duplicates = 0
        """Messages the stream reported as already stored (a republish after a crash)."""
        self._nc: Client | None = None
        self._ensured = False

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

    async def deliver(self, records: list[TailRecord]) -> None:
        if self._nc is None:
            # The client reconnects by itself after this; a first connect is retried here.
            self._nc = await connect(self.cfg, f"mdc-publisher-{self.collector}")
        js = self._nc.jetstream()
        if not self._ensured:
            await ensure_stream(js, self.cfg)
            self._ensured = True
        msgs = [m for rec in records for m in self.messages(rec)]
        acks = await asyncio.gather(
            *(js.publish(s, p, stream=self.cfg.stream, headers=h) for s, p, h in msgs)
        )
        self.duplicates += sum(1 for a in acks if a.duplicate)
        self.published_messages += len(msgs)

    async def close(self) -> None:
        if self._nc is not None:
            await self._nc.close()
            self._nc = None

    def stats(self) -> dict[str, Any]:
        return {
            **super().stats(),
            "collector_id": self.collector,
            "stream": self.cfg.stream,
            "published_messages": self.published_messages,
            "duplicates": self.duplicates,
        }
