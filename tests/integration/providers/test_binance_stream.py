"""The real Binance provider against a local server speaking the documented protocols.

The WebSocket server is the combined-stream endpoint: it answers ``SUBSCRIBE`` with
``{"result": null, "id": n}``, records the arrival time of every client frame per connection
(the 5-messages-a-second limit is checked on the server side) and sends what a test gives it.
The HTTP server answers ``/api/v3/exchangeInfo`` and ``/api/v3/depth`` as documented, or with
the status a test sets (451, 429 with Retry-After).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
from collecting_sink import CollectingSink, eventually
from venue_server import FAST_STREAM, VenueServer
from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from mdc.config.schema import Config, SymbolConfig
from mdc.domain.events import BookSnapshot, Gap, Trade
from mdc.providers.base import ProviderError
from mdc.providers.binance.stream import BinanceStream

FAST: dict[str, Any] = {
    **FAST_STREAM,
    "rest": {"timeout_s": 2.0, "backoff_base_s": 0.01, "backoff_max_s": 0.02},
}


class Connection:
    def __init__(self, ws: ServerConnection) -> None:
        self.ws = ws
        self.frames: list[tuple[float, dict[str, Any]]] = []
        self.streams: set[str] = set()
        self.closed = asyncio.Event()


class BinanceServer(VenueServer):
    """``wss://stream.binance.com:9443/stream`` and ``https://api.binance.com`` on 127.0.0.1."""

    ws_path = "/stream"

    def __init__(self, symbols: list[str]) -> None:
        super().__init__({})
        self.symbols = symbols
        self.connections: list[Connection] = []
        self.depth_status: list[tuple[int, dict[str, str]]] = []
        """Statuses (and headers) answered to depth requests, in order, before a 200."""
        self.depth_requests: list[str] = []
        self.last_update_id = 100

    async def send(self, conn: Connection, message: dict[str, Any]) -> None:
        await conn.ws.send(json.dumps(message))

    async def _session(self, ws: ServerConnection) -> None:
        conn = Connection(ws)
        self.connections.append(conn)
        self.changed.set()
        loop = asyncio.get_running_loop()
        with contextlib.suppress(ConnectionClosed):
            async for frame in ws:
                request = json.loads(frame)
                conn.frames.append((loop.time(), request))
                if request["method"] == "SUBSCRIBE":
                    conn.streams |= set(request["params"])
                elif request["method"] == "UNSUBSCRIBE":
                    conn.streams -= set(request["params"])
                await ws.send(json.dumps({"result": None, "id": request["id"]}))
                self.changed.set()
        conn.closed.set()
        self.changed.set()

    async def _http(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        target = head.split(b"\r\n", 1)[0].decode().split(" ")[1]
        status, headers, body = 200, {}, b""
        if target.startswith("/api/v3/exchangeInfo"):
            body = json.dumps({"symbols": [_symbol(s) for s in self.symbols]}).encode()
        elif target.startswith("/api/v3/depth"):
            self.depth_requests.append(target)
            if self.depth_status:
                status, headers = self.depth_status.pop(0)
                body = b'{"code":0,"msg":"Service unavailable from a restricted location"}'
            else:
                snapshot = {"lastUpdateId": self.last_update_id, "bids": [["1.0", "2.0"]]}
                body = json.dumps({**snapshot, "asks": [["1.1", "3.0"]]}).encode()
        else:
            status, body = 404, b"{}"
        extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        writer.write(
            f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n{extra}"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
            + body
        )
        await writer.drain()
        writer.close()
        self.changed.set()


def _symbol(symbol: str) -> dict[str, Any]:
    base, quote = symbol.split("-")
    return {"symbol": base + quote, "baseAsset": base, "quoteAsset": quote, "filters": []}


def config(server: BinanceServer, **extra: Any) -> Config:
    section = {"ws_url": server.ws_url, "rest_url": server.http_url, **FAST, **extra}
    return Config(symbols=list(server.symbols), providers={"binance": section})


def agg_trade(symbol: str, trade_id: int) -> dict[str, Any]:
    data = {"e": "aggTrade", "E": 1, "s": symbol, "a": trade_id, "p": "1.5", "q": "2"}
    return {
        "stream": f"{symbol.lower()}@aggTrade",
        "data": {**data, "T": 1000 + trade_id, "m": False},
    }


@asynccontextmanager
async def running(
    server: BinanceServer, cfg: Config, symbols: list[SymbolConfig]
) -> AsyncIterator[tuple[BinanceStream, CollectingSink, asyncio.Task[None]]]:
    sink = CollectingSink()
    provider = BinanceStream(cfg, sink)
    task = asyncio.create_task(provider.run(symbols))
    try:
        yield provider, sink, task
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


def run(symbols: list[str], scenario: Callable[[BinanceServer], Awaitable[None]]) -> None:
    async def main() -> None:
        async with BinanceServer(symbols) as server:
            await scenario(server)

    asyncio.run(main())


def most_in_one_second(times: list[float]) -> int:
    """The largest number of frames inside any window of one second."""
    return max((sum(1 for u in times if t <= u < t + 1.0) for t in times), default=0)


def test_1500_symbols_take_two_connections_paced_under_5_messages_a_second() -> None:
    names = [f"C{i:04d}-USDT" for i in range(1500)]
    trades_only = [SymbolConfig(symbol=s, depth=False, quotes=False) for s in names]

    async def scenario(server: BinanceServer) -> None:
        async with running(server, config(server), trades_only) as (provider, _, _):
            await server.wait_for(lambda: sum(len(c.streams) for c in server.connections) == 1500)
            assert len(server.connections) == 2
            assert sorted(len(c.streams) for c in server.connections) == [476, 1024]
            everything = set().union(*(c.streams for c in server.connections))
            assert everything == {f"{s.replace('-', '').lower()}@aggTrade" for s in names}
            for conn in server.connections:
                assert most_in_one_second([t for t, _ in conn.frames]) <= 5
            assert [len(c.frames) for c in server.connections] == [6, 3]
            # A symbol added while running joins the connection with room, paced as well.
            extra = [SymbolConfig(symbol=f"D{i}-USDT", depth=False, quotes=False) for i in range(3)]
            await provider.subscribe(extra)
            await server.wait_for(lambda: sum(len(c.streams) for c in server.connections) == 1503)
            assert sorted(len(c.streams) for c in server.connections) == [479, 1024]
            assert len(server.connections) == 2
            for conn in server.connections:
                assert most_in_one_second([t for t, _ in conn.frames]) <= 5

    run([*names, "D0-USDT", "D1-USDT", "D2-USDT"], scenario)


def test_server_shutdown_moves_to_a_new_connection_without_a_gap() -> None:
    btc = SymbolConfig(symbol="BTC-USDT", depth=False, quotes=False)

    async def scenario(server: BinanceServer) -> None:
        async with running(server, config(server), [btc]) as (provider, sink, task):
            await server.wait_for(
                lambda: len(server.connections) == 1 and server.connections[0].streams
            )
            first = server.connections[0]
            for trade_id in (1, 2):
                await server.send(first, agg_trade("BTCUSDT", trade_id))
            await sink.wait_count(Trade, 2)
            await server.send(first, {"event": {"e": "serverShutdown", "E": 1770000000000}})
            await server.wait_for(
                lambda: len(server.connections) == 2 and server.connections[1].streams
            )
            second = server.connections[1]
            assert second.streams == {"btcusdt@aggTrade"}
            await server.send(first, agg_trade("BTCUSDT", 3))  # the old one still streams
            await sink.wait_count(Trade, 3)
            for trade_id in (3, 4):  # the new one repeats 3, then goes on
                await server.send(second, agg_trade("BTCUSDT", trade_id))
            await sink.wait_count(Trade, 4)
            await asyncio.wait_for(first.closed.wait(), 5)  # the old connection was closed
            await server.send(second, agg_trade("BTCUSDT", 5))
            await sink.wait_count(Trade, 5)
            assert [e.trade_id for e in sink.of(Trade)] == ["1", "2", "3", "4", "5"]
            assert sink.of(Gap) == []
            assert provider.handovers == 1
            # The closed connection's counts outlive it: its SUBSCRIBE acknowledgement and the
            # serverShutdown notice, then the new connection's acknowledgement.
            await eventually(lambda: len(provider.shards) == 1)
            counters = provider.counters()
            assert (counters["connection_handovers"], counters["messages_ignored"]) == (1, 3)
            assert len(server.connections) == 2
            assert not task.done()

    run(["BTC-USDT"], scenario)


def depth_update(first: int, last: int) -> dict[str, Any]:
    data = {"e": "depthUpdate", "E": 5, "s": "BTCUSDT", "U": first, "u": last}
    return {"stream": "btcusdt@depth@100ms", "data": {**data, "b": [["1.0", "1"]], "a": []}}


def test_http_451_on_the_snapshot_is_fatal_and_names_binance_us() -> None:
    btc = SymbolConfig(symbol="BTC-USDT", trades=False, quotes=False)

    async def scenario(server: BinanceServer) -> None:
        server.depth_status = [(451, {})]
        async with running(server, config(server), [btc]) as (_, _, task):
            await server.wait_for(
                lambda: bool(server.connections and server.connections[0].streams)
            )
            await server.send(server.connections[0], depth_update(100, 101))
            with pytest.raises(ProviderError) as caught:
                await asyncio.wait_for(task, 5)
        text = str(caught.value)
        assert "HTTP 451" in text
        assert 'site = "binance-us"' in text
        assert len(server.depth_requests) == 1  # not retried
        assert len(server.connections) == 1

    run(["BTC-USDT"], scenario)


def test_429_and_418_wait_for_retry_after_then_sync() -> None:
    btc = SymbolConfig(symbol="BTC-USDT", trades=False, quotes=False)

    async def scenario(server: BinanceServer) -> None:
        server.depth_status = [(429, {"Retry-After": "0"}), (418, {"Retry-After": "0"})]
        async with running(server, config(server), [btc]) as (provider, sink, _):
            await server.wait_for(
                lambda: bool(server.connections and server.connections[0].streams)
            )
            await server.send(server.connections[0], depth_update(100, 101))
            await sink.wait_count(BookSnapshot, 1)
            assert len(server.depth_requests) == 3
            assert provider.rest.stats.retries == 2
            await eventually(lambda: provider.state.state == "streaming")

    run(["BTC-USDT"], scenario)
