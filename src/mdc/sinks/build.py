"""``[[sinks]]`` entries → sink objects, and the checks to run before anything starts."""

from __future__ import annotations

import importlib
from typing import Final

from mdc.config.schema import SinkConfig
from mdc.sinks.base import Sink
from mdc.sinks.mqtt import MqttSink
from mdc.sinks.postgres import PostgresSink
from mdc.sinks.rabbitmq import RabbitMqSink
from mdc.sinks.redis import RedisSink
from mdc.storage import Store

CLIENTS: Final = {
    "postgres": ("psycopg", "postgres"),
    "redis": ("redis", "redis"),
    "rabbitmq": ("aio_pika", "rabbitmq"),
    "mqtt": ("paho.mqtt.client", "mqtt"),
}
"""kind → (client module, the mdc extra that installs it)."""


def check_sinks(sinks: list[SinkConfig]) -> str | None:
    """What is wrong with the sinks' settings (with the fix), or None."""
    names = [s.name for s in sinks]
    if len(set(names)) != len(names):
        return f"sinks: names must be unique, got {names}"
    for kind in {s.kind for s in sinks}:
        module, extra = CLIENTS[kind]
        try:
            importlib.import_module(module)
        except ImportError:
            return f"a {kind} sink needs the extra: pip install 'mdc[{extra}]'"
    return None


KINDS: Final[dict[str, type[Sink]]] = {
    "postgres": PostgresSink,
    "redis": RedisSink,
    "rabbitmq": RabbitMqSink,
    "mqtt": MqttSink,
}


def make_sink(store: Store | None, cfg: SinkConfig, id_prefix: str = "") -> Sink:
    """A sink of the local WAL (``store``), or one another loop feeds (``store`` None)."""
    return KINDS[cfg.kind](store, cfg, id_prefix)
