"""The RabbitMQ sink against the real broker: topic routing, confirms, outage and catch-up."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import aio_pika
import msgspec
from tests.support.net import free_port
from tests.support.services import rabbitmq
from tests.support.sink_run import through_outage, trades

from mdc.config.schema import SinkConfig, StorageConfig
from mdc.domain.events import Trade
from mdc.sinks.rabbitmq import RabbitMqSink
from mdc.storage import open_store


def test_confirmed_events_reach_a_bound_queue_after_an_outage(tmp_path: Path) -> None:
    url = rabbitmq()
    exchange = f"mdc-test-{os.getpid()}"
    down = f"amqp://guest:guest@127.0.0.1:{free_port()}/"
    store = open_store(StorageConfig(root=str(tmp_path), min_free_mb=0))
    cfg = SinkConfig(name="mq", kind="rabbitmq", dsn=down, exchange=exchange)
    sink = RabbitMqSink(store, cfg)

    async def scenario() -> list[aio_pika.abc.AbstractIncomingMessage]:
        conn = await aio_pika.connect_robust(url)
        channel = await conn.channel()
        ex = await channel.declare_exchange(exchange, aio_pika.ExchangeType.TOPIC, durable=True)
        queue = await channel.declare_queue(exclusive=True)
        await queue.bind(ex, "XNAS.trade.AAPL")  # MSFT's are not routed here
        up = SinkConfig(name="mq", kind="rabbitmq", dsn=url, exchange=exchange)
        first = trades(0, 30, "AAPL") + trades(0, 5, "MSFT")
        await through_outage(sink, store, up, first, trades(30, 20, "AAPL"))
        got = []
        while len(got) < 50 and (msg := await queue.get(timeout=5, fail=False)) is not None:
            await msg.ack()
            got.append(msg)
        await ex.delete()
        await conn.close()
        return got

    try:
        got = asyncio.run(scenario())
    finally:
        store.close()
    assert len(got) == 50
    assert [m.message_id for m in got[:2]] == ["1:0", "1:1"] and got[-1].message_id == "2:19"
    assert all(m.type == "trade" and m.delivery_mode == 2 for m in got)
    assert msgspec.json.decode(got[31].body, type=Trade) == trades(31, 1, "AAPL")[0]
    assert sink.stats()["confirmed"] == 55
