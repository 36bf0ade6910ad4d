"""``mdc sink --from nats://HOST:4222 --durable NAME --sink PG``: one ``[[sinks]]`` entry fed
from a JetStream durable consumer instead of a collector's WAL (docs/scaling.md, "Sinks fed
from JetStream"). Messages are acked only after the sink committed them."""

from __future__ import annotations

import asyncio
import logging
import re
import signal
import socket
from typing import Annotated

import typer

from mdc.cli.common import (
    EXIT_FAILURE,
    EXIT_USAGE,
    ConfigOption,
    DurationOption,
    MetricsHostOption,
    MetricsPortOption,
    config_source,
    fail,
    load,
)
from mdc.cli.store import bind_metrics, check_bus, serving_metrics
from mdc.config import Config
from mdc.config.schema import SinkConfig
from mdc.distributed.connect import BusError
from mdc.distributed.feed import StreamFeed
from mdc.log import setup_logging
from mdc.sinks.build import check_sinks, make_sink

log = logging.getLogger("mdc.sink")
_DURABLE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def sink(
    name: Annotated[
        str, typer.Option("--sink", metavar="NAME", help="The [[sinks]] entry to run (its name).")
    ],
    from_url: Annotated[
        str | None,
        typer.Option(
            "--from",
            metavar="URL",
            help="NATS server, nats://HOST:PORT  [default: distributed.servers]",
        ),
    ] = None,
    durable: Annotated[
        str | None,
        typer.Option(
            "--durable",
            metavar="NAME",
            help="Durable consumer: sink processes with the same name share the work.  "
            "[default: mdc-sink-NAME]",
        ),
    ] = None,
    filter_subject: Annotated[
        str | None,
        typer.Option(
            "--filter",
            metavar="SUBJECT",
            help="Subjects to sink, e.g. 'mdc.*.binance.trade'  [default: PREFIX.>]",
        ),
    ] = None,
    duration: DurationOption = None,
    http_port: MetricsPortOption = None,
    http_host: MetricsHostOption = None,
    config_path: ConfigOption = None,
) -> None:
    """Write what collectors publish to JetStream into one [[sinks]] entry.

    PostgreSQL holds each event once (primary key on the natural key); Redis, RabbitMQ and MQTT
    get it at least once, with ids a reader can drop repeats by. SIGINT/SIGTERM stop it.
    """
    config = load(
        config_path,
        {"distributed.servers": [from_url] if from_url else None, "http.host": http_host},
    )
    setup_logging(config.logging.level, config.logging.format)
    log.info("config: %s", config_source(config_path))
    chosen = _entry(config, name)
    problem = check_sinks([chosen])
    if problem:
        fail(problem, EXIT_USAGE)
    durable = durable or f"mdc-sink-{name}"
    if not _DURABLE.match(durable):
        fail(f"--durable {durable!r}: use letters, digits, '_' or '-'", EXIT_USAGE)
    check_bus(config)
    sock = None if http_port is None else bind_metrics(config, http_port)
    try:
        asyncio.run(_run(config, chosen, durable, filter_subject, duration, sock))
    except BusError as exc:
        fail(str(exc), EXIT_FAILURE)


def _entry(config: Config, name: str) -> SinkConfig:
    for entry in config.sinks:
        if entry.name == name:
            return entry
    known = ", ".join(s.name for s in config.sinks) or "none (add a [[sinks]] entry to the config)"
    fail(f"--sink {name!r}: no [[sinks]] entry of that name; the config has: {known}", EXIT_USAGE)


async def _run(
    config: Config,
    entry: SinkConfig,
    durable: str,
    filter_subject: str | None,
    duration: float | None,
    sock: socket.socket | None,
) -> None:
    target = make_sink(None, entry, id_prefix=f"{config.distributed.stream}:")
    feed = StreamFeed(config.distributed, durable, filter_subject, target)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, feed.stop)
    log.info(
        "%s from stream %s (durable %s, %s)",
        target.label,
        config.distributed.stream,
        durable,
        feed.filter,
    )
    async with serving_metrics(config, sock, feed.stats, "sink"):
        await feed.run(duration)
    s = feed.stats()
    log.info(
        "stopped: %d messages, %d events delivered, %d acked, %d redelivered, %d bad, %d errors",
        s["delivered_messages"],
        s["delivered_events"],
        s["acked"],
        s["redelivered"],
        s["bad_messages"],
        s["errors"],
    )
