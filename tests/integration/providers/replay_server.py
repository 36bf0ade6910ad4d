"""Replay a real captured venue session: a WebSocket server and an HTTP server on 127.0.0.1.

Captures are cryptofeed's format (``shared/fixtures/README.md``): ``<EXCHANGE>.ws.<conn>.<n>``
holds the frames a client received (``<ts>: <payload>``) and the messages it sent
(``<url> <- <ts>: <payload>``); ``<EXCHANGE>.0`` / ``.http.*`` hold REST bodies
(``<url> -> <ts>: <body>``). The WebSocket server waits for the client's first ``start_after``
messages (its subscriptions), then sends every captured frame in order, as fast as the client
reads; the HTTP server answers GETs with the captured body of the same path and query (or of
the same path when the query differs). Tests point a provider's configured URLs here and run
its real code.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Final
from urllib.parse import urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed

READ_LIMIT: Final = 64 * 1024


@dataclass
class WsCapture:
    """One captured WebSocket connection."""

    url: str
    sent: list[str]
    """What the client sent (subscriptions), in order."""
    frames: list[tuple[float, str]]
    """(receive time in Unix seconds, payload) of every frame the client received."""


def read_ws_capture(path: Path) -> WsCapture:
    url = ""
    sent: list[str] = []
    frames: list[tuple[float, str]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        if " <-> " in line:
            url = line.split(" <-> ", 1)[0]
        elif " <- " in line:
            sent.append(line.split(" <- ", 1)[1].split(": ", 1)[1])
        else:
            ts, _, payload = line.partition(": ")
            frames.append((float(ts), payload))
    return WsCapture(url, sent, frames)


def read_rest_capture(paths: Iterable[Path]) -> dict[str, bytes]:
    """``path?query`` → body of every captured REST response (other lines are skipped)."""
    bodies: dict[str, bytes] = {}
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            if " -> " not in line:
                continue
            url, _, rest = line.partition(" -> ")
            parts = urlsplit(url)
            key = parts.path + (f"?{parts.query}" if parts.query else "")
            bodies[key] = rest.split(": ", 1)[1].encode()
    return bodies


async def answer_rest(
    bodies: dict[str, bytes], reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    """Answer one HTTP GET with the body captured for its path (404 when there is none)."""
    head = await reader.readuntil(b"\r\n\r\n")
    target = head.split(b"\r\n", 1)[0].decode().split(" ")[1]
    body = bodies.get(target.split("?", 1)[0])
    status = "200 OK" if body is not None else "404 Not Found"
    payload = body if body is not None else b"{}"
    writer.write(
        f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n".encode()
        + payload
    )
    await writer.drain()
    writer.close()


@dataclass
class ReplayStats:
    connections: int = 0
    frames_sent: int = 0
    received: list[str] = field(default_factory=list)
    http_requests: list[str] = field(default_factory=list)


class ReplayServer:
    """``async with ReplayServer(frames, rest) as server:`` then use ``ws_url``/``http_url``."""

    def __init__(
        self,
        frames: list[str],
        rest: dict[str, bytes] | None = None,
        start_after: int = 1,
        replays: int = 1,
        pace_s: float = 0.0,
        answer: Callable[[str], str | None] | None = None,
    ) -> None:
        self.frames = frames
        self.rest = rest or {}
        self.start_after = start_after
        self.replays = replays
        """Connections that get the capture; later ones stay open and silent."""
        self.pace_s = pace_s
        """Pause after each frame (0: as fast as the client reads)."""
        self.answer = answer
        """The venue's reply to a client message (a subscription ack), if it sends one."""
        self.stats = ReplayStats()
        self.replayed = asyncio.Event()
        """Set once every frame of the first replay has been sent."""
        self._message = asyncio.Event()
        self._ws: Server | None = None
        self._http: asyncio.Server | None = None
        self.ws_url = ""
        self.http_url = ""

    async def __aenter__(self) -> ReplayServer:
        self._ws = await serve(self._session, "127.0.0.1", 0, compression=None, max_size=None)
        ws_port = self._ws.sockets[0].getsockname()[1]
        self._http = await asyncio.start_server(self._http_request, "127.0.0.1", 0)
        http_port = self._http.sockets[0].getsockname()[1]
        self.ws_url = f"ws://127.0.0.1:{ws_port}"
        self.http_url = f"http://127.0.0.1:{http_port}"
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._ws is not None:
            self._ws.close()
            await self._ws.wait_closed()
        if self._http is not None:
            self._http.close()
            await self._http.wait_closed()

    # -- WebSocket -----------------------------------------------------------------------

    async def _session(self, ws: ServerConnection) -> None:
        self.stats.connections += 1
        replay = self.stats.connections <= self.replays
        reader = asyncio.create_task(self._read(ws))
        try:
            if replay:
                while len(self.stats.received) < self.start_after:
                    self._message.clear()
                    await self._message.wait()
                for frame in self.frames:
                    await ws.send(frame)
                    self.stats.frames_sent += 1
                    if self.pace_s:
                        await asyncio.sleep(self.pace_s)
                self.replayed.set()
            await reader
        except ConnectionClosed:
            pass
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader

    async def _read(self, ws: ServerConnection) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for message in ws:
                text = message if isinstance(message, str) else message.decode()
                self.stats.received.append(text)
                reply = self.answer(text) if self.answer else None
                if reply is not None:
                    await ws.send(reply)
                self._message.set()

    # -- HTTP ----------------------------------------------------------------------------

    async def _http_request(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            method, target, _ = head.split(b"\r\n", 1)[0].decode().split(" ", 2)
            self.stats.http_requests.append(target)
            body = self._lookup(target) if method == "GET" else None
            status = b"200 OK" if body is not None else b"404 Not Found"
            payload = body if body is not None else f"no capture for {target}".encode()
            writer.write(
                b"HTTP/1.1 " + status + b"\r\nContent-Type: application/json\r\n"
                b"Content-Length: " + str(len(payload)).encode() + b"\r\n"
                b"Connection: close\r\n\r\n" + payload
            )
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    def _lookup(self, target: str) -> bytes | None:
        if target in self.rest:
            return self.rest[target]
        path = target.split("?", 1)[0]
        same_path = [body for key, body in self.rest.items() if key.split("?", 1)[0] == path]
        return same_path[0] if len(same_path) == 1 else None
