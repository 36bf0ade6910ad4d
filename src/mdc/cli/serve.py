"""``mdc serve``: the dashboard and API over an archive, without collecting."""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
from pathlib import Path
from typing import Annotated

import typer

from mdc.cli.common import (
    EXIT_FAILURE,
    EXIT_USAGE,
    ConfigOption,
    config_source,
    fail,
    load,
    start_logging,
)
from mdc.cli.store import check_bus
from mdc.config import Config
from mdc.distributed.connect import shown
from mdc.web.app import create_app
from mdc.web.security import BindError, check_bind
from mdc.web.server import bind, make_server

log = logging.getLogger("mdc.serve")


def serve(
    config_path: ConfigOption = None,
    data: Annotated[
        Path | None, typer.Option("--data", "-d", help="Archive root (storage.root).")
    ] = None,
    host: Annotated[str | None, typer.Option("--host", help="Bind address.")] = None,
    port: Annotated[int | None, typer.Option("--port", help="HTTP port (0: any free).")] = None,
    live: Annotated[
        str | None,
        typer.Option(
            "--live",
            metavar="URL",
            help="Also watch the collectors' live views on core NATS, nats://HOST:PORT "
            "(the Remote page, /api/remote/collectors).",
        ),
    ] = None,
) -> None:
    """Serve the dashboard and HTTP API over an archive until Ctrl+C."""
    config = load(
        config_path,
        {
            "storage.root": str(data) if data else None,
            "http.host": host,
            "http.port": port,
            "distributed.live_watch": True if live else None,
            "distributed.servers": [live] if live else None,
        },
    )
    start_logging(config)
    log.info("config: %s", config_source(config_path))
    check_http(config)
    if config.distributed.live_watch:
        check_bus(config)
    root = Path(config.storage.root)
    if not root.is_dir():
        fail(f"--data: {root} is not a directory (no archive there)", EXIT_USAGE)
    sock = bind_http(config, port_flag="--port")
    try:
        asyncio.run(_serve(config, sock))
    except OSError as exc:
        fail(str(exc), EXIT_FAILURE)


def check_http(config: Config) -> None:
    """Exit 2 on a non-loopback bind without an API key."""
    try:
        check_bind(config.http.host, config.http.api_key)
    except BindError as exc:
        fail(str(exc), EXIT_USAGE)


def bind_http(config: Config, port_flag: str, extra: str = "") -> socket.socket:
    """The dashboard's listening socket, or exit 1 with the flags that fix a busy port."""
    try:
        return bind(config.http.host, config.http.port)
    except OSError as exc:
        hint = f"choose another port with {port_flag} N (0 picks a free one)"
        fail(f"{exc.strerror or exc}; {hint}" + (f", {extra}" if extra else ""), EXIT_FAILURE)


async def _serve(config: Config, sock: socket.socket) -> None:
    server = make_server(create_app(config), config.http.host, config.http.port, sock)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, server.stop)
    log.info("serving %s on http://%s:%d/", config.storage.root, config.http.host, server.port)
    if config.distributed.live_watch:
        log.info(
            "watching live views on %s.*.view at %s",
            config.distributed.live_prefix,
            shown(config.distributed.servers),
        )
    await server.run_until_cancelled()
