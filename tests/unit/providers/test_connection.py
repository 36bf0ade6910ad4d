"""StreamSession against a local WebSocket server speaking a minimal JSON protocol.

The protocol here is the smallest one that exercises every session duty (auth ack, subscribe,
data, errors); provider-specific protocols are tested in tests/integration/providers.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import pytest
from websockets.asyncio.server import ServerConnection, serve

from mdc.config.schema import SymbolConfig
from mdc.domain.events import Event, Gap, Trade
from mdc.providers.base import CredentialsError, ProviderError
from mdc.providers.connection import (
    Frame,
    Reconnect,
    StreamOptions,
    StreamSession,
    WireProtocol,
)

FAST = StreamOptions(
    reconnect_initial_s=0.01,
    reconnect_max_s=0.05,
    stale_market_hours_only=False,
    auth_timeout_s=1.0,
    connect_timeout_s=2.0,
)


class Sink:
    """Collects what the session publishes (the pipeline's StreamSink interface)."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.raws = 0
        self.bad: list[tuple[Frame, str]] = []
        self.changed = asyncio.Event()

    async def publish(self, events: list[Event]) -> None:
        self.events.extend(events)
        self.changed.set()

    def raw(self, provider: str, ts_recv: int, data: bytes | str) -> None:
        self.raws += 1

    def bad_frame(self, provider: str, ts_recv: int, data: bytes | str, error: str) -> None:
        self.bad.append((data, error))

    async def wait_for(self, pred: Callable[[list[Event]], bool], timeout: float = 5.0) -> None:
        async with asyncio.timeout(timeout):
            while not pred(self.events):
                self.changed.clear()
                await self.changed.wait()


class Toy(WireProtocol):
    provider = "toy"

    def __init__(self, url: str) -> None:
        self._url = url

    def url(self) -> str:
        return self._url

    def auth_messages(self) -> list[Frame]:
        return [json.dumps({"auth": "key"})]

    def check_auth(self, frame: Frame) -> bool:
        msg = json.loads(frame)
        if msg.get("auth") == "ok":
            return True
        if msg.get("auth") == "no":
            raise CredentialsError("toy: key rejected")
        return False

    def subscribe_messages(self, symbols: Sequence[SymbolConfig]) -> list[Frame]:
        return [json.dumps({"sub": [s.symbol for s in symbols]})]

    def unsubscribe_messages(self, symbols: Sequence[SymbolConfig]) -> list[Frame]:
        return [json.dumps({"unsub": [s.symbol for s in symbols]})]

    def parse(self, frame: Frame, ts_recv: int) -> list[Event]:
        msg = json.loads(frame)
        if "error" in msg:
            if msg["error"] == "slow":
                raise Reconnect("slow client")
            raise ProviderError(f"toy: {msg['error']}")
        return [
            Trade(
                symbol=t["s"],
                venue="X",
                provider="toy",
                ts_event=t["t"],
                ts_recv=ts_recv,
                price=t["p"],
                size=1.0,
            )
            for t in msg["trades"]
        ]


Handler = Callable[[ServerConnection, list[Any]], Awaitable[None]]


async def start(handler: Handler) -> tuple[Any, str, list[list[Any]]]:
    """Serve ``handler``; each connection gets its own list of received messages."""
    conns: list[list[Any]] = []

    async def wrapped(ws: ServerConnection) -> None:
        got: list[Any] = []
        conns.append(got)
        auth = json.loads(await ws.recv())
        got.append(auth)
        await handler(ws, got)

    server = await serve(wrapped, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, f"ws://127.0.0.1:{port}", conns


def trades(*items: tuple[str, int]) -> str:
    return json.dumps({"trades": [{"s": s, "t": t, "p": 1.5} for s, t in items]})


SUBS = [SymbolConfig(symbol="AAPL"), SymbolConfig(symbol="MSFT")]


def test_stream_bad_frame_and_reconnect_gap() -> None:
    asyncio.run(_stream_bad_frame_and_reconnect_gap())


async def _stream_bad_frame_and_reconnect_gap() -> None:
    async def handler(ws: ServerConnection, got: list[Any]) -> None:
        await ws.send(json.dumps({"hello": 1}))
        await ws.send(json.dumps({"auth": "ok"}))
        got.append(json.loads(await ws.recv()))
        n = len(conns)
        if n == 1:
            await ws.send(trades(("AAPL", 100), ("MSFT", 110)))
            await ws.send("not json")
            await ws.send(trades(("AAPL", 120)))
            await ws.close()
        else:
            await ws.send(trades(("MSFT", 300)))
            await ws.send(trades(("AAPL", 310), ("AAPL", 320)))
            await asyncio.Future()

    server, url, conns = await start(handler)
    sink = Sink()
    session = StreamSession(Toy(url), sink, FAST, stale_after_s=30)
    task = asyncio.create_task(session.run(SUBS))
    await sink.wait_for(lambda ev: sum(isinstance(e, Trade) for e in ev) == 6)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    server.close()
    kinds = [(type(e).__name__, e.symbol, e.ts_event) for e in sink.events]
    assert kinds == [
        ("Trade", "AAPL", 100),
        ("Trade", "MSFT", 110),
        ("Trade", "AAPL", 120),
        ("Gap", "MSFT", 110),
        ("Trade", "MSFT", 300),
        ("Gap", "AAPL", 120),
        ("Trade", "AAPL", 310),
        ("Trade", "AAPL", 320),
    ]
    gaps = [e for e in sink.events if isinstance(e, Gap)]
    assert [(g.from_ts, g.to_ts, g.reason) for g in gaps] == [
        (110, 300, "disconnect"),
        (120, 310, "disconnect"),
    ]
    assert len(sink.bad) == 1 and sink.bad[0][0] == "not json"
    assert session.state.bad_frames == 1
    assert session.state.reconnects == 1
    assert session.state.events == 6 and session.state.gaps == 2
    assert conns[1][1] == {"sub": ["AAPL", "MSFT"]}
    assert session.state.state == "stopped"


def test_rejected_key_is_credentials_error() -> None:
    asyncio.run(_rejected_key_is_credentials_error())


async def _rejected_key_is_credentials_error() -> None:
    async def handler(ws: ServerConnection, got: list[Any]) -> None:
        await ws.send(json.dumps({"auth": "no"}))
        await asyncio.Future()

    server, url, _ = await start(handler)
    session = StreamSession(Toy(url), Sink(), FAST, stale_after_s=30)
    with pytest.raises(CredentialsError, match="key rejected"):
        await session.run(SUBS)
    assert session.state.state == "failed"
    server.close()
