"""A local server speaking Kraken's WebSocket v2 public protocol, plus REST AssetPairs.

Built on ``tests/support/kraken_v2.py`` (books, checksums, messages; shared with the benchmark)
from https://docs.kraken.com/exchange/api-reference/spot-websocket-v2/book (…/trade,
…/ticker, …/instrument) and the v2 checksum guide (read 2026-12-02): ``subscribe`` requests are
acknowledged per symbol (``success``/``result``, or ``success: false`` with ``error``), the
``instrument`` channel answers with each pair's ``price_precision`` and ``qty_precision``, the
``book`` channel with a snapshot of the subscribed depth and then updates, each with the CRC32
of the top 10 levels. The server keeps every book as ``Decimal`` and computes the checksum its
own way (``format(value, f".{precision}f")``), independent of the provider's string padding;
prices and quantities go on the wire as JSON numbers without trailing zeros, as Kraken sends
them. AssetPairs is the real captured body (``shared/fixtures/crypto/KRAKEN.0``).
"""

from __future__ import annotations

import contextlib
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from replay_server import read_rest_capture
from tests.support.kraken_v2 import TS, Book, Levels, encode, ladder, trade_data
from venue_server import VenueServer
from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

__all__ = ["TS", "KrakenV2Server", "ladder"]

_encode = encode


class Client:
    def __init__(self, ws: ServerConnection) -> None:
        self.ws = ws
        self.received: list[dict[str, Any]] = []
        self.book_depth: dict[str, int] = {}
        self.channels: dict[str, set[str]] = {}


class KrakenV2Server(VenueServer):
    """``wss://ws.kraken.com/v2`` and ``https://api.kraken.com`` on 127.0.0.1."""

    ws_path = "/v2"

    def __init__(self, fixtures: Path) -> None:
        super().__init__(read_rest_capture([fixtures / "KRAKEN.0"]))
        self.connections = 0
        self.books: dict[str, Book] = {}
        self.accepted_depths = {10, 25, 100, 500, 1000}
        self.clients: list[Client] = []
        self.received: list[dict[str, Any]] = []
        """Every client message, of every connection (open or closed), in order."""

    def add_book(self, symbol: str, precision: tuple[int, int], bids: Levels, asks: Levels) -> None:
        book = self.books[symbol] = Book(*precision)
        book.apply(book.bids, bids)
        book.apply(book.asks, asks)

    def requests(self, channel: str, method: str = "subscribe") -> list[dict[str, Any]]:
        return [
            m
            for m in self.received
            if m.get("method") == method and m.get("params", {}).get("channel") == channel
        ]

    # -- what the test drives ------------------------------------------------------------

    async def book_update(
        self, symbol: str, bids: Levels = (), asks: Levels = (), corrupt: bool = False
    ) -> None:
        """Apply an update to the venue's book and send it to every client subscribed, with the
        levels that enter the client's depth as a level inside it goes (as Kraken does)."""
        book = self.books[symbol]
        depths = {id(c): c.book_depth.get(symbol) for c in self.clients}
        before = {k: book.top(d) for k, d in depths.items() if d is not None}
        book.apply(book.bids, list(bids))
        book.apply(book.asks, list(asks))
        for client in self.clients:
            depth = client.book_depth.get(symbol)
            if depth is None or id(client) not in before:
                continue
            data = book.update_data(
                symbol, depth, before[id(client)], list(bids), list(asks), corrupt
            )
            await self._send(client, {"channel": "book", "type": "update", "data": [data]})

    async def trades(self, symbol: str, trade_ids: list[int]) -> None:
        data = [trade_data(symbol, i, Decimal("45000.1"), Decimal("0.001")) for i in trade_ids]
        for client in self.clients:
            if symbol in client.channels.get("trade", set()):
                await self._send(client, {"channel": "trade", "type": "update", "data": data})

    async def ticker(self, symbol: str, bid: str, ask: str) -> None:
        data = {"symbol": symbol, "bid": Decimal(bid), "bid_qty": Decimal("1.5")}
        data |= {"ask": Decimal(ask), "ask_qty": Decimal("2"), "last": Decimal(bid)}
        for client in self.clients:
            if symbol in client.channels.get("ticker", set()):
                message = {"channel": "ticker", "type": "update", "data": [data]}
                await self._send(client, message)

    # -- protocol ------------------------------------------------------------------------

    async def _send(self, client: Client, message: dict[str, Any]) -> None:
        with contextlib.suppress(ConnectionClosed):
            await client.ws.send(_encode(message).decode())

    async def _session(self, ws: ServerConnection) -> None:
        client = Client(ws)
        self.clients.append(client)
        self.connections += 1
        self.changed.set()
        try:
            async for frame in ws:
                message = json.loads(frame)
                client.received.append(message)
                self.received.append(message)
                await self._handle(client, message)
                self.changed.set()
        except ConnectionClosed:
            pass
        finally:
            self.clients.remove(client)
            self.changed.set()

    async def _handle(self, client: Client, message: dict[str, Any]) -> None:
        method = message.get("method")
        params = message.get("params", {})
        channel = params.get("channel")
        req_id = message.get("req_id")
        reply = {"method": method, "req_id": req_id, "time_in": TS, "time_out": TS}
        if method == "ping":
            await self._send(client, {"method": "pong", "req_id": req_id, "time_in": TS})
            return
        if channel == "instrument":
            await self._send(
                client, {**reply, "result": {"channel": "instrument"}, "success": True}
            )
            pairs = [
                {"symbol": s, "price_precision": b.precision[0], "qty_precision": b.precision[1]}
                for s, b in self.books.items()
            ]
            data = {"assets": [], "pairs": pairs}
            await self._send(client, {"channel": "instrument", "type": "snapshot", "data": data})
            return
        for symbol in params.get("symbol", []):
            if method == "unsubscribe":
                client.channels.get(channel, set()).discard(symbol)
                if channel == "book":
                    client.book_depth.pop(symbol, None)
                result = {"channel": channel, "symbol": symbol}
                await self._send(client, {**reply, "result": result, "success": True})
                continue
            depth = params.get("depth", 10)
            if channel == "book" and depth not in self.accepted_depths:
                error = {"error": "Subscription depth not supported", "success": False}
                await self._send(client, {**reply, **error, "symbol": symbol})
                continue
            client.channels.setdefault(channel, set()).add(symbol)
            result = {"channel": channel, "symbol": symbol, "snapshot": True}
            await self._send(client, {**reply, "result": result, "success": True})
            if channel == "book":
                client.book_depth[symbol] = depth
                await self._snapshot(client, symbol, depth)

    async def _snapshot(self, client: Client, symbol: str, depth: int) -> None:
        data = self.books[symbol].snapshot(symbol, depth)
        await self._send(client, {"channel": "book", "type": "snapshot", "data": [data]})
