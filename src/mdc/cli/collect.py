"""``mdc collect``: run the live collector until Ctrl+C (or ``--duration``); SIGHUP, a change
of the config file or ``POST /api/config/reload`` reload its config (docs/operating.md)."""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Final

import typer

from mdc.backfill.archive import open_view
from mdc.backfill.runner import store_writer
from mdc.backfill.scheduler import BackfillScheduler
from mdc.backfill.service import BackfillService
from mdc.cli.common import (
    EXIT_FAILURE,
    EXIT_USAGE,
    ConfigOption,
    config_file,
    config_source,
    fail,
    load,
    split_symbols,
    start_logging,
)
from mdc.cli.serve import bind_http, check_http
from mdc.cli.store import attach_publisher, check_bus, collector_id
from mdc.config import Config, load_config
from mdc.distributed.connect import shown
from mdc.distributed.live import CONSUMER_NAME as LIVE_CONSUMER
from mdc.distributed.live import LivePublisher
from mdc.domain.time import NS_PER_S, now_ns
from mdc.instruments.refresh import ScheduledRefresh
from mdc.instruments.registry import Registry
from mdc.pipeline.notify import SystemdNotifier
from mdc.pipeline.reload import ConfigReloader
from mdc.pipeline.runtime import Runtime
from mdc.providers.base import CredentialsError, ProviderError
from mdc.providers.credentials import missing_hint
from mdc.providers.registry import UnknownProvider, get_spec
from mdc.quality.alerts import CONSUMER_NAME as ALERTS_CONSUMER
from mdc.quality.alerts import AlertManager
from mdc.quality.live import LiveQuality
from mdc.sinks.base import Sink
from mdc.sinks.build import check_sinks as sink_problem
from mdc.sinks.build import make_sink
from mdc.storage import ArchiveRootError, StorageError, Store
from mdc.web.app import create_app
from mdc.web.server import EmbeddedServer, make_server, service

log = logging.getLogger("mdc.collect")
DEFAULTS: Final = Config()
"""The built-in defaults, shown in ``--help`` (a config file or MDC_* variable may change them)."""
DEFAULT_SYMBOLS: Final = ",".join(s.symbol for s in DEFAULTS.symbol_configs())


def collect(
    config_path: ConfigOption = None,
    provider: Annotated[
        str | None,
        typer.Option(
            "--provider",
            "-p",
            metavar="NAME",
            help=f"Streaming provider (see `mdc providers`).  [default: {DEFAULTS.provider}]",
        ),
    ] = None,
    symbols: Annotated[
        str | None,
        typer.Option(
            "--symbols",
            "-s",
            metavar="A,B",
            help=f"Comma-separated symbols.  [default: {DEFAULT_SYMBOLS}]",
        ),
    ] = None,
    data: Annotated[
        Path | None,
        typer.Option(
            "--data",
            "-d",
            metavar="DIR",
            help=f"Archive root.  [default: ./{DEFAULTS.storage.root}]",
        ),
    ] = None,
    duration: Annotated[
        float | None,
        typer.Option(
            "--duration",
            min=0.0,
            metavar="SECONDS",
            help="Stop after this many seconds.  [default: until Ctrl+C]",
        ),
    ] = None,
    no_http: Annotated[
        bool, typer.Option("--no-http", help="Do not serve the dashboard/API.", show_default=False)
    ] = False,
    http_host: Annotated[
        str | None,
        typer.Option(
            "--http-host",
            metavar="HOST",
            help="Bind address (not loopback: needs MDC_API_KEY).  "
            f"[default: {DEFAULTS.http.host}]",
        ),
    ] = None,
    http_port: Annotated[
        int | None,
        typer.Option(
            "--http-port",
            metavar="PORT",
            help=f"HTTP port (0: any free one).  [default: {DEFAULTS.http.port}]",
        ),
    ] = None,
    publish: Annotated[
        str | None,
        typer.Option(
            "--publish",
            metavar="URL",
            help="Also publish the WAL to NATS JetStream, nats://HOST:PORT (docs/scaling.md).",
        ),
    ] = None,
    live: Annotated[
        str | None,
        typer.Option(
            "--live",
            metavar="URL",
            help="Also publish the live view on core NATS, nats://HOST:PORT, for "
            "`mdc serve --live` and `mdc tui --nats` (docs/scaling.md).",
        ),
    ] = None,
) -> None:
    """Collect live data into the archive until Ctrl+C (SIGINT/SIGTERM drain and exit 0).

    Defaults are the built-in ones; the config (mdc.toml, MDC_* variables) changes them and
    a flag wins over both.
    """
    if publish and live and publish != live:
        fail("--publish and --live name different servers: give both the same URL", EXIT_USAGE)
    overrides = {
        "provider": provider,
        "symbols": split_symbols(symbols),
        "storage.root": str(data) if data else None,
        "http.enabled": False if no_http else None,
        "http.host": http_host,
        "http.port": http_port,
        "distributed.publish": True if publish else None,
        "distributed.live_publish": True if live else None,
        "distributed.servers": [url] if (url := publish or live) else None,
    }
    config = load(config_path, overrides)
    path = config_file(config_path)
    start_logging(config)
    log.info("config: %s", config_source(config_path))
    check_provider(config)
    if config.distributed.publish or config.distributed.live_publish:
        check_bus(config)
    check_sinks(config)
    sock = None
    if config.http.enabled:
        check_http(config)
        # Bound before the store exists: a port in use must leave nothing behind on disk.
        sock = bind_http(
            config, port_flag="--http-port", extra="or run without the dashboard: --no-http"
        )
    try:
        asyncio.run(
            _run(config, duration, sock, path, lambda: load_config(path, overrides=overrides))
        )
    except CredentialsError as exc:
        fail(str(exc), EXIT_FAILURE)
    except ProviderError as exc:
        fail(f"provider {config.provider}: {exc}", EXIT_FAILURE)
    except StorageError as exc:
        usage = isinstance(exc, ArchiveRootError)  # the user fixes the root or the config
        fail(f"storage: {exc}", EXIT_USAGE if usage else EXIT_FAILURE)
    except OSError as exc:
        fail(f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), EXIT_FAILURE)


def check_provider(config: Config) -> None:
    """Fail before starting anything when the provider is unknown or lacks credentials."""
    routed = {s for route in config.routes for s in route.symbols}
    names = [n for route in config.routes for n in (route.provider, *route.failover)]
    if not config.routes or any(s.symbol not in routed for s in config.symbol_configs()):
        names += [config.provider, *config.failover]
    for name in dict.fromkeys(names):
        try:
            spec = get_spec(name)
        except UnknownProvider as exc:
            fail(f"provider: {exc}", EXIT_USAGE)
        if spec.streaming is None:
            fail(f"provider: {name!r} has no live stream (historical only)", EXIT_USAGE)
        missing = spec.missing_credentials()
        if missing:
            fail(f"provider {name!r} needs credentials: {missing_hint(missing)}", EXIT_USAGE)


def check_sinks(config: Config) -> None:
    problem = sink_problem(config.sinks)
    if problem:
        fail(problem, EXIT_USAGE)


def attach_sinks(runtime: Runtime) -> list[Sink]:
    """Every ``[[sinks]]`` entry as a runtime service, its stats under ``wal_consumers``."""
    store = runtime.store
    if not isinstance(store, Store) or not runtime.config.sinks:
        return []
    sinks = [make_sink(store, cfg) for cfg in runtime.config.sinks]
    for sink in sinks:
        runtime.add_service(sink.position_name, sink.run)
        runtime.wal_consumers[sink.position_name] = sink.stats
        runtime.drains.append(sink.drain)
    return sinks


def attach_live(runtime: Runtime) -> LivePublisher:
    """The live-view publisher as a fan-out consumer (the dashboard's drop policy, so it never
    slows the pipeline); an unreachable NATS is logged once per outage."""
    config = runtime.config
    pipeline = config.pipeline
    queue = runtime.fanout.add(LIVE_CONSUMER, pipeline.capacity, pipeline.dashboard_policy)

    def status() -> dict[str, Any]:
        return {
            "provider": ", ".join(runtime.providers) or runtime.config.provider,
            "accepting": runtime.accepting,
            "fatal_error": runtime.fatal_error,
            "storage_paused": runtime.storage_paused,
            "uptime_s": round((now_ns() - runtime.started_ns) / NS_PER_S, 3),
            "events_in": runtime.events_in,
            "events_stored": runtime.events_stored,
            "events_by_type": dict(runtime.events_by_type),
            "bad_frames": runtime.bad_frames,
            "dropped": queue.dropped,
            "subscribed": list(runtime.symbols),
            "providers": {
                name: {
                    "connected": p.state.connected,
                    "state": p.state.state,
                    "reconnects": p.state.reconnects,
                    "last_error": p.state.last_error,
                }
                for name, p in runtime.providers.items()
            },
        }

    publisher = LivePublisher(config.distributed, collector_id(config), queue, status)
    runtime.add_service("live-publish", publisher.run)
    return publisher


def attach_services(
    runtime: Runtime,
    sock: socket.socket | None = None,
    reloader: ConfigReloader | None = None,
) -> EmbeddedServer | None:
    """The backfill scheduler, the config reloader (SIGHUP, file watch, API), the live anomaly
    detectors, the alert rules and, unless
    disabled, the HTTP server, as runtime services.

    The socket is ``sock`` (bound by the caller) or bound here; either way a bad bind fails
    before collecting starts.
    """
    config = runtime.config
    scheduler = BackfillScheduler(
        config, store_writer(runtime.store), symbols=lambda: list(runtime.symbols)
    )
    runtime.add_service("backfill", scheduler.run)
    runtime.gap_listeners.append(scheduler.on_gap)
    runtime.config_listeners.append(scheduler.reconfigure)
    if reloader is not None:
        runtime.add_service("config-watch", reloader.watch)
    if config.instruments.refresh_cron:
        refresher = ScheduledRefresh(config, Registry(Path(config.storage.root)))
        runtime.add_service("instruments", refresher.run)
    quality = LiveQuality.attach(runtime)
    if quality is not None:
        runtime.add_service("quality", quality.run)
    alerts = AlertManager(config, runtime)
    if config.alerts:
        pipeline = config.pipeline
        queue = runtime.fanout.add(ALERTS_CONSUMER, pipeline.capacity, pipeline.dashboard_policy)
        runtime.add_service("alerts", lambda: alerts.run(queue))
        runtime.config_listeners.append(alerts.reconfigure)
        runtime.live_keys.add("alerts")
    if config.distributed.live_publish:
        attach_live(runtime)
    if not config.http.enabled:
        return None
    # Repair jobs compare the archive with the calendar: the service reads the files the
    # store commits (the same view `mdc backfill --repair` uses).
    app = create_app(
        config,
        runtime,
        BackfillService(scheduler, archive=open_view(config)),
        alerts=alerts,
        reloader=reloader,
    )
    server = make_server(app, config.http.host, config.http.port, sock)
    runtime.add_service("http", service(server))
    return server


async def _run(
    config: Config,
    duration: float | None,
    sock: socket.socket | None,
    path: Path | None,
    reload: Callable[[], Config],
) -> None:
    """Collect; ``reload`` reads the config again as it was read now (file ``path``, the
    ``MDC_*`` variables of the moment, the same flags) for hot reloads."""
    # Handlers first: a signal during recovery (open_store) is queued by the loop and acted
    # on once it returns, instead of interrupting it with a traceback.
    started: list[Runtime] = []
    notifier = SystemdNotifier()

    def stop() -> None:
        notifier.stopping()
        for r in started:
            r.stop()

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop)
    try:
        runtime = Runtime(config)
    except BaseException:
        if sock is not None:
            sock.close()
        raise
    try:
        reloader = ConfigReloader(runtime, reload, path)
        server = attach_services(runtime, sock, reloader)
    except BaseException:
        runtime.store.close()
        raise
    if config.distributed.publish:
        publisher = attach_publisher(runtime)
        log.info(
            "publishing to JetStream stream %s on %s as collector %s (from LSN %d)",
            config.distributed.stream,
            shown(config.distributed.servers),
            publisher.collector,
            publisher.position,
        )
    for sink in attach_sinks(runtime):
        log.info("%s from LSN %d", sink.label, sink.position)
    started.append(runtime)
    if server is not None:
        log.info("dashboard on http://%s:%d/", config.http.host, server.port)
    runtime.add_service(
        "systemd",
        lambda: notifier.service(
            lambda: runtime.accepting, lambda: f"collecting {len(runtime.symbols)} symbols"
        ),
    )
    loop.add_signal_handler(signal.SIGHUP, reloader.on_signal)
    log.info(
        "collecting %s from %s into %s",
        ",".join(runtime.symbols),
        config.provider,
        config.storage.root,
    )
    await runtime.run(duration)
    if runtime.fatal_error:
        raise ProviderError(runtime.fatal_error)
