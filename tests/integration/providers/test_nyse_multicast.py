"""``NyseStream`` over real UDP multicast on loopback: two lines (A and B) of one channel, and a
retransmission line answered by a stand-in Request Server.

The sender publishes every packet of a built day on both groups (one packet lost on both),
through the kernel's multicast loopback on 127.0.0.1. The test fails — never skips — when the
machine cannot deliver multicast on lo.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import msgspec
import pytest
from collecting_sink import CollectingSink
from tests.support import xdp
from tests.support.net import free_udp_port
from tests.support.xdp_request_server import StandInServer
from tests.unit.providers.nyse.test_nyse_parse import SYMBOLS, expected_books, l2_books

from mdc.config.schema import Config, SymbolConfig
from mdc.domain.events import Gap, Trade
from mdc.providers.nyse.messages import PACKET_HEADER
from mdc.providers.nyse.parse import XdpFeed
from mdc.providers.nyse.stream import NyseStream

# One port per process (the groups are fixed): parallel workers and other checkouts running
# this file at the same time each hear only their own packets.
PORT = free_udp_port()
LINES = [("239.255.41.1", PORT), ("239.255.42.1", PORT)]
DROP = 25


@pytest.fixture(scope="module", autouse=True)
def loopback_multicast() -> None:
    xdp.ensure_loopback_multicast()


def nyse_config(lines: list[tuple[str, int]], **settings: object) -> Config:
    """One channel on ``lines`` (A, B, …) received on loopback."""
    channel = {"id": 1, "lines": [f"{g}:{p}" for g, p in lines]}
    nyse = {"interface": "127.0.0.1", "channels": [channel], **settings}
    return Config(provider="nyse", symbols=list(SYMBOLS), providers={"nyse": nyse})


def collect(market: xdp.Market, drop: int | None) -> tuple[CollectingSink, dict[str, Any]]:
    """Run the stream while every packet (but ``drop``) goes out on both lines."""
    config = nyse_config(LINES, gap_timeout_ms=5000)
    sink = CollectingSink()
    sent = len(market.packets) - (drop is not None)
    counters: dict[str, Any] = {}

    async def main() -> None:
        stream = NyseStream(config, sink)
        task = asyncio.create_task(stream.run([SymbolConfig(symbol=s) for s in SYMBOLS]))
        async with asyncio.timeout(5):
            while not stream.state.connected:
                await asyncio.sleep(0.01)
        out = xdp.multicast_sender()
        for i, data in enumerate(market.packets):
            if i != drop:
                for group, port in LINES:
                    out.sendto(data, (group, port))
            if i % 20 == 0:
                await asyncio.sleep(0.001)  # let the reader keep up (loopback has no pacing)
        out.close()
        async with asyncio.timeout(10):
            while stream.state.messages < 2 * sent or stream.feed.channels[1].pending:
                await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        counters.update(stream.state.details["channels"][0])

    asyncio.run(main())
    return sink, counters


def test_ab_lines_over_multicast_give_the_builders_books_trades_and_volumes() -> None:
    market = xdp.Market(31, SYMBOLS)
    market.open()
    market.run(1500)
    sink, counters = collect(market, drop=None)
    n = len(market.packets)
    assert counters["packets"] == {"A": n, "B": n}
    assert counters["duplicates"] == {"B": n}
    assert counters["gaps"] == 0
    assert not sink.of(Gap)
    trades = [e for e in sink.events if isinstance(e, Trade)]
    assert Counter(t.symbol for t in trades) == {
        x.symbol: x.trades for x in market.listings.values()
    }
    volumes: Counter[str] = Counter()
    for t in trades:
        volumes[t.symbol] += int(t.size)
    assert volumes == {x.symbol: x.volume for x in market.listings.values()}
    assert l2_books(sink.events) == expected_books(market)


def test_a_packet_lost_on_both_lines_is_exactly_one_gap() -> None:
    market = xdp.Market(32, SYMBOLS)
    market.open()
    market.run(1200)
    sink, counters = collect(market, drop=DROP)
    _size, _flag, count, first, *_ = PACKET_HEADER.unpack_from(market.packets[DROP])
    gaps = sink.of(Gap)
    assert len(gaps) == 1
    assert gaps[0].seq == first
    assert gaps[0].detail == f"channel 1: messages {first}..{first + count - 1} missing ({count})"
    assert counters["gaps"] == 1 and counters["missing_messages"] == count
    # the same events (but receive times) as the decoder given the same packets directly
    direct = XdpFeed()
    for i, data in enumerate(market.packets):
        if i != DROP:
            direct.packet(1, "A", data, 0)
    expected = [msgspec.structs.replace(e, ts_recv=0) for e in direct.take()]
    assert [msgspec.structs.replace(e, ts_recv=0) for e in sink.events] == expected


RETRANS_LINE = ("239.255.45.1", PORT)


def test_collect_with_a_request_server_gets_the_lost_packet_on_the_retransmission_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``mdc collect``'s provider, a stand-in Request Server on TCP, the retransmission sent to
    the channel's third line: the lost packet is asked for and applied, no Gap."""
    market = xdp.Market(33, SYMBOLS)
    market.open()
    market.run(1200)
    monkeypatch.setenv("NYSE_SOURCE_ID", "MDCTEST")
    sink = CollectingSink()
    out = xdp.multicast_sender()
    details: dict[str, Any] = {}

    async def main() -> None:
        server = StandInServer(market, lambda _ch, data: out.sendto(data, RETRANS_LINE), "MDCTEST")
        await server.start()
        server_address = {"address": f"127.0.0.1:{server.port}"}
        config = nyse_config([*LINES, RETRANS_LINE], request_server=server_address)
        stream = NyseStream(config, sink)
        task = asyncio.create_task(stream.run([SymbolConfig(symbol=s) for s in SYMBOLS]))
        async with asyncio.timeout(5):
            while not (stream.requests is not None and stream.requests.connected):
                await asyncio.sleep(0.01)
        for i, data in enumerate(market.packets):
            if i != DROP:
                for group, port in LINES:
                    out.sendto(data, (group, port))
            if i % 20 == 0:
                await asyncio.sleep(0.001)
        async with asyncio.timeout(10):
            ch = stream.feed.channels[1]
            while ch.next_seq != market.seq or ch.pending:
                await asyncio.sleep(0.01)
        await asyncio.sleep(0.1)  # one more publish round
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await server.stop()
        details.update(stream.state.details)

    asyncio.run(main())
    out.close()
    channel = details["channels"][0]
    assert channel["packets"]["C"] == 1 and channel["gaps"] == 0
    assert channel["retransmission_requests"] == 1
    assert details["request_server"]["accepted"] == 1
    assert "MDCTEST" not in str(details)
    assert not sink.of(Gap)
    assert l2_books(sink.events) == expected_books(market)
    trades = Counter(e.symbol for e in sink.events if isinstance(e, Trade))
    assert trades == {x.symbol: x.trades for x in market.listings.values()}
