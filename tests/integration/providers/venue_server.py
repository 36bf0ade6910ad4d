"""The part every local venue stand-in shares: a WebSocket server and a REST server on
127.0.0.1 (REST bodies from a capture unless ``_http`` is overridden) and a change signal to
wait on. Subclasses speak the venue's protocol in ``_session``."""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, Final, Self

from replay_server import answer_rest
from websockets.asyncio.server import ServerConnection, serve

FAST_STREAM: Final[dict[str, Any]] = {
    "reconnect_initial_s": 0.01,
    "reconnect_max_s": 0.05,
    "stale_market_hours_only": False,
    "ping_interval_s": 0,
    "close_timeout_s": 0.2,
}
"""Connection options for a provider against a local server: quick reconnects, no pings."""


class VenueServer(ABC):
    ws_path = ""
    """Path of the WebSocket URL (``/v2`` for Kraken's v2 endpoint)."""

    def __init__(self, rest: dict[str, bytes]) -> None:
        self.rest = rest
        self.changed = asyncio.Event()
        self._servers: list[Any] = []
        self.ws_url = self.http_url = ""

    async def __aenter__(self) -> Self:
        ws = await serve(self._session, "127.0.0.1", 0, compression=None)
        http = await asyncio.start_server(self._http, "127.0.0.1", 0)
        self._servers = [ws, http]
        self.ws_url = f"ws://127.0.0.1:{ws.sockets[0].getsockname()[1]}{self.ws_path}"
        self.http_url = f"http://127.0.0.1:{http.sockets[0].getsockname()[1]}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        for server in self._servers:
            server.close()
            await server.wait_closed()

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        async with asyncio.timeout(timeout):
            while not predicate():
                self.changed.clear()
                await self.changed.wait()

    @abstractmethod
    async def _session(self, ws: ServerConnection) -> None: ...

    async def _http(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await answer_rest(self.rest, reader, writer)
