"""A local WebSocket that replays the merged events to every subscriber (docs/replay.md).

Protocol (JSON text messages, server → client only):

1. on connect: ``{"type": "hello", "from": ns, "to": ns, "speed": 10 | null, "symbols": [...],
   "types": [...]}`` — what this connection will receive;
2. then arrays of events, each event the archive's JSONL object (``{"type": "trade", ...}``),
   in ``ts_event`` order, sent when due at the replay speed (several due events per message);
3. last: ``{"type": "end", "events": n}`` (n = events sent to this client), then a normal close.

A client narrows what it gets with the query string: ``ws://127.0.0.1:PORT/?symbols=AAPL,MSFT
&types=trades,gaps``. The replay starts when ``wait_for`` clients are connected; later clients
join mid-stream. Every send is awaited, so the replay runs at the pace of the slowest client:
nothing is dropped.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import msgspec
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from mdc.domain.events import TYPE_NAMES, Event, encode_json
from mdc.replay.pace import Pacer, in_thread, paced_batches


@dataclass
class _Client:
    ws: ServerConnection
    symbols: set[str] | None
    types: set[str] | None
    sent: int = 0
    closed: bool = False

    def wants(self, e: Event) -> bool:
        return (self.symbols is None or e.symbol in self.symbols) and (
            self.types is None or TYPE_NAMES[type(e)] in self.types
        )


@dataclass
class ReplayServer:
    """Serves one replay of ``events`` on ``host:port`` (0 picks a free port)."""

    events: Iterable[Event]
    pacer: Pacer
    info: dict[str, object]
    host: str = "127.0.0.1"
    port: int = 0
    wait_for: int = 1
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    clients: list[_Client] = field(default_factory=list)
    _joined: asyncio.Condition = field(default_factory=asyncio.Condition)
    _done: asyncio.Event = field(default_factory=asyncio.Event)
    _server: Server | None = None

    async def start(self) -> int:
        """Listen; returns the bound port."""
        self._server = await serve(self._handler, self.host, self.port)
        sock = next(iter(self._server.sockets))
        self.port = int(sock.getsockname()[1])
        return self.port

    async def run(self) -> int:
        """Wait for subscribers, replay, say ``end`` and close; returns the events replayed."""
        if self._server is None:
            await self.start()
        async with self._joined:
            await self._joined.wait_for(lambda: len(self.clients) >= self.wait_for)
        total = 0
        async for batch in paced_batches(in_thread(iter(self.events)), self.pacer, self.sleep):
            await self._send(batch)
            total += len(batch)
        for c in list(self.clients):
            await self._say(c, {"type": "end", "events": c.sent})
        self._done.set()
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()
        return total

    async def _send(self, batch: list[Event]) -> None:
        if not batch:
            return
        for c in list(self.clients):
            mine = [e for e in batch if c.wants(e)]
            if not mine or c.closed:
                continue
            try:
                await c.ws.send(b"[" + b",".join(map(encode_json, mine)) + b"]", text=True)
                c.sent += len(mine)
            except ConnectionClosed:
                c.closed = True

    async def _say(self, c: _Client, message: dict[str, object]) -> None:
        if c.closed:
            return
        try:
            await c.ws.send(msgspec.json.encode(message), text=True)
        except ConnectionClosed:
            c.closed = True

    async def _handler(self, ws: ServerConnection) -> None:
        query = parse_qs(urlsplit(ws.request.path if ws.request else "/").query)
        symbols = _set(query.get("symbols"))
        types = _set(query.get("types"))
        client = _Client(ws, symbols, types)
        await self._say(
            client,
            {
                **self.info,
                "type": "hello",
                "symbols": sorted(symbols) if symbols else self.info.get("symbols"),
                "types": sorted(types) if types else self.info.get("types"),
            },
        )
        async with self._joined:
            self.clients.append(client)
            self._joined.notify_all()
        await self._done.wait()


def _set(values: list[str] | None) -> set[str] | None:
    if not values:
        return None
    return {v.strip() for item in values for v in item.split(",") if v.strip()}
