"""The MQTT sink against the real Mosquitto: QoS 1 topics, message ids, outage and catch-up."""

from __future__ import annotations

import asyncio
import os
import threading
from pathlib import Path

import msgspec
from paho.mqtt.client import Client, MQTTMessage
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from tests.support.net import free_port
from tests.support.services import mosquitto
from tests.support.sink_run import through_outage, trades

from mdc.config.schema import SinkConfig, StorageConfig
from mdc.domain.events import Trade
from mdc.sinks.mqtt import MqttSink
from mdc.storage import open_store


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

    up = SinkConfig(name="mq", kind="mqtt", dsn=url, key_prefix=prefix)
    first, second = trades(0, 30, "A+B", "X/NAS"), trades(30, 20, "A+B", "X/NAS")
    try:
        asyncio.run(through_outage(sink, store, up, first, second))
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
    assert msgspec.json.decode(got[5].payload, type=Trade) == trades(5, 1, "A+B", "X/NAS")[0]
    assert sink.stats()["acknowledged"] == 50
