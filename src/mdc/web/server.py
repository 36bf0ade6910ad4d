"""Running the app: inside ``mdc collect`` (a runtime service) or standalone (``mdc serve``).

The listening socket is bound up front (:func:`bind`), so a port in use or a bad address is a
clear error before anything starts, and port 0 reports the port the OS chose. uvicorn's own
signal handling is switched off: the process's owner (the runtime or the serve command) decides
when to stop, and stopping ends open SSE streams and connections within :data:`GRACEFUL_S`.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Callable, Coroutine, Generator
from typing import Any, Final

import uvicorn
from fastapi import FastAPI

from mdc.web.security import check_bind

GRACEFUL_S: Final = 2
STOP_WAIT_S: Final = 5.0
BACKLOG: Final = 128


class EmbeddedServer(uvicorn.Server):
    """A uvicorn server that leaves signals to its owner and serves a pre-bound socket."""

    def __init__(self, config: uvicorn.Config, sock: socket.socket, closing: asyncio.Event):
        super().__init__(config)
        self.sock = sock
        self.closing = closing

    @property
    def port(self) -> int:
        port: int = self.sock.getsockname()[1]
        return port

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield

    async def run_until_cancelled(self) -> None:
        """Serve until cancelled (or :meth:`stop`); shut down gracefully either way."""
        task = asyncio.create_task(self.serve(sockets=[self.sock]), name="uvicorn")
        try:
            await asyncio.shield(task)
        finally:
            if not task.done():
                self.stop()
                with contextlib.suppress(Exception, asyncio.CancelledError):
                    await asyncio.wait_for(task, STOP_WAIT_S)

    def stop(self) -> None:
        self.closing.set()
        self.should_exit = True


def bind(host: str, port: int) -> socket.socket:
    """A listening socket, or OSError naming the address."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        sock = socket.socket(family, socket.SOCK_STREAM)
    except OSError as exc:
        raise OSError(exc.errno, f"cannot resolve HTTP bind address {host!r}: {exc}") from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(BACKLOG)
    except OSError as exc:
        sock.close()
        raise OSError(exc.errno, f"cannot serve HTTP on {host}:{port}: {exc.strerror}") from None
    sock.setblocking(False)
    return sock


def make_server(
    app: FastAPI, host: str, port: int, sock: socket.socket | None = None
) -> EmbeddedServer:
    """Check the bind against the API key rule, bind (unless ``sock`` was bound already, as
    ``mdc collect`` does before it creates anything), and build the server."""
    check_bind(host, app.state.web.api_key)
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=GRACEFUL_S,
        lifespan="on",
    )
    return EmbeddedServer(config, sock or bind(host, port), app.state.web.closing)


def service(server: EmbeddedServer) -> Callable[[], Coroutine[Any, Any, None]]:
    """A factory for ``Runtime.add_service("http", ...)``."""
    return server.run_until_cancelled
