"""Redis Streams sink: ``XADD`` per event onto ``{key_prefix}:{venue}:{type}``, ``MAXLEN``-capped.

Each pass of WAL records goes out as one pipeline of ``XADD key MAXLEN n * id … symbol …
event …``; the position is written when Redis has answered all of them. Delivery is **at least
once**: a crash between the pipeline and the position sends the pass again, and every entry
carries ``id`` = ``{lsn}:{index}`` (the event's place in this collector's WAL) so a reader can
drop what it has seen. ``MAXLEN`` trims each stream exactly to ``maxlen`` entries.

redis-py (``mdc[redis]``), read 2026-12-03: https://redis.readthedocs.io/en/stable/ and
https://redis.io/docs/latest/commands/xadd/.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import msgspec

from mdc.config.schema import SinkConfig
from mdc.domain.events import TAGS
from mdc.domain.tokens import token
from mdc.sinks.base import Sink
from mdc.storage import Store
from mdc.storage.tail import TailRecord

if TYPE_CHECKING:
    from redis.asyncio import Redis

_encoder = msgspec.json.Encoder()


def stream_key(prefix: str, venue: str, kind: str) -> str:
    return f"{prefix}:{token(venue)}:{kind}"


class RedisSink(Sink):
    def __init__(self, store: Store | None, cfg: SinkConfig, id_prefix: str = "") -> None:
        super().__init__(store, cfg, id_prefix)
        self.entries_added = 0
        self._client: Redis | None = None

    async def deliver(self, records: list[TailRecord]) -> None:
        if self._client is None:
            from redis.asyncio import Redis

            self._client = Redis.from_url(self.cfg.dsn, socket_connect_timeout=5)
        pipe = self._client.pipeline(transaction=False)
        added = 0
        for rec in records:
            for i, ev in enumerate(rec.events):
                fields: dict[Any, Any] = {
                    "id": self.id_of(rec.lsn, i),
                    "symbol": ev.symbol,
                    "event": _encoder.encode(ev),
                }
                key = stream_key(self.cfg.key_prefix, ev.venue, TAGS[type(ev)])
                pipe.xadd(key, fields, maxlen=self.cfg.maxlen, approximate=False)
                added += 1
        await pipe.execute()
        self.entries_added += added

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def stats(self) -> dict[str, Any]:
        return {**super().stats(), "kind": "redis", "entries_added": self.entries_added}
