"""Local WebSocket servers that speak the Alpaca and Polygon stream protocols.

They follow the official documentation (cited in the providers' modules): greeting, auth with
success and failure, subscription acks with the full set, data only for subscribed channels,
error frames. The test drives data and faults: ``send`` data frames, ``drop`` connections,
``silence`` the server while it stays open, ``restart`` it on the same port.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable
from typing import Any

import msgspec
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed


class Client:
    """One accepted connection, as the server sees it."""

    def __init__(self, ws: ServerConnection, binary: bool) -> None:
        self.ws = ws
        self.binary = binary
        self.authenticated = False
        self.subscriptions: dict[str, set[str]] = {}
        self.received: list[Any] = []


class StreamServer:
    """Shared machinery: start/stop/restart on a fixed port, clients, fault controls."""

    def __init__(self) -> None:
        self.server: Server | None = None
        self.port = 0
        self.clients: list[Client] = []
        self.connections = 0
        self.silent = False
        self.max_connections = 1
        self.paths: list[str] = []
        """The request path of every connection, in order."""
        self.changed = asyncio.Event()

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    async def start(self) -> StreamServer:
        self.server = await serve(self._handle, "127.0.0.1", self.port)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        """Close the listening socket and every connection (a server crash or deploy)."""
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
            self.server = None
        self.clients.clear()

    async def restart(self, down_for: float = 0.0) -> None:
        await self.stop()
        await asyncio.sleep(down_for)
        await self.start()

    async def drop(self, code: int = 1011, reason: str = "going away") -> None:
        """Close the connections from the server side; the server stays up."""
        for client in list(self.clients):
            await client.ws.close(code, reason)

    async def send(self, messages: list[dict[str, Any]]) -> int:
        """Send one frame per client with the messages each client subscribed to."""
        sent = 0
        for client in list(self.clients):
            if not client.authenticated:
                continue
            wanted = [m for m in messages if self.wants(client, m)]
            if wanted:
                try:
                    await client.ws.send(self.encode(client, wanted))
                except ConnectionClosed:
                    continue
                sent += len(wanted)
        return sent

    async def send_raw(self, frame: str | bytes) -> None:
        for client in list(self.clients):
            if client.authenticated:
                await client.ws.send(frame)

    async def wait_for(self, predicate: Any, timeout: float = 5.0) -> None:
        async with asyncio.timeout(timeout):
            while not predicate():
                self.changed.clear()
                await self.changed.wait()

    def subscribed(self, channel: str, symbols: Iterable[str]) -> bool:
        """Some authenticated client has all ``symbols`` on ``channel``."""
        want = set(symbols)
        return any(
            c.authenticated and want <= c.subscriptions.get(channel, set()) for c in self.clients
        )

    def encode(self, client: Client, messages: Any) -> str | bytes:
        return msgspec.msgpack.encode(messages) if client.binary else json.dumps(messages)

    def decode(self, client: Client, frame: str | bytes) -> Any:
        return msgspec.msgpack.decode(frame) if isinstance(frame, bytes) else json.loads(frame)

    async def _handle(self, ws: ServerConnection) -> None:
        binary = ws.request is not None and (
            ws.request.headers.get("Content-Type") == "application/msgpack"
        )
        client = Client(ws, binary)
        self.paths.append(ws.request.path if ws.request is not None else "")
        self.connections += 1
        self.clients.append(client)
        self.changed.set()
        try:
            await self.session(client)
        except ConnectionClosed:
            pass
        finally:
            if client in self.clients:
                self.clients.remove(client)
            self.changed.set()

    async def session(self, client: Client) -> None:
        raise NotImplementedError

    def wants(self, client: Client, message: dict[str, Any]) -> bool:
        raise NotImplementedError

    async def recv(self, client: Client) -> Any:
        message = self.decode(client, await client.ws.recv())
        client.received.append(message)
        self.changed.set()
        return message


ALPACA_CHANNELS = {
    "t": "trades",
    "q": "quotes",
    "b": "bars",
    "u": "updatedBars",
    "d": "dailyBars",
    "s": "statuses",
    "l": "lulds",
    "i": "imbalances",
    "o": "orderbooks",
    "c": "corrections",
    "x": "cancelErrors",
}
ALPACA_STOCK_LISTS = (
    "trades",
    "quotes",
    "bars",
    "updatedBars",
    "dailyBars",
    "statuses",
    "lulds",
    "corrections",
    "cancelErrors",
)


class AlpacaServer(StreamServer):
    """wss://stream.data.alpaca.markets/{version}/{feed} as documented (JSON or msgpack)."""

    def __init__(self, key: str = "KEY", secret: str = "SECRET") -> None:
        super().__init__()
        self.key = key
        self.secret = secret
        self.symbol_limit = 0
        """Refuse subscriptions beyond this many symbols with error 405 (0 = no limit)."""
        self.auth_error: tuple[int, str] | None = None
        """Answer a valid auth with this error instead (e.g. 411 insufficient scope)."""

    def url(self, feed: str = "{feed}", version: str = "v2") -> str:
        return f"ws://{self.host}/{version}/{feed}"

    async def session(self, client: Client) -> None:
        ws = client.ws
        if len(self.clients) > self.max_connections:
            await self.error(client, 406, "connection limit exceeded")
            await ws.close()
            return
        await ws.send(self.encode(client, [{"T": "success", "msg": "connected"}]))
        while True:
            msg = await self.recv(client)
            action = msg.get("action")
            if action == "auth":
                if client.authenticated:
                    await self.error(client, 403, "already authenticated")
                elif self.auth_error is not None:
                    await self.error(client, *self.auth_error)
                    await ws.close()
                    return
                elif msg.get("key") == self.key and msg.get("secret") == self.secret:
                    client.authenticated = True
                    await ws.send(self.encode(client, [{"T": "success", "msg": "authenticated"}]))
                else:
                    await self.error(client, 402, "auth failed")
                    await ws.close()
                    return
            elif action in ("subscribe", "unsubscribe"):
                if not client.authenticated:
                    await self.error(client, 401, "not authenticated")
                    continue
                await self.subscription(client, action, msg)
            else:
                await self.error(client, 400, "invalid syntax")
            self.changed.set()

    async def subscription(self, client: Client, action: str, msg: dict[str, Any]) -> None:
        subs = {name: set(v) for name, v in client.subscriptions.items()}
        for channel, symbols in msg.items():
            if channel == "action":
                continue
            current = subs.setdefault(channel, set())
            if action == "subscribe":
                current |= set(symbols)
            else:
                current -= set(symbols)
        # Corrections and cancel/errors follow the trades channel.
        subs["corrections"] = set(subs.get("trades", set()))
        subs["cancelErrors"] = set(subs.get("trades", set()))
        if self.symbol_limit and len(subs.get("trades", set())) > self.symbol_limit:
            await self.error(client, 405, "symbol limit exceeded")
            return
        client.subscriptions = subs
        ack: dict[str, Any] = {"T": "subscription"}
        ack.update({name: sorted(subs.get(name, set())) for name in ALPACA_STOCK_LISTS})
        await client.ws.send(self.encode(client, [ack]))

    async def error(self, client: Client, code: int, message: str) -> None:
        await client.ws.send(self.encode(client, [{"T": "error", "code": code, "msg": message}]))

    def wants(self, client: Client, message: dict[str, Any]) -> bool:
        channel = ALPACA_CHANNELS.get(message.get("T", ""))
        if channel is None:
            return True  # control messages and unknown types go through
        return message.get("S") in client.subscriptions.get(channel, set())

    async def slow_client(self) -> None:
        """Error 407, then the server disconnects the client, as the docs warn."""
        for client in list(self.clients):
            await self.error(client, 407, "slow client")
            await client.ws.close(1008, "slow client")


POLYGON_PREFIXES = ("T", "Q", "A", "AM", "LULD")


class PolygonServer(StreamServer):
    """wss://socket.massive.com/stocks (and delayed) as documented."""

    def __init__(self, key: str = "POLYKEY") -> None:
        super().__init__()
        self.key = key

    def url(self, cluster: str = "stocks") -> str:
        return f"ws://{self.host}/{cluster}"

    async def status(self, client: Client, status: str, message: str) -> None:
        frame = [{"ev": "status", "status": status, "message": message}]
        await client.ws.send(json.dumps(frame))

    async def session(self, client: Client) -> None:
        if len(self.clients) > self.max_connections:
            await self.status(
                client,
                "max_connections",
                "Maximum number of websocket connections exceeded. You have reached the "
                "connection limit for your account.",
            )
            await client.ws.close(1008, "max connections")
            return
        await self.status(client, "connected", "Connected Successfully")
        while True:
            msg = await self.recv(client)
            action = msg.get("action")
            params = str(msg.get("params", ""))
            if action == "auth":
                if params == self.key:
                    client.authenticated = True
                    await self.status(client, "auth_success", "authenticated")
                else:
                    await self.status(client, "auth_failed", "authentication failed")
                    await client.ws.close(1008, "authentication failed")
                    return
            elif action in ("subscribe", "unsubscribe"):
                if not client.authenticated:
                    await self.status(client, "error", "not authorized")
                    continue
                for channel in filter(None, params.split(",")):
                    prefix, _, symbol = channel.partition(".")
                    current = client.subscriptions.setdefault(prefix, set())
                    if action == "subscribe":
                        current.add(symbol)
                        await self.status(client, "success", f"subscribed to: {channel}")
                    else:
                        current.discard(symbol)
                        await self.status(client, "success", f"unsubscribed to: {channel}")
            self.changed.set()

    def wants(self, client: Client, message: dict[str, Any]) -> bool:
        ev = message.get("ev", "")
        if ev not in POLYGON_PREFIXES:
            return True
        symbol = message.get("T") if ev == "LULD" else message.get("sym")
        return symbol in client.subscriptions.get(ev, set())

    def encode(self, client: Client, messages: Any) -> str | bytes:
        return json.dumps(messages)
