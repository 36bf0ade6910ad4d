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


def test_backoff_doubles_to_the_cap_with_bounded_jitter() -> None:
    opts = StreamOptions(reconnect_initial_s=1.0, reconnect_max_s=8.0, reconnect_jitter=0.5)
    session = StreamSession(Toy("ws://unused"), Sink(), opts, stale_after_s=30)
    for failures, base in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (10, 8.0)]:
        delays = [session.backoff(failures) for _ in range(200)]
        assert all(base * 0.5 <= d <= base for d in delays)
        assert max(delays) - min(delays) > base * 0.3  # jittered, not fixed
    fixed = StreamSession(
        Toy("ws://unused"), Sink(), StreamOptions(reconnect_jitter=0.0), stale_after_s=30
    )
    assert fixed.backoff(3) == 2.0


class Beating(Toy):
    """A protocol with an application heartbeat both ways and a connection lifetime."""

    heartbeat_interval_s = 0.05
    max_connection_age_s: float | None = None

    def heartbeat_message(self) -> Frame | None:
        return json.dumps({"ping": 1})

    def is_heartbeat(self, frame: Frame) -> bool:
        return frame == '{"pong": 1}'


async def _ok_handler_factory(
    sent_per_connection: list[list[str]],
) -> Handler:
    async def handler(ws: ServerConnection, got: list[Any]) -> None:
        await ws.send(json.dumps({"auth": "ok"}))
        n = len(sent_per_connection)
        sent_per_connection.append([])
        async for frame in ws:
            got.append(json.loads(frame))
            if "ping" in got[-1]:
                await ws.send('{"pong": 1}')
            if "sub" in got[-1]:
                for item in (("AAPL", 100 + 10 * n), ("AAPL", 101 + 10 * n)):
                    await ws.send(trades(item))

    return handler


def test_application_heartbeats_and_planned_reconnect() -> None:
    async def main() -> None:
        sent: list[list[str]] = []
        server, url, conns = await start(await _ok_handler_factory(sent))
        proto = Beating(url)
        proto.max_connection_age_s = 0.3
        sink = Sink()
        opts = StreamOptions(
            reconnect_initial_s=5.0, stale_market_hours_only=False, auth_timeout_s=1.0
        )
        session = StreamSession(proto, sink, opts, stale_after_s=30)
        task = asyncio.create_task(session.run([SymbolConfig(symbol="AAPL")]))
        await sink.wait_for(lambda ev: sum(isinstance(e, Trade) for e in ev) == 4, timeout=3)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        server.close()
        # Planned: no 5 s backoff before the second connection, and the hole is still a gap.
        assert [(type(e).__name__, e.ts_event) for e in sink.events] == [
            ("Trade", 100),
            ("Trade", 101),
            ("Gap", 101),
            ("Trade", 110),
            ("Trade", 111),
        ]
        gap = sink.events[2]
        assert isinstance(gap, Gap) and gap.reason == "planned_reconnect"
        assert sum("ping" in m for m in conns[0]) >= 3  # ~6 in 0.3 s at 50 ms
        assert session.bad_frames == 0  # pongs skipped, not parsed

    asyncio.run(main())


class Snapshotting(Toy):
    """``on_connected`` publishes a REST-like snapshot; the first attempt fails."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.calls = 0

    async def on_connected(self, session: StreamSession) -> None:
        self.calls += 1
        if self.calls == 1:
            raise OSError("snapshot endpoint unavailable")
        await session.publish(
            [
                Trade(
                    symbol="AAPL",
                    venue="X",
                    provider="toy",
                    ts_event=5,
                    ts_recv=5,
                    price=1.0,
                    size=1.0,
                )
            ]
        )


def test_on_connected_publishes_and_its_failure_reconnects() -> None:
    async def main() -> None:
        async def handler(ws: ServerConnection, got: list[Any]) -> None:
            await ws.send(json.dumps({"auth": "ok"}))
            await asyncio.Future()

        server, url, conns = await start(handler)
        proto = Snapshotting(url)
        sink = Sink()
        session = StreamSession(proto, sink, FAST, stale_after_s=30)
        task = asyncio.create_task(session.run([SymbolConfig(symbol="AAPL")]))
        await sink.wait_for(lambda ev: len(ev) == 2)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        server.close()
        assert proto.calls == 2 and len(conns) == 2
        assert "snapshot endpoint unavailable" in session.state.last_error
        # The failed sync was an outage of the subscribed symbol: the snapshot closes its gap.
        gap, trade = sink.events
        assert isinstance(gap, Gap) and gap.reason == "reconnect" and gap.symbol == "AAPL"
        assert isinstance(trade, Trade) and trade.ts_event == 5

    asyncio.run(main())


def test_giving_up_after_max_retries_names_the_last_error() -> None:
    async def main() -> None:
        opts = StreamOptions(reconnect_initial_s=0.01, max_retries=2, connect_timeout_s=1.0)
        session = StreamSession(Toy("ws://127.0.0.1:9"), Sink(), opts, stale_after_s=30)
        with pytest.raises(ProviderError, match="giving up after 2 reconnect attempt"):
            await session.run(SUBS)
        assert session.state.errors == 3

    asyncio.run(main())


def test_reconnect_with_no_subscriptions_keeps_the_session_alive() -> None:
    """The last symbol removed, then a reconnect: the session streams with nothing subscribed
    (84010cb died with UnboundLocalError in ``_subscribe_all``) and takes new symbols later."""

    async def main() -> None:
        sent: list[list[str]] = []
        server, url, conns = await start(await _ok_handler_factory(sent))
        sink = Sink()
        session = StreamSession(Toy(url), sink, FAST, stale_after_s=30)
        task = asyncio.create_task(session.run([SymbolConfig(symbol="AAPL")]))
        await sink.wait_for(lambda ev: sum(isinstance(e, Trade) for e in ev) == 2)
        await session.unsubscribe(["AAPL"])
        session.request_reconnect("test")
        async with asyncio.timeout(5):
            while len(conns) < 2 or session.state.state != "streaming":
                await asyncio.sleep(0.01)
        assert not task.done()
        assert session.state.subscribed == set()
        await session.subscribe([SymbolConfig(symbol="AAPL")])
        await sink.wait_for(lambda ev: sum(isinstance(e, Trade) for e in ev) == 4)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        server.close()
        assert conns[0][1:] == [{"sub": ["AAPL"]}, {"unsub": ["AAPL"]}]
        assert conns[1][1:] == [{"sub": ["AAPL"]}]

    asyncio.run(main())
