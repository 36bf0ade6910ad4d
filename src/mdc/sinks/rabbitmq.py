"""RabbitMQ sink: every event onto a durable topic exchange, with publisher confirms.

Routing key ``{venue}.{type}.{symbol}`` (each token percent-encoded outside ``A-Za-z0-9_-``), so
a queue binds to ``binance.trade.*`` or ``*.*.AAPL``. Messages are persistent JSON events with
``message_id`` = ``{lsn}:{index}`` and ``type`` = the event tag. A pass of WAL records is
published on a channel with publisher confirms and the position is written once the broker has
confirmed every message. **At least once**: a crash before that republishes the pass with the
same message ids. Unroutable messages (no queue bound) are dropped by RabbitMQ, as a topic
exchange does; bind a queue before collecting what must be kept.

aio-pika (``mdc[rabbitmq]``), read 2026-12-03: https://docs.aio-pika.com/ and
https://www.rabbitmq.com/docs/confirms (publisher confirms).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import msgspec

from mdc.config.schema import SinkConfig
from mdc.domain.events import TAGS
from mdc.domain.tokens import token
from mdc.sinks.base import Sink
from mdc.storage import Store
from mdc.storage.tail import TailRecord

if TYPE_CHECKING:
    from aio_pika.abc import AbstractExchange, AbstractRobustConnection

_encoder = msgspec.json.Encoder()


def routing_key(venue: str, kind: str, symbol: str) -> str:
    return f"{token(venue)}.{kind}.{token(symbol)}"


class RabbitMqSink(Sink):
    def __init__(self, store: Store | None, cfg: SinkConfig, id_prefix: str = "") -> None:
        super().__init__(store, cfg, id_prefix)
        self.confirmed = 0
        self._conn: AbstractRobustConnection | None = None
        self._exchange: AbstractExchange | None = None

    async def _open(self) -> AbstractExchange:
        import aio_pika

        self._conn = await aio_pika.connect_robust(self.cfg.dsn, timeout=5)
        channel = await self._conn.channel(publisher_confirms=True)
        return await channel.declare_exchange(
            self.cfg.exchange, aio_pika.ExchangeType.TOPIC, durable=True
        )

    async def deliver(self, records: list[TailRecord]) -> None:
        from aio_pika import DeliveryMode, Message

        if self._exchange is None:
            self._exchange = await self._open()
        exchange = self._exchange
        sends = []
        for rec in records:
            for i, ev in enumerate(rec.events):
                kind = TAGS[type(ev)]
                message = Message(
                    _encoder.encode(ev),
                    content_type="application/json",
                    delivery_mode=DeliveryMode.PERSISTENT,
                    message_id=self.id_of(rec.lsn, i),
                    type=kind,
                )
                key = routing_key(ev.venue, kind, ev.symbol)
                sends.append(exchange.publish(message, key, mandatory=False))
        await asyncio.gather(*sends)  # each resolves when the broker confirms it
        self.confirmed += len(sends)

    async def close(self) -> None:
        self._exchange = None
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    def stats(self) -> dict[str, Any]:
        return {**super().stats(), "kind": "rabbitmq", "confirmed": self.confirmed}
