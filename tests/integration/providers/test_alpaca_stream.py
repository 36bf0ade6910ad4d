"""The real Alpaca provider against a local server speaking the documented stream protocol."""

from __future__ import annotations

import asyncio
import logging
import struct
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import msgspec
import pytest
from collecting_sink import CollectingSink
from stream_servers import AlpacaServer

from mdc.config.schema import Config, SymbolConfig
from mdc.domain.events import (
    Bar,
    BookDelta,
    BookSnapshot,
    Gap,
    Integrity,
    Quote,
    Status,
    Trade,
)
from mdc.domain.rfc3339 import rfc3339_ns
from mdc.providers.alpaca.stream import AlpacaStream
from mdc.providers.base import CredentialsError, ProviderError

T0 = "2024-03-12T14:30:00.123456789Z"
T0_NS = 1710253800123456789
FAST: dict[str, Any] = {
    "reconnect_initial_s": 0.01,
    "reconnect_max_s": 0.05,
    "stale_market_hours_only": False,
    "auth_timeout_s": 2.0,
    "connect_timeout_s": 2.0,
    "close_timeout_s": 0.2,
}
AAPL = SymbolConfig(symbol="AAPL", depth=False)
MSFT = SymbolConfig(symbol="MSFT", depth=False)


@pytest.fixture(autouse=True)
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALPACA_KEY_ID", "KEY")
    monkeypatch.setenv("ALPACA_SECRET_KEY", "SECRET")


def config(server: AlpacaServer, symbols: list[str], **extra: Any) -> Config:
    section = {"stream_url": server.url(), "feed": "sip", **FAST, **extra}
    return Config(symbols=list(symbols), providers={"alpaca": section})


def trade(sym: str, ts: str, i: int, price: float = 100.0) -> dict[str, Any]:
    return {
        "T": "t",
        "S": sym,
        "i": i,
        "x": "V",
        "p": price,
        "s": 10,
        "c": ["@"],
        "z": "C",
        "t": ts,
    }


def ts(second: int) -> str:
    return f"2024-03-12T14:31:{second:02d}.000000001Z"


def ts_ns(second: int) -> int:
    return rfc3339_ns(ts(second))


@asynccontextmanager
async def running(
    server: AlpacaServer, cfg: Config, symbols: list[SymbolConfig]
) -> AsyncIterator[tuple[AlpacaStream, CollectingSink, asyncio.Task[None]]]:
    sink = CollectingSink()
    provider = AlpacaStream(cfg, sink)
    task = asyncio.create_task(provider.run(symbols))
    try:
        yield provider, sink, task
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


def run(scenario: Callable[[AlpacaServer], Awaitable[None]], **server_args: Any) -> None:
    async def main() -> None:
        server = await AlpacaServer(**server_args).start()
        try:
            await scenario(server)
        finally:
            await server.stop()

    asyncio.run(main())


def test_every_message_type_json() -> None:
    async def scenario(server: AlpacaServer) -> None:
        cfg = config(server, ["AAPL"], daily_bars=True, imbalances=True)
        async with running(server, cfg, [AAPL]) as (provider, sink, _):
            await server.wait_for(lambda: server.subscribed("trades", ["AAPL"]))
            sent = await server.send(
                [
                    {
                        "T": "t",
                        "S": "AAPL",
                        "i": 628,
                        "x": "K",
                        "p": 162.92,
                        "s": 3,
                        "c": ["@", "F", "T", "I"],
                        "z": "C",
                        "t": T0,
                    },
                    {
                        "T": "q",
                        "S": "AAPL",
                        "bx": "K",
                        "bp": 91.95,
                        "bs": 2,
                        "ax": "Q",
                        "ap": 91.98,
                        "as": 1,
                        "c": ["R"],
                        "z": "C",
                        "t": T0,
                    },
                    {
                        "T": "b",
                        "S": "AAPL",
                        "o": 388.985,
                        "h": 389.13,
                        "l": 388.975,
                        "c": 389.12,
                        "v": 49378,
                        "n": 461,
                        "vw": 389.062639,
                        "t": "2021-02-22T19:15:00Z",
                    },
                    {
                        "T": "u",
                        "S": "AAPL",
                        "o": 1,
                        "h": 2,
                        "l": 0.5,
                        "c": 1.5,
                        "v": 10,
                        "n": 2,
                        "vw": 1.2,
                        "t": "2021-02-22T19:15:00Z",
                    },
                    {
                        "T": "d",
                        "S": "AAPL",
                        "o": 1,
                        "h": 3,
                        "l": 0.5,
                        "c": 2,
                        "v": 1000,
                        "n": 20,
                        "vw": 1.9,
                        "t": "2021-02-22T05:00:00Z",
                    },
                    {
                        "T": "s",
                        "S": "AAPL",
                        "sc": "H",
                        "sm": "Trading Halt",
                        "rc": "T12",
                        "rm": "Trading Halted; For information requested by NASDAQ",
                        "t": "2021-02-22T19:15:00Z",
                        "z": "C",
                    },
                    {
                        "T": "l",
                        "S": "AAPL",
                        "u": 3.24,
                        "d": 2.65,
                        "i": "B",
                        "t": "2023-04-06T13:34:45.565004401Z",
                        "z": "C",
                    },
                    {
                        "T": "c",
                        "S": "AAPL",
                        "x": "M",
                        "oi": 52983525033527,
                        "op": 39.1582,
                        "os": 440000,
                        "oc": [" ", "7"],
                        "ci": 52983525034326,
                        "cp": 39.1809,
                        "cs": 440000,
                        "cc": [" ", "7"],
                        "z": "B",
                        "t": "2023-04-06T14:25:06.542305024Z",
                    },
                    {
                        "T": "x",
                        "S": "AAPL",
                        "i": 465,
                        "x": "D",
                        "p": 105.31,
                        "s": 300,
                        "a": "C",
                        "z": "C",
                        "t": "2023-04-06T13:15:42.83540958Z",
                    },
                    {
                        "T": "i",
                        "S": "AAPL",
                        "p": 9.12,
                        "z": "C",
                        "t": "2024-12-13T19:58:09.242138635Z",
                    },
                    {"T": "t", "S": "MSFT", "i": 1, "x": "K", "p": 1.0, "s": 1, "t": T0},
                ]
            )
            assert sent == 10  # MSFT is not subscribed: the server does not send it
            await sink.wait_for(lambda: len(sink.events) == 10)
            ev = sink.events
            assert ev[0] == Trade(
                symbol="AAPL",
                venue="SIP",
                provider="alpaca",
                ts_event=T0_NS,
                ts_recv=ev[0].ts_recv,
                price=162.92,
                size=3.0,
                trade_id="628",
                exchange="K",
                conditions=["@", "F", "T", "I"],
                tape="C",
            )
            assert ev[1] == Quote(
                symbol="AAPL",
                venue="SIP",
                provider="alpaca",
                ts_event=T0_NS,
                ts_recv=ev[1].ts_recv,
                bid_price=91.95,
                bid_size=2.0,
                ask_price=91.98,
                ask_size=1.0,
                bid_exchange="K",
                ask_exchange="Q",
                conditions=["R"],
                tape="C",
            )
            bar_ts = rfc3339_ns("2021-02-22T19:15:00Z")
            assert ev[2] == Bar(
                symbol="AAPL",
                venue="SIP",
                provider="alpaca",
                ts_event=bar_ts,
                ts_recv=ev[2].ts_recv,
                interval="1m",
                open=388.985,
                high=389.13,
                low=388.975,
                close=389.12,
                volume=49378.0,
                vwap=389.062639,
                trades=461,
            )
            assert isinstance(ev[3], Bar) and (ev[3].interval, ev[3].close) == ("1m", 1.5)
            assert isinstance(ev[4], Bar) and (ev[4].interval, ev[4].volume) == ("1d", 1000.0)
            assert ev[5] == Status(
                symbol="AAPL",
                venue="SIP",
                provider="alpaca",
                ts_event=bar_ts,
                ts_recv=ev[5].ts_recv,
                kind="trading_status",
                state="halted",
                detail="status H (Trading Halt); reason T12 (Trading Halted; For information "
                "requested by NASDAQ); tape C",
            )
            assert isinstance(ev[6], Status)
            assert (ev[6].kind, ev[6].state, ev[6].ts_event) == ("luld", "B", 1680788085565004401)
            assert ev[6].detail == "limit up 3.24; limit down 2.65; indicator B; tape C"
            assert isinstance(ev[7], Integrity) and ev[7].kind == "trade_correction"
            assert ev[7].detail == (
                "exchange M; tape B; original id 52983525033527 price 39.1582 size 440000.0 "
                "conditions [' ', '7']; corrected id 52983525034326 price 39.1809 size "
                "440000.0 conditions [' ', '7']"
            )
            assert isinstance(ev[8], Integrity) and ev[8].kind == "trade_cancel"
            assert ev[8].ts_event == 1680786942835409580
            assert isinstance(ev[9], Status) and ev[9].kind == "imbalance"
            # What the provider asked for, and what the server acknowledged.
            sub = server.clients[0].received[1]
            assert sub == {
                "action": "subscribe",
                "trades": ["AAPL"],
                "quotes": ["AAPL"],
                "bars": ["AAPL"],
                "updatedBars": ["AAPL"],
                "dailyBars": ["AAPL"],
                "statuses": ["AAPL"],
                "lulds": ["AAPL"],
                "imbalances": ["AAPL"],
            }
            assert server.clients[0].received[0] == {
                "action": "auth",
                "key": "KEY",
                "secret": "SECRET",
            }
            assert provider.protocol.parser.subscribed["corrections"] == ["AAPL"]
            assert provider.state.state == "streaming" and provider.state.events == 10
            assert len(sink.raw_frames) == 4  # connected, authenticated, ack, the data frame
            assert sink.bad == []

    run(scenario)


def test_msgpack_frames_with_nanosecond_timestamps() -> None:
    async def scenario(server: AlpacaServer) -> None:
        cfg = config(server, ["AAPL"], encoding="msgpack")
        async with running(server, cfg, [AAPL]) as (_, sink, _):
            await server.wait_for(lambda: server.subscribed("trades", ["AAPL"]))
            client = server.clients[0]
            assert client.binary
            stamp = msgspec.msgpack.Ext(-1, struct.pack(">Iq", 123456789, 1710253800))
            frame = msgspec.msgpack.encode(
                [
                    {
                        "T": "t",
                        "S": "AAPL",
                        "i": 7,
                        "x": "V",
                        "p": 10.5,
                        "s": 2,
                        "c": ["@"],
                        "z": "C",
                        "t": stamp,
                    },
                    {
                        "T": "q",
                        "S": "AAPL",
                        "bx": "V",
                        "bp": 10.0,
                        "bs": 1,
                        "ax": "V",
                        "ap": 11.0,
                        "as": 3,
                        "c": ["R"],
                        "z": "C",
                        "t": msgspec.msgpack.Ext(-1, struct.pack(">I", 1710253801)),
                    },
                ]
            )
            await client.ws.send(frame)
            await sink.wait_count(Quote, 1)
            trade, quote = sink.events
            assert isinstance(trade, Trade) and trade.ts_event == T0_NS
            assert (trade.price, trade.size, trade.trade_id) == (10.5, 2.0, "7")
            assert isinstance(quote, Quote) and quote.ts_event == 1710253801_000000000
            assert client.received[0]["action"] == "auth"  # the client spoke msgpack too

    run(scenario)


def test_rejected_key_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALPACA_SECRET_KEY", "WRONG-SECRET-VALUE")

    async def scenario(server: AlpacaServer) -> None:
        provider = AlpacaStream(config(server, ["AAPL"]), CollectingSink())
        with pytest.raises(CredentialsError) as err:
            await asyncio.wait_for(provider.run([AAPL]), 5)
        assert "402" in str(err.value) and "ALPACA_SECRET_KEY" in str(err.value)
        assert "WRONG-SECRET-VALUE" not in str(err.value)
        assert "WRONG-SECRET-VALUE" not in repr(provider.protocol.__dict__)
        assert provider.state.state == "failed" and server.connections == 1

    run(scenario)


def test_missing_credentials_name_the_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ALPACA_KEY_ID")
    monkeypatch.delenv("ALPACA_SECRET_KEY")
    with pytest.raises(CredentialsError, match="ALPACA_KEY_ID, ALPACA_SECRET_KEY"):
        AlpacaStream(Config(providers={"alpaca": {}}), CollectingSink())


def test_symbol_limit_is_fatal_with_the_reason() -> None:
    async def scenario(server: AlpacaServer) -> None:
        server.symbol_limit = 1
        provider = AlpacaStream(config(server, ["AAPL", "MSFT"]), CollectingSink())
        with pytest.raises(ProviderError, match=r"405.*symbol limit exceeded"):
            await asyncio.wait_for(provider.run([AAPL, MSFT]), 5)

    run(scenario)


@pytest.mark.parametrize(
    ("feed", "path"),
    [
        ("iex", "/v2/iex"),
        ("sip", "/v2/sip"),
        ("delayed_sip", "/v2/delayed_sip"),
        ("boats", "/v1beta1/boats"),
        ("overnight", "/v1beta1/overnight"),
    ],
)
@pytest.mark.parametrize("template", ["{version}/{feed}", "v2/{feed}"])
def test_each_feed_connects_to_its_documented_version(feed: str, path: str, template: str) -> None:
    """boats and overnight live under v1beta1, also when the URL was written for v2 only."""

    async def scenario(server: AlpacaServer) -> None:
        url = f"ws://{server.host}/{template}"
        cfg = config(server, ["AAPL"], stream_url=url, feed=feed)
        async with running(server, cfg, [AAPL]):
            await server.wait_for(lambda: server.subscribed("trades", ["AAPL"]))
        assert server.paths == [path]

    run(scenario)


@pytest.mark.parametrize(
    ("code", "message", "hint"),
    [
        (411, "insufficient scope", "use API keys, or a token with the data scope"),
        (412, "option messages are only available in MsgPack", 'encoding = "msgpack"'),
        (413, "star subscription is not allowed for option quotes", "list the symbols"),
    ],
)
def test_errors_411_to_413_are_fatal_with_the_fix(code: int, message: str, hint: str) -> None:
    async def scenario(server: AlpacaServer) -> None:
        server.auth_error = (code, message)
        provider = AlpacaStream(config(server, ["AAPL"]), CollectingSink())
        with pytest.raises(ProviderError) as caught:
            await asyncio.wait_for(provider.run([AAPL]), 5)
        text = str(caught.value)
        assert f"error {code} {message!r}" in text
        assert hint in text
        assert "\n" not in text
        assert server.connections == 1  # not retried

    run(scenario)


def test_connection_limit_retries_until_the_slot_frees() -> None:
    async def scenario(server: AlpacaServer) -> None:
        server.max_connections = 0
        async with running(server, config(server, ["AAPL"]), [AAPL]) as (provider, sink, _):
            await server.wait_for(lambda: server.connections >= 3)
            assert "406" in provider.state.last_error
            assert "another client" in provider.state.last_error
            server.max_connections = 1
            await server.wait_for(lambda: server.subscribed("trades", ["AAPL"]))
            await server.send([trade("AAPL", ts(1), 1)])
            await sink.wait_count(Trade, 1)
            assert provider.state.state == "streaming"
            assert sink.of(Gap) == []  # nothing was ever streamed: no outage to report

    run(scenario)


async def _outage_scenario(
    server: AlpacaServer,
    fault: Callable[[], Awaitable[None]],
    reason: str,
    **extra: Any,
) -> tuple[CollectingSink, Any]:
    """Stream, fault, stream again: exact events, one Gap per symbol covering the outage."""
    cfg = config(server, ["AAPL", "MSFT"], **extra)
    async with running(server, cfg, [AAPL, MSFT]) as (provider, sink, _):
        await server.wait_for(lambda: server.subscribed("trades", ["AAPL", "MSFT"]))
        await server.send([trade("AAPL", ts(1), 1), trade("MSFT", ts(2), 2)])
        await server.send([trade("AAPL", ts(3), 3)])
        await sink.wait_count(Trade, 3)
        first_connections = server.connections
        await fault()
        await server.wait_for(
            lambda: (
                server.connections > first_connections
                and server.subscribed("trades", ["AAPL", "MSFT"])
            ),
            timeout=10,
        )
        await server.send([trade("MSFT", ts(10), 4)])
        await server.send([trade("AAPL", ts(11), 5), trade("AAPL", ts(12), 6)])
        await sink.wait_count(Trade, 6)
        got = [(type(e).__name__, e.symbol, e.ts_event) for e in sink.events]
        assert got == [
            ("Trade", "AAPL", ts_ns(1)),
            ("Trade", "MSFT", ts_ns(2)),
            ("Trade", "AAPL", ts_ns(3)),
            ("Gap", "MSFT", ts_ns(2)),
            ("Trade", "MSFT", ts_ns(10)),
            ("Gap", "AAPL", ts_ns(3)),
            ("Trade", "AAPL", ts_ns(11)),
            ("Trade", "AAPL", ts_ns(12)),
        ]
        gaps = sink.of(Gap)
        assert [(g.from_ts, g.to_ts, g.reason) for g in gaps] == [  # type: ignore[attr-defined]
            (ts_ns(2), ts_ns(10), reason),
            (ts_ns(3), ts_ns(11), reason),
        ]
        assert [t.trade_id for t in sink.of(Trade)] == ["1", "2", "3", "4", "5", "6"]
        assert provider.state.reconnects >= 1 and provider.state.gaps == 2
        return sink, provider.state


def test_server_closes_the_socket() -> None:
    async def scenario(server: AlpacaServer) -> None:
        _, state = await _outage_scenario(server, server.drop, "disconnect")
        assert "1011" in state.last_error

    run(scenario)


def test_server_goes_silent_while_open() -> None:
    async def scenario(server: AlpacaServer) -> None:
        async def silence() -> None:
            # Frames stop but the socket stays open (pings still answered): the watchdog ends it.
            await asyncio.sleep(0.4)

        _, state = await _outage_scenario(server, silence, "stale", stale_after_s=0.2)
        assert state.last_error == "no data for 0.2s"

    run(scenario)


def test_slow_client_error_reconnects() -> None:
    async def scenario(server: AlpacaServer) -> None:
        _, state = await _outage_scenario(server, server.slow_client, "reconnect")
        assert "407" in state.last_error and "slow client" in state.last_error

    run(scenario)


def test_server_restarts_mid_stream() -> None:
    async def scenario(server: AlpacaServer) -> None:
        await _outage_scenario(server, lambda: server.restart(down_for=0.2), "disconnect")

    run(scenario)


def test_garbage_frames_are_kept_and_counted() -> None:
    async def scenario(server: AlpacaServer) -> None:
        async with running(server, config(server, ["AAPL"]), [AAPL]) as (provider, sink, _):
            await server.wait_for(lambda: server.subscribed("trades", ["AAPL"]))
            await server.send_raw("this is not json")
            await server.send_raw('[{"T":"t","S":"AAPL","p":"not a number","t":"x"}]')
            await server.send_raw('[{"T":"news","headline":"unknown types are skipped"}]')
            await server.send([trade("AAPL", ts(1), 1)])
            await sink.wait_count(Trade, 1)
            assert [b[1] for b in sink.bad] == [
                "this is not json",
                '[{"T":"t","S":"AAPL","p":"not a number","t":"x"}]',
            ]
            assert provider.state.bad_frames == 2
            assert provider.state.state == "streaming" and provider.state.reconnects == 0

    run(scenario)


def test_subscribe_and_unsubscribe_while_running() -> None:
    async def scenario(server: AlpacaServer) -> None:
        async with running(server, config(server, ["AAPL"]), [AAPL]) as (provider, sink, _):
            await server.wait_for(lambda: server.subscribed("trades", ["AAPL"]))
            await provider.subscribe([MSFT])
            await server.wait_for(lambda: server.subscribed("trades", ["AAPL", "MSFT"]))
            await server.send([trade("MSFT", ts(1), 1), trade("AAPL", ts(2), 2)])
            await sink.wait_count(Trade, 2)
            await provider.unsubscribe(["AAPL"])
            await server.wait_for(lambda: not server.subscribed("trades", ["AAPL"]))
            assert server.subscribed("trades", ["MSFT"])
            assert provider.state.subscribed == {"MSFT"}
            # After a reconnect only MSFT is subscribed again, and only MSFT gets a gap.
            await server.drop()
            await server.wait_for(
                lambda: server.connections == 2 and server.subscribed("trades", ["MSFT"])
            )
            assert server.clients[0].received[1]["trades"] == ["MSFT"]
            await server.send([trade("MSFT", ts(5), 3)])
            await sink.wait_count(Trade, 3)
            assert [(g.symbol, g.from_ts, g.to_ts) for g in sink.of(Gap)] == [  # type: ignore[attr-defined]
                ("MSFT", ts_ns(1), ts_ns(5))
            ]

    run(scenario)


def test_stopping_during_an_outage_records_the_open_gap() -> None:
    async def scenario(server: AlpacaServer) -> None:
        async with running(server, config(server, ["AAPL"]), [AAPL]) as (provider, sink, task):
            await server.wait_for(lambda: server.subscribed("trades", ["AAPL"]))
            await server.send([trade("AAPL", ts(1), 1)])
            await sink.wait_count(Trade, 1)
            await server.stop()
            await asyncio.sleep(0.1)
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            gaps = sink.of(Gap)
            assert len(gaps) == 1 and gaps[0].from_ts == ts_ns(1)  # type: ignore[attr-defined]
            assert gaps[0].to_ts > ts_ns(1)  # type: ignore[attr-defined]
            assert "still open" in gaps[0].detail  # type: ignore[attr-defined]
            assert provider.state.state == "stopped"

    run(scenario)


def test_crypto_stream_books_and_taker_side() -> None:
    async def scenario(server: AlpacaServer) -> None:
        btc = SymbolConfig(symbol="BTC/USD")
        cfg = Config(
            symbols=["BTC/USD"],
            providers={"alpaca": {"crypto_stream_url": server.url("crypto"), **FAST}},
        )
        async with running(server, cfg, [btc]) as (provider, sink, _):
            await server.wait_for(lambda: server.subscribed("orderbooks", ["BTC/USD"]))
            assert provider.protocol.crypto and provider.state.url.endswith("/v2/crypto")
            assert "statuses" not in server.clients[0].received[1]
            await server.send(
                [
                    {
                        "T": "o",
                        "S": "BTC/USD",
                        "t": "2024-03-12T10:38:50.79613221Z",
                        "b": [{"p": 71849.4, "s": 0.5}, {"p": 71859.53, "s": 0.27994}],
                        "a": [{"p": 71940.4, "s": 0.28}, {"p": 71939.7, "s": 0.83953}],
                        "r": True,
                    },
                    {
                        "T": "o",
                        "S": "BTC/USD",
                        "t": "2024-03-12T10:39:40.501160019Z",
                        "b": [{"p": 71849.4, "s": 0}],
                        "a": [{"p": 71941.0, "s": 1.5}],
                    },
                    {
                        "T": "t",
                        "S": "BTC/USD",
                        "p": 47.299,
                        "s": 29.205707815,
                        "t": "2024-03-12T10:27:48.858228144Z",
                        "i": 3447222699101865076,
                        "tks": "S",
                    },
                ]
            )
            await sink.wait_count(Trade, 1)
            snap, d1, d2, tr = sink.events
            assert isinstance(snap, BookSnapshot) and snap.venue == "ALPACA"
            assert snap.bids == [(71859.53, 0.27994), (71849.4, 0.5)]
            assert snap.asks == [(71939.7, 0.83953), (71940.4, 0.28)]
            assert isinstance(d1, BookDelta) and (d1.side, d1.price, d1.size) == (
                "bid",
                71849.4,
                0.0,
            )
            assert isinstance(d2, BookDelta) and (d2.side, d2.price, d2.size) == (
                "ask",
                71941.0,
                1.5,
            )
            assert isinstance(tr, Trade) and tr.side == "sell"
            assert tr.trade_id == "3447222699101865076" and tr.size == 29.205707815

    run(scenario)


def test_mixed_stock_and_crypto_symbols_are_refused() -> None:
    async def scenario(server: AlpacaServer) -> None:
        provider = AlpacaStream(config(server, ["AAPL"]), CollectingSink())
        with pytest.raises(ProviderError, match="BTC/USD cannot be streamed on the stock"):
            await provider.run([AAPL, SymbolConfig(symbol="BTC/USD")])

    run(scenario)


def test_debug_logging_never_shows_the_key(caplog: pytest.LogCaptureFixture) -> None:
    async def scenario(server: AlpacaServer) -> None:
        async with running(server, config(server, ["AAPL"]), [AAPL]):
            await server.wait_for(lambda: server.subscribed("trades", ["AAPL"]))
            await server.drop()
            await server.wait_for(lambda: server.connections == 2)

    with caplog.at_level(logging.DEBUG):
        run(scenario)
    ours = [r for r in caplog.records if not r.name.startswith("websockets.server")]
    assert any("reconnecting" in r.getMessage() for r in ours)
    assert not any("SECRET" in r.getMessage() for r in ours)  # the test server's logs aside
