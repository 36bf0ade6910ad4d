"""The real Polygon provider against a local server speaking the documented stocks protocol."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
from collecting_sink import CollectingSink, eventually
from stream_servers import PolygonServer

from mdc.config.schema import Config, SymbolConfig
from mdc.domain.events import Bar, Gap, Quote, Status, Trade
from mdc.providers.base import CredentialsError
from mdc.providers.polygon.stream import PolygonStream

FAST: dict[str, Any] = {
    "reconnect_initial_s": 0.01,
    "reconnect_max_s": 0.05,
    "stale_market_hours_only": False,
    "auth_timeout_s": 2.0,
    "close_timeout_s": 0.2,
}
AAPL = SymbolConfig(symbol="AAPL")
MSFT = SymbolConfig(symbol="MSFT", quotes=False)
MS = 1_000_000


@pytest.fixture(autouse=True)
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLYGON_API_KEY", "POLYKEY")


def config(server: PolygonServer, **extra: Any) -> Config:
    section = {"stream_url": server.url(), **FAST, **extra}
    return Config(symbols=["AAPL"], providers={"polygon": section})


def trade(sym: str, t: int, q: int) -> dict[str, Any]:
    return {"ev": "T", "sym": sym, "x": 4, "i": str(q), "z": 3, "p": 10.0, "s": 100, "t": t, "q": q}


@asynccontextmanager
async def running(
    cfg: Config, symbols: list[SymbolConfig]
) -> AsyncIterator[tuple[PolygonStream, CollectingSink, asyncio.Task[None]]]:
    sink = CollectingSink()
    provider = PolygonStream(cfg, sink)
    task = asyncio.create_task(provider.run(symbols))
    try:
        yield provider, sink, task
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


def run(scenario: Callable[[PolygonServer], Awaitable[None]]) -> None:
    async def main() -> None:
        server = await PolygonServer().start()
        try:
            await scenario(server)
        finally:
            await server.stop()

    asyncio.run(main())


def test_trades_quotes_aggregates_luld_and_status() -> None:
    async def scenario(server: PolygonServer) -> None:
        cfg = config(server, second_aggregates=True)
        async with running(cfg, [AAPL, MSFT]) as (provider, sink, _):
            await server.wait_for(lambda: server.subscribed("AM", ["AAPL", "MSFT"]))
            assert server.clients[0].received == [
                {"action": "auth", "params": "POLYKEY"},
                {
                    "action": "subscribe",
                    "params": "T.AAPL,Q.AAPL,A.AAPL,AM.AAPL,LULD.AAPL,"
                    "T.MSFT,A.MSFT,AM.MSFT,LULD.MSFT",
                },
            ]
            await eventually(lambda: len(provider.protocol.parser.subscribed) == 9)
            sent = await server.send(
                [
                    {
                        "ev": "T",
                        "sym": "AAPL",
                        "x": 4,
                        "i": "52983525029461",
                        "z": 3,
                        "p": 114.125,
                        "s": 100,
                        "c": [14, 41],
                        "t": 1536036818784,
                        "q": 3681328,
                        "trfi": 202,
                        "trft": 1536036818780,
                    },
                    {
                        "ev": "T",
                        "sym": "AAPL",
                        "x": 11,
                        "i": "7",
                        "z": 3,
                        "p": 114.1,
                        "s": 0,
                        "ds": "0.5",
                        "c": [],
                        "t": 1536036818785,
                        "q": 3681330,
                    },
                    {
                        "ev": "Q",
                        "sym": "AAPL",
                        "bx": 11,
                        "bp": 114.125,
                        "bs": 100,
                        "ax": 12,
                        "ap": 114.128,
                        "as": 160,
                        "c": 1,
                        "i": [604],
                        "t": 1536036818784,
                        "q": 50385480,
                        "z": 3,
                    },
                    {
                        "ev": "Q",
                        "sym": "MSFT",
                        "bx": 1,
                        "bp": 1,
                        "bs": 1,
                        "ax": 1,
                        "ap": 2,
                        "as": 1,
                        "t": 1,
                    },
                    {
                        "ev": "AM",
                        "sym": "MSFT",
                        "v": 4110,
                        "av": 9470157,
                        "op": 0.4372,
                        "vw": 0.4488,
                        "o": 0.4488,
                        "c": 0.4486,
                        "h": 0.4489,
                        "l": 0.4486,
                        "a": 0.4352,
                        "z": 685,
                        "s": 1610144640000,
                        "e": 1610144700000,
                    },
                    {
                        "ev": "A",
                        "sym": "AAPL",
                        "v": 200,
                        "av": 8000,
                        "op": 114.0,
                        "vw": 114.1,
                        "o": 114.0,
                        "c": 114.2,
                        "h": 114.3,
                        "l": 113.9,
                        "a": 114.05,
                        "z": 50,
                        "s": 1610144640000,
                        "e": 1610144641000,
                        "otc": False,
                    },
                    {
                        "ev": "LULD",
                        "T": "MSFT",
                        "h": 218.96,
                        "l": 198.11,
                        "i": [21],
                        "z": 3,
                        "t": 1601316752683746,
                        "q": 290317,
                    },
                    {"ev": "XQ", "sym": "AAPL"},
                ]
            )
            assert sent == 7  # the MSFT quote is not subscribed
            await sink.wait_for(lambda: len(sink.events) == 6)
            t1, t2, q, am, a, luld = sink.events
            assert t1 == Trade(
                symbol="AAPL",
                venue="SIP",
                provider="polygon",
                ts_event=1536036818784 * MS,
                ts_recv=t1.ts_recv,
                seq=3681328,
                price=114.125,
                size=100.0,
                trade_id="52983525029461",
                exchange="4",
                conditions=["14", "41"],
                tape="C",
                trf_id="202",
                trf_ts=1536036818780 * MS,
            )
            assert isinstance(t2, Trade) and (t2.size, t2.exchange, t2.trf_id) == (0.5, "11", None)
            assert q == Quote(
                symbol="AAPL",
                venue="SIP",
                provider="polygon",
                ts_event=1536036818784 * MS,
                ts_recv=q.ts_recv,
                seq=50385480,
                bid_price=114.125,
                bid_size=100.0,
                ask_price=114.128,
                ask_size=160.0,
                bid_exchange="11",
                ask_exchange="12",
                conditions=["1", "ind:604"],
                tape="C",
            )
            assert am == Bar(
                symbol="MSFT",
                venue="SIP",
                provider="polygon",
                ts_event=1610144640000 * MS,
                ts_recv=am.ts_recv,
                interval="1m",
                open=0.4488,
                high=0.4489,
                low=0.4486,
                close=0.4486,
                volume=4110.0,
                vwap=0.4488,
                trades=6,
            )
            assert isinstance(a, Bar) and (a.interval, a.trades) == ("1s", 4)
            assert luld == Status(
                symbol="MSFT",
                venue="SIP",
                provider="polygon",
                ts_event=1601316752683746 * MS,
                ts_recv=luld.ts_recv,
                seq=290317,
                kind="luld",
                state="bands",
                detail="limit up 218.96; limit down 198.11; indicators [21]; tape C",
            )
            assert sink.bad == [] and provider.state.events == 6

    run(scenario)


def test_delayed_host_is_used_when_configured() -> None:
    async def scenario(server: PolygonServer) -> None:
        cfg = config(
            server,
            stream_url="ws://127.0.0.1:9/never",
            delayed=True,
            delayed_stream_url=server.url("delayed-stocks"),
        )
        async with running(cfg, [AAPL]) as (provider, _, _):
            await server.wait_for(lambda: server.subscribed("T", ["AAPL"]))
            assert provider.state.url.endswith("/delayed-stocks")

    run(scenario)


def test_auth_failed_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLYGON_API_KEY", "NOT-THE-KEY")

    async def scenario(server: PolygonServer) -> None:
        provider = PolygonStream(config(server), CollectingSink())
        with pytest.raises(CredentialsError, match="POLYGON_API_KEY") as err:
            await asyncio.wait_for(provider.run([AAPL]), 5)
        assert "authentication failed" in str(err.value)
        assert "NOT-THE-KEY" not in str(err.value)

    run(scenario)


def test_missing_key_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("POLYGON_API_KEY")
    with pytest.raises(CredentialsError, match="POLYGON_API_KEY"):
        PolygonStream(Config(), CollectingSink())


def test_max_connections_retries_then_streams() -> None:
    async def scenario(server: PolygonServer) -> None:
        server.max_connections = 0
        async with running(config(server), [AAPL]) as (provider, sink, _):
            await server.wait_for(lambda: server.connections >= 2)
            assert "another client" in provider.state.last_error
            server.max_connections = 1
            await server.wait_for(lambda: server.subscribed("T", ["AAPL"]))
            await server.send([trade("AAPL", 1000, 1)])
            await sink.wait_count(Trade, 1)

    run(scenario)


def test_disconnect_gap_and_no_lost_data() -> None:
    async def scenario(server: PolygonServer) -> None:
        async with running(config(server), [AAPL]) as (provider, sink, _):
            await server.wait_for(lambda: server.subscribed("T", ["AAPL"]))
            await server.send([trade("AAPL", 1000, 1), trade("AAPL", 1001, 2)])
            await sink.wait_count(Trade, 2)
            await server.drop(1008, "policy violation")
            await server.wait_for(
                lambda: server.connections == 2 and server.subscribed("T", ["AAPL"])
            )
            await server.send([trade("AAPL", 2000, 9)])
            await sink.wait_count(Trade, 3)
            assert [(type(e).__name__, e.ts_event, e.seq) for e in sink.events] == [
                ("Trade", 1000 * MS, 1),
                ("Trade", 1001 * MS, 2),
                ("Gap", 1001 * MS, None),
                ("Trade", 2000 * MS, 9),
            ]
            gap = sink.of(Gap)[0]
            assert (gap.from_ts, gap.to_ts, gap.reason) == (1001 * MS, 2000 * MS, "disconnect")  # type: ignore[attr-defined]
            assert "1008" in gap.detail  # type: ignore[attr-defined]
            assert provider.state.reconnects == 1

    run(scenario)
