"""The MQTT sink against the real Mosquitto: QoS 1 topics, message ids, outage and catch-up."""

from __future__ import annotations

import asyncio
import os
import threading
from pathlib import Path

import msgspec
from paho.mqtt.client import Client, MQTTMessage
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from tests.support.mosquitto import mosquitto
from tests.support.net import free_port

from mdc.config.schema import SinkConfig, StorageConfig
from mdc.domain.events import Event, Trade
from mdc.sinks.mqtt import MqttSink
from mdc.storage import open_store

T = 1_709_303_400_000_000_000


def trades(symbol: str, start: int, n: int) -> list[Event]:
    return [
        Trade(
            symbol=symbol, venue="X/NAS", provider="sim", ts_event=T + i, ts_recv=T + i, seq=i,
            price=100.0 + i / 8, size=1.0,
        )
        for i in range(start, start + n)
    ]  # fmt: skip


def test_events_arrive_with_qos1_on_their_topics_after_an_outage(tmp_path: Path) -> None:
    url = mosquitto()
    prefix = f"mdct{os.getpid()}"
    got: list[MQTTMessage] = []
    subscribed = threading.Event()
    reader = Client(CallbackAPIVersion.VERSION2, protocol=MQTTProtocolVersion.MQTTv5)
    reader.on_message = lambda _c, _u, msg: got.append(msg)
    reader.on_subscribe = lambda *_: subscribed.set()
    reader.connect("127.0.0.1", 1883)
    reader.loop_start()
    reader.subscribe(f"{prefix}/#", qos=1)
    assert subscribed.wait(10)
    store = open_store(StorageConfig(root=str(tmp_path), min_free_mb=0))
    down = f"mqtt://127.0.0.1:{free_port()}"
    sink = MqttSink(store, SinkConfig(name="mq", kind="mqtt", dsn=down, key_prefix=prefix))

    async def scenario() -> None:
        task = asyncio.create_task(sink.run())
        store.append(trades("A+B", 0, 30))
        while sink.errors < 2:
            await asyncio.sleep(0.05)
        assert sink.position == 0 and not sink.connected
        sink.cfg = SinkConfig(name="mq", kind="mqtt", dsn=url, key_prefix=prefix)
        store.append(trades("A+B", 30, 20))
        while sink.position < store.wal_lsn:
            await asyncio.sleep(0.05)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    try:
        asyncio.run(scenario())
        for _ in range(100):
            if len(got) >= 50:
                break
            threading.Event().wait(0.05)
    finally:
        store.close()
        reader.loop_stop()
        reader.disconnect()
    assert len(got) == 50
    assert {m.topic for m in got} == {f"{prefix}/X%2FNAS/trade/A%2BB"}
    ids = [dict(m.properties.UserProperty)["id"] for m in got]  # type: ignore[union-attr]
    assert ids[:2] == ["1:0", "1:1"] and ids[-1] == "2:19"
    assert msgspec.json.decode(got[5].payload, type=Trade) == trades("A+B", 5, 1)[0]
    assert sink.stats()["acknowledged"] == 50
