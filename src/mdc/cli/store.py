"""``mdc store --from nats://HOST:4222 --durable NAME``: an archive writer fed by JetStream.

Also the pieces ``mdc collect --publish`` uses: checking the ``[distributed]`` settings before
anything starts, and attaching the WAL publisher to a runtime (docs/scaling.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import signal
import socket
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Annotated, Any

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
from mdc.config import Config
from mdc.distributed.connect import BusError, options, shown
from mdc.distributed.publisher import Publisher
from mdc.distributed.writer import ArchiveWriter
from mdc.log import setup_logging
from mdc.pipeline.runtime import Runtime
from mdc.storage import ArchiveRootError, StorageError, Store, open_store
from mdc.web.security import BindError, check_bind
from mdc.web.server import bind, make_server
from mdc.web.writer_app import create_writer_app

log = logging.getLogger("mdc.store")
_DURABLE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def check_bus(config: Config) -> None:
    """Fail with the fix before anything starts: the extra, credential files, TLS files."""
    try:
        import nats  # noqa: F401
    except ImportError:
        fail("NATS needs the nats extra: pip install 'mdc[nats]'", EXIT_USAGE)
    try:
        options(config.distributed)
    except BusError as exc:
        fail(str(exc), EXIT_USAGE)
    bus = config.distributed
    live, stored = bus.live_prefix, bus.subject_prefix
    if (bus.live_publish or bus.live_watch) and (live == stored or live.startswith(stored + ".")):
        fail(
            f"distributed.live_prefix = {live!r} is inside subject_prefix {stored!r}: the "
            "stream would store every live view; choose a prefix outside it (default mdclive)",
            EXIT_USAGE,
        )
    for url in config.distributed.servers:
        if not re.match(r"^(nats|tls)://[^/\s]+$", url):
            fail(
                f"NATS server {shown([url])!r}: give nats://HOST:PORT (or tls://HOST:PORT)",
                EXIT_USAGE,
            )


def collector_id(config: Config) -> str:
    return config.distributed.collector_id or re.sub(r"[^A-Za-z0-9_-]", "-", socket.gethostname())


def attach_publisher(runtime: Runtime) -> Publisher:
    """The WAL publisher as a runtime service, its stats under ``wal_consumers.publish``."""
    store = runtime.store
    if not isinstance(store, Store):
        raise TypeError("publishing needs the collector's own archive store")
    publisher = Publisher(store, runtime.config.distributed, collector_id(runtime.config))
    runtime.add_service("publish", publisher.run)
    runtime.wal_consumers["publish"] = publisher.stats
    runtime.drains.append(publisher.drain)
    return publisher


def store(
    from_url: Annotated[
        str | None,
        typer.Option(
            "--from",
            metavar="URL",
            help="NATS server, nats://HOST:PORT  [default: distributed.servers]",
        ),
    ] = None,
    durable: Annotated[
        str,
        typer.Option(
            "--durable",
            metavar="NAME",
            help="Durable consumer: writers with the same name share the work.",
        ),
    ] = "mdc-archive",
    filter_subject: Annotated[
        str | None,
        typer.Option(
            "--filter",
            metavar="SUBJECT",
            help="Subjects to store, e.g. 'mdc.*.binance.>'  [default: PREFIX.>]",
        ),
    ] = None,
    data: Annotated[
        Path | None,
        typer.Option("--data", "-d", metavar="DIR", help="This writer's archive root."),
    ] = None,
    duration: DurationOption = None,
    http_port: MetricsPortOption = None,
    http_host: MetricsHostOption = None,
    config_path: ConfigOption = None,
) -> None:
    """Store what collectors publish to JetStream into this writer's archive.

    Messages are acknowledged only after the checkpoint holding them is committed; the archive
    is idempotent on natural keys, so redeliveries are stored once. SIGINT/SIGTERM stop it.
    """
    config = load(
        config_path,
        {
            "distributed.servers": [from_url] if from_url else None,
            "storage.root": str(data) if data else None,
            "http.host": http_host,
        },
    )
    setup_logging(config.logging.level, config.logging.format)
    log.info("config: %s", config_source(config_path))
    if not _DURABLE.match(durable):
        fail(f"--durable {durable!r}: use letters, digits, '_' or '-'", EXIT_USAGE)
    check_bus(config)
    sock = None if http_port is None else bind_metrics(config, http_port)
    try:
        asyncio.run(_run(config, durable, filter_subject, duration, sock))
    except BusError as exc:
        fail(str(exc), EXIT_FAILURE)
    except StorageError as exc:
        fail(f"storage: {exc}", EXIT_USAGE if isinstance(exc, ArchiveRootError) else EXIT_FAILURE)


def bind_metrics(config: Config, port: int) -> socket.socket:
    """The metrics socket, bound before anything opens: a bad bind leaves nothing behind."""
    try:
        check_bind(config.http.host, config.http.api_key)
    except BindError as exc:
        fail(str(exc), EXIT_USAGE)
    try:
        return bind(config.http.host, port)
    except OSError as exc:
        fail(f"{exc.strerror or exc}; choose another port with --http-port N", EXIT_FAILURE)


@contextlib.asynccontextmanager
async def serving_metrics(
    config: Config, sock: socket.socket | None, stats: Callable[[], dict[str, Any]], kind: str
) -> AsyncIterator[None]:
    """``/metrics``, ``/status``, ``/live`` on ``sock`` while the body runs (nothing if None)."""
    if sock is None:
        yield
        return
    server = make_server(create_writer_app(config, stats, kind), config.http.host, 0, sock)
    http = asyncio.create_task(server.run_until_cancelled(), name="http")
    log.info("metrics on http://%s:%d/metrics", config.http.host, server.port)
    try:
        yield
    finally:
        server.stop()
        await http


async def _run(
    config: Config,
    durable: str,
    filter_subject: str | None,
    duration: float | None,
    sock: socket.socket | None = None,
) -> None:
    writer: ArchiveWriter | None = None
    stopping = False

    def stop() -> None:
        nonlocal stopping
        stopping = True
        if writer is not None:
            writer.stop()

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop)
    archive = open_store(config.storage)
    try:
        writer = ArchiveWriter(archive, config.distributed, durable, filter_subject)
        if stopping:
            writer.stop()
        log.info(
            "storing %s from stream %s (durable %s) into %s",
            writer.filter,
            config.distributed.stream,
            durable,
            config.storage.root,
        )
        async with serving_metrics(config, sock, writer.stats, "writer"):
            await writer.run(duration)
    finally:
        archive.close()
    stats = writer.stats()
    log.info(
        "stopped: %d messages, %d events, %d acked, %d redelivered, %d bad",
        stats["messages"],
        stats["events"],
        stats["acked"],
        stats["redelivered"],
        stats["bad_messages"],
    )
