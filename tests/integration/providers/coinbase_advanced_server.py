"""A local server speaking Coinbase Advanced Trade's public market-data WebSocket, plus the
Exchange REST ``/products`` the provider checks symbols against.

Built from https://docs.cdp.coinbase.com/coinbase-app/advanced-trade-apis/websocket/
websocket-overview, …/websocket-channels and the AsyncAPI pages for ``level2`` and
``market_trades`` (read 2026-12-03): a ``subscribe`` names one ``channel`` and its
``product_ids``; the server confirms with a ``subscriptions`` message and sends each channel's
``snapshot`` event (the whole book on ``l2_data``, recent trades on ``market_trades``, the
current ticker on ``ticker``), then ``update`` events. Every message of a connection carries
the next ``sequence_num`` of that connection, starting at 0; :meth:`skip` makes the server
lose messages so the client sees a hole. A subscription naming a private channel without a
JWT, or several channels at once, is answered with ``{"type": "error"}``, as the venue does.
``/products`` is the real captured Exchange body (``shared/fixtures/crypto/COINBASE.0``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path
from typing import Any

import msgspec
from replay_server import read_rest_capture
from venue_server import VenueServer
from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

_encode = msgspec.json.Encoder().encode
TS = "2026-12-03T12:00:00.123456789Z"
EPOCH = "1970-01-01T00:00:00Z"
PRIVATE = {"user", "futures_balance_summary"}
Levels = list[tuple[str, str]]


class Client:
    def __init__(self, ws: ServerConnection) -> None:
        self.ws = ws
        self.sequence = 0
        self.channels: dict[str, set[str]] = {}
        self.received: list[tuple[float, dict[str, Any]]] = []
        """(event-loop time, message) of everything this client sent."""


class AdvancedTradeServer(VenueServer):
    """``wss://advanced-trade-ws.coinbase.com`` and the Exchange REST API on 127.0.0.1."""

    def __init__(self, fixtures: Path) -> None:
        super().__init__(read_rest_capture([fixtures / "COINBASE.0"]))
        self.connections = 0
        self.books: dict[str, tuple[Levels, Levels]] = {}
        self.recent_trades: dict[str, list[dict[str, str]]] = {}
        self.clients: list[Client] = []
        self.received: list[tuple[float, dict[str, Any]]] = []
        """Every client message of every connection, with its event-loop receive time."""

    def requests(self, channel: str, kind: str = "subscribe") -> list[dict[str, Any]]:
        return [
            m for _, m in self.received if m.get("type") == kind and m.get("channel") == channel
        ]

    # -- what the test drives ------------------------------------------------------------

    async def book_update(self, product: str, bids: Levels = (), asks: Levels = ()) -> None:
        book_bids, book_asks = self.books[product]
        _apply(book_bids, bids)
        _apply(book_asks, asks)
        updates = [_level("bid", p, q, TS) for p, q in bids]
        updates += [_level("offer", p, q, TS) for p, q in asks]
        event = {"type": "update", "product_id": product, "updates": updates}
        await self._publish("l2_data", "level2", product, [event])

    async def trades(self, product: str, trade_ids: list[int]) -> None:
        """One ``market_trades`` update with these trades, newest first (as Coinbase lists)."""
        trades = [_trade(product, i) for i in sorted(trade_ids, reverse=True)]
        self.recent_trades.setdefault(product, [])[:0] = trades
        event = {"type": "update", "trades": trades}
        await self._publish("market_trades", "market_trades", product, [event])

    async def ticker(self, product: str, bid: str, ask: str) -> None:
        event = {"type": "update", "tickers": [_ticker(product, bid, ask)]}
        await self._publish("ticker", "ticker", product, [event])

    async def heartbeat(self, counter: int) -> None:
        event = {"current_time": TS, "heartbeat_counter": counter}
        for client in list(self.clients):
            if client.channels.get("heartbeats"):
                await self._send(client, "heartbeats", [event])

    def skip(self, count: int) -> None:
        """Lose the next ``count`` messages of every connection (their numbers are used)."""
        for client in self.clients:
            client.sequence += count

    async def drop(self) -> None:
        """Close every connection (the client reconnects)."""
        for client in list(self.clients):
            await client.ws.close()

    # -- protocol ------------------------------------------------------------------------

    async def _publish(self, channel: str, sub: str, product: str, events: list[Any]) -> None:
        for client in list(self.clients):
            if product in client.channels.get(sub, set()):
                await self._send(client, channel, events)

    async def _send(self, client: Client, channel: str, events: list[Any]) -> None:
        message = {
            "channel": channel,
            "client_id": "",
            "timestamp": TS,
            "sequence_num": client.sequence,
            "events": events,
        }
        client.sequence += 1
        with contextlib.suppress(ConnectionClosed):
            await client.ws.send(_encode(message).decode())

    async def _error(self, client: Client, message: str) -> None:
        with contextlib.suppress(ConnectionClosed):
            await client.ws.send(_encode({"type": "error", "message": message}).decode())

    async def _session(self, ws: ServerConnection) -> None:
        client = Client(ws)
        self.clients.append(client)
        self.connections += 1
        self.changed.set()
        loop = asyncio.get_running_loop()
        try:
            async for frame in ws:
                entry = (loop.time(), json.loads(frame))
                client.received.append(entry)
                self.received.append(entry)
                await self._handle(client, entry[1])
                self.changed.set()
        except ConnectionClosed:
            pass
        finally:
            self.clients.remove(client)
            self.changed.set()

    async def _handle(self, client: Client, message: dict[str, Any]) -> None:
        kind, channel = message.get("type"), message.get("channel")
        products = list(message.get("product_ids", []))
        if kind not in ("subscribe", "unsubscribe") or not isinstance(channel, str):
            await self._error(client, "Failure to subscribe: one channel per subscription")
            return
        if channel in PRIVATE and "jwt" not in message:
            await self._error(client, "authentication failure")
            return
        subscribed = client.channels.setdefault(channel, set())
        if kind == "unsubscribe":
            subscribed.difference_update(products)
        else:
            subscribed.update(products)
        current = {name: sorted(ids) for name, ids in client.channels.items() if ids}
        await self._send(client, "subscriptions", [{"subscriptions": current}])
        if kind == "subscribe":
            for product in products:
                await self._snapshot(client, channel, product)

    async def _snapshot(self, client: Client, channel: str, product: str) -> None:
        if channel == "level2":
            bids, asks = self.books[product]
            updates = [_level("bid", p, q, EPOCH) for p, q in bids]
            updates += [_level("offer", p, q, EPOCH) for p, q in asks]
            event = {"type": "snapshot", "product_id": product, "updates": updates}
            await self._send(client, "l2_data", [event])
        elif channel == "market_trades":
            trades = self.recent_trades.get(product, [])
            await self._send(client, "market_trades", [{"type": "snapshot", "trades": trades}])
        elif channel == "ticker":
            bids, asks = self.books[product]
            tick = _ticker(product, bids[0][0], asks[0][0])
            await self._send(client, "ticker", [{"type": "snapshot", "tickers": [tick]}])


def _apply(side: Levels, levels: Levels) -> None:
    book = dict(side)
    for price, qty in levels:
        if float(qty) == 0:
            book.pop(price, None)
        else:
            book[price] = qty
    side[:] = list(book.items())


def _level(side: str, price: str, qty: str, at: str) -> dict[str, str]:
    return {"side": side, "event_time": at, "price_level": price, "new_quantity": qty}


def _trade(product: str, trade_id: int) -> dict[str, str]:
    side = "BUY" if trade_id % 2 else "SELL"
    return {"trade_id": str(trade_id), "product_id": product, "price": "45000.1",
            "size": "0.001", "side": side, "time": TS}  # fmt: skip


def _ticker(product: str, bid: str, ask: str) -> dict[str, str]:
    return {"type": "ticker", "product_id": product, "price": bid, "volume_24_h": "1000",
            "best_bid": bid, "best_bid_quantity": "1.5", "best_ask": ask,
            "best_ask_quantity": "2"}  # fmt: skip
