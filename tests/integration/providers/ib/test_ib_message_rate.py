"""TWS's 50 messages/s client limit: what enforces it, measured on the stand-in's side.

ib_async throttles its own sends (``Client.sendMsg`` keeps the send times of the last
``RequestsInterval`` = 1 s and queues anything beyond ``MaxRequests``, reading the event loop's
clock); mdc's ``connect`` sets ``MaxRequests`` from ``max_messages_per_s`` (45). The tests run
the real client on an event loop whose clock is virtual — it jumps to the next timer whenever
the loop would sleep — and the stand-in stamps each message with that clock, so a second of
throttling costs no wall time and the counts per second are exact.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from collecting_sink import CollectingSink, running
from tests.support.fake_tws import FakeTws, Listing, Request
from tests.support.virtual_time import VirtualTimeLoop

from mdc.config.schema import Config, SymbolConfig
from mdc.providers.ib.client import connect
from mdc.providers.ib.config import IbConfig
from mdc.providers.ib.stream import IbStream

REQ_CURRENT_TIME = 49


def run(body: Callable[[FakeTws], Awaitable[None]], listings: list[Listing]) -> None:
    async def main() -> None:
        tws = await FakeTws(listings, clock=asyncio.get_running_loop().time).start()
        try:
            async with asyncio.timeout(120):  # virtual seconds
                await body(tws)
        finally:
            await tws.stop()

    loop = VirtualTimeLoop()
    try:
        loop.run_until_complete(main())
    finally:
        loop.close()


READ_JITTER_S = 1e-3
"""How much later the stand-in may read one message than another after its send: the client
throttles by its send times, the stand-in stamps on reading, and a message read a few loop
iterations sooner than its predecessor 45 sends back would otherwise land a second ahead."""


def busiest_second(requests: list[Request]) -> int:
    """The most messages that arrived within any one second (less the stand-in's read jitter)."""
    times = [r.at for r in requests]
    window = 1.0 - READ_JITTER_S
    return max(sum(1 for u in times if t <= u < t + window) for t in times)


def test_a_burst_of_200_requests_is_held_to_45_a_second() -> None:
    async def body(tws: FakeTws) -> None:
        ib = await connect(IbConfig(port=tws.port), client_id=7)
        try:
            assert ib.client.MaxRequests == 45
            for _ in range(200):
                ib.client.reqCurrentTime()
            await tws.wait(lambda: len(tws.requested(REQ_CURRENT_TIME)) == 200, timeout=60)
        finally:
            ib.disconnect()
        burst = tws.requested(REQ_CURRENT_TIME)
        assert busiest_second(burst) == 45
        # 200 at 45 per second: the last leaves in the fifth second after the first.
        assert 4.0 < burst[-1].at - burst[0].at < 5.0

    run(body, [])


def test_without_the_throttle_the_same_burst_arrives_at_once() -> None:
    """The measurement can fail: with ib_async's throttle off, all 200 land together."""

    async def body(tws: FakeTws) -> None:
        ib = await connect(IbConfig(port=tws.port), client_id=7)
        ib.client.MaxRequests = 0
        try:
            for _ in range(200):
                ib.client.reqCurrentTime()
            await tws.wait(lambda: len(tws.requested(REQ_CURRENT_TIME)) == 200, timeout=60)
        finally:
            ib.disconnect()
        assert busiest_second(tws.requested(REQ_CURRENT_TIME)) == 200

    run(body, [])


def test_subscribing_forty_symbols_keeps_under_the_limit() -> None:
    """Qualification, tick-by-tick trades and quotes, and depth: 160 requests from the stream."""
    listings = [Listing(f"S{i:02d}", 1000 + i) for i in range(40)]

    async def body(tws: FakeTws) -> None:
        section: dict[str, Any] = {"port": tws.port}
        stream = IbStream(Config(providers={"ib": section}), CollectingSink())
        symbols = [SymbolConfig(symbol=x.symbol) for x in listings]
        async with running(stream, symbols):
            kinds = ("AllLast", "BidAsk", "depth")
            await tws.wait(lambda: all(len(tws.streams(k)) == 40 for k in kinds), timeout=60)
        after_start = [r for r in tws.requests if r.msg_id not in (71, 61, 59)]
        assert len(after_start) >= 160
        assert busiest_second(tws.requests) == 45  # throttled, not merely slow
        assert after_start[-1].at - after_start[0].at > len(after_start) / 45 - 1

    run(body, listings)
