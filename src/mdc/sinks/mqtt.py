"""MQTT sink: every event published with QoS 1 on ``{key_prefix}/{venue}/{type}/{symbol}``.

MQTT 5, so each message carries the user property ``id`` = ``{lsn}:{index}``. A pass of WAL
records is published and the position is written once the broker has acknowledged (PUBACK)
every message: **at least once**, a crash before that republishes the pass with the same ids.
Topic levels are percent-encoded outside ``A-Za-z0-9_-``, so ``/``, ``+`` and ``#`` in a venue
or symbol never add a level or a wildcard.

paho-mqtt 2 (``mdc[mqtt]``), read 2026-12-03: https://eclipse.dev/paho/files/paho.mqtt.python/html/
and the MQTT 5 specification's QoS 1 flow (https://docs.oasis-open.org/mqtt/mqtt/v5.0/).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

import msgspec

from mdc.config.schema import SinkConfig
from mdc.domain.events import TAGS
from mdc.domain.tokens import token
from mdc.sinks.base import Sink
from mdc.storage import Store
from mdc.storage.tail import TailRecord

if TYPE_CHECKING:
    from paho.mqtt.client import Client, MQTTMessageInfo

ACK_TIMEOUT_S: Final = 10.0
_encoder = msgspec.json.Encoder()


def topic(prefix: str, venue: str, kind: str, symbol: str) -> str:
    return f"{prefix}/{token(venue)}/{kind}/{token(symbol)}"


class MqttSink(Sink):
    def __init__(self, store: Store | None, cfg: SinkConfig, id_prefix: str = "") -> None:
        super().__init__(store, cfg, id_prefix)
        self.acknowledged = 0
        self._client: Client | None = None

    def _connect(self) -> Client:
        from paho.mqtt.client import Client
        from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

        url = urlsplit(self.cfg.dsn)
        if url.scheme != "mqtt" or not url.hostname:
            raise ValueError(f"sink {self.cfg.name}: dsn must be mqtt://HOST:PORT")
        client = Client(
            CallbackAPIVersion.VERSION2,
            client_id=f"mdc-{self.cfg.name}",
            protocol=MQTTProtocolVersion.MQTTv5,
        )
        if url.username:
            client.username_pw_set(url.username, url.password)
        client.connect(url.hostname, url.port or 1883, keepalive=30)
        client.loop_start()
        return client

    async def deliver(self, records: list[TailRecord]) -> None:
        from paho.mqtt.packettypes import PacketTypes
        from paho.mqtt.properties import Properties

        if self._client is None:
            self._client = await asyncio.to_thread(self._connect)
        client = self._client
        infos: list[MQTTMessageInfo] = []
        for rec in records:
            for i, ev in enumerate(rec.events):
                props = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
                props.UserProperty = [("id", self.id_of(rec.lsn, i))]
                name = topic(self.cfg.key_prefix, ev.venue, TAGS[type(ev)], ev.symbol)
                info = client.publish(name, _encoder.encode(ev), qos=1, properties=props)
                if info.rc != 0:
                    raise ConnectionError(f"MQTT publish refused (rc {info.rc}): not connected")
                infos.append(info)
        await asyncio.to_thread(self._wait, infos)
        self.acknowledged += len(infos)

    @staticmethod
    def _wait(infos: list[MQTTMessageInfo]) -> None:
        for info in infos:
            info.wait_for_publish(ACK_TIMEOUT_S)
            if not info.is_published():
                raise TimeoutError(f"no PUBACK from the broker in {ACK_TIMEOUT_S:.0f}s")

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            client.disconnect()
            client.loop_stop()

    def stats(self) -> dict[str, Any]:
        return {**super().stats(), "kind": "mqtt", "acknowledged": self.acknowledged}
