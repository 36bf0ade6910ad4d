"""Retransmission and refresh requests against a local stand-in Request Server (real TCP).

The stand-in (``tests/support/xdp_request_server.py``) reads requests by the spec offsets,
answers with Request Responses, heartbeats the client, and hands what a real server would
multicast on the retransmission/refresh lines to the test, which feeds it to the handler on
line ``R`` when it chooses — so the order of realtime and refresh packets is exact.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import cast

import msgspec
import pytest
from tests.support import xdp
from tests.support.xdp_request_server import StandInServer
from tests.unit.providers.nyse.test_nyse_parse import (
    SYMBOLS,
    assert_matches,
    expected_books,
    l2_books,
)

from mdc.collectors.emit import BOOK_RESET
from mdc.config.schema import Config
from mdc.domain.events import Event, Gap, Integrity
from mdc.providers.base import ProviderError, StreamSink
from mdc.providers.credentials import Secret
from mdc.providers.nyse.config import NyseConfig
from mdc.providers.nyse.parse import BOOK_REFRESHED, XdpFeed
from mdc.providers.nyse.request_server import RequestClient
from mdc.providers.nyse.stream import NyseStream

SOURCE = "MDCTEST"


class Rig:
    """A feed wired to a RequestClient connected to the stand-in; packets on a fake clock."""

    def __init__(self, market: xdp.Market, **server: object) -> None:
        self.market = market
        self.published: list[bytes] = []
        self.server = StandInServer(
            market,
            lambda _channel, data: self.published.append(data),
            SOURCE,
            **server,  # type: ignore[arg-type]
        )
        self.client: RequestClient | None = None
        self.feed = XdpFeed()
        self.events: list[Event] = []
        self.ts = 1_000

    async def __aenter__(self) -> Rig:
        await self.server.start()
        self.client = RequestClient(
            "127.0.0.1", self.server.port, Secret(SOURCE), 11, lambda *a: self.feed.answered(*a)
        )
        self.feed = XdpFeed(requests=self.client)
        self._task = asyncio.create_task(self.client.run())
        await until(lambda: self.client is not None and self.client.connected)
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._task.cancel()
        async with asyncio.timeout(5):  # a session that ignores cancellation fails the test
            await asyncio.gather(self._task, return_exceptions=True)
        await self.server.stop()

    def feed_packets(self, packets: list[bytes], skip: int | None = None) -> None:
        for i, data in enumerate(packets):
            if i != skip:
                self.ts += 1_000
                self.feed.packet(1, "A", data, self.ts)
        self.events += self.feed.take()

    async def deliver(self, count: int) -> None:
        """Wait for ``count`` packets of the server's multicast and feed them on line R."""
        await until(lambda: len(self.published) >= count)
        for data in self.published[:count]:
            self.ts += 1_000
            self.feed.packet(1, "R", data, self.ts)
        del self.published[:count]
        self.events += self.feed.take()


async def until(condition: Callable[[], bool], timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting for the request server"
        await asyncio.sleep(0.005)


def run(scenario: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(scenario())


def test_a_retransmission_fills_the_hole_and_heartbeats_are_answered() -> None:
    market = xdp.Market(11, SYMBOLS)
    market.open()
    market.run(2400)
    drop = 40
    lost = market.packets[drop]
    first = int.from_bytes(lost[4:8], "little")

    async def scenario() -> None:
        async with Rig(market) as rig:
            rig.feed_packets(market.packets[: drop + 5], skip=drop)
            await rig.deliver(1)  # the retransmitted packet (flag 13)
            rig.feed_packets(market.packets[drop + 5 :])
            rig.feed.flush(rig.ts)
            rig.events += rig.feed.take()
            await until(lambda: rig.server.heartbeat_responses >= 2)
            assert rig.server.requests == [
                (
                    "retransmission",
                    {
                        "begin": first,
                        "end": first + lost[3] - 1,
                        "source": SOURCE.encode().ljust(10, b"\0"),
                        "product": 11,
                        "channel": 1,
                    },
                )
            ]
            assert rig.server.errors == []
            assert rig.client is not None
            assert (rig.client.accepted, rig.client.refused) == (1, 0)
            assert rig.client.heartbeats >= 2
            counters = rig.client.counters()
            assert SOURCE not in str(counters)  # the source id is not reported
            ch = rig.feed.channels[1]
            assert (ch.gaps, ch.retransmission_requests, ch.refresh_requests) == (0, 1, 0)
            assert ch.packets["R"] == 1
            assert not any(isinstance(e, Gap) for e in rig.events)
            assert_matches(market, rig.feed, rig.events)  # trades and books as if nothing lost

    run(scenario)


@pytest.mark.parametrize("realtime", ["behind", "ahead"])
def test_unavailable_messages_are_one_gap_then_refreshes_rebuild_every_book(
    realtime: str,
) -> None:
    """``behind``: the refresh reflects more than the handler applied (realtime messages up to
    LastSeqNum are then not applied twice); ``ahead``: the handler applied more (the backlog
    after LastSeqNum is replayed onto the refreshed book)."""
    market = xdp.Market(12, SYMBOLS)
    market.open()
    market.run(1500)
    state = market.snapshot()
    cut = len(market.packets)
    market.run(1500)
    drop = 30
    lost = market.packets[drop]
    first = int.from_bytes(lost[4:8], "little")

    async def scenario() -> None:
        async with Rig(market, retransmission="unavailable", refresh_state=state) as rig:
            rig.feed_packets(market.packets[: drop + 5], skip=drop)
            await rig.deliver(1)  # Message Unavailable: the hole is a gap now
            gaps = [e for e in rig.events if isinstance(e, Gap)]
            assert len(gaps) == 1
            assert gaps[0].seq == first and gaps[0].detail.endswith(
                f"{first}..{first + lost[3] - 1} unavailable for retransmission"
            )
            resets = [e for e in rig.events if isinstance(e, Integrity) and e.kind == BOOK_RESET]
            assert sorted(e.symbol for e in resets) == sorted(SYMBOLS)
            await until(lambda: len(rig.server.requests) == 1 + len(SYMBOLS))
            refreshed_indexes = sorted(f["index"] for k, f in rig.server.requests if k == "refresh")
            assert refreshed_indexes == [1, 2, 3]
            split = drop + 5 if realtime == "behind" else cut + 700
            rig.feed_packets(market.packets[drop + 5 : split])
            await until(lambda: len(rig.published) >= 3)
            await rig.deliver(len(rig.published))
            rig.feed_packets(market.packets[split:])
            ch = rig.feed.channels[1]
            assert (ch.gaps, ch.refreshes, ch.refresh_requests) == (1, 3, 3)
            assert rig.feed.stale_symbols() == []
            kinds = Counter(e.kind for e in rig.events if isinstance(e, Integrity))
            assert kinds[BOOK_REFRESHED] == 3
            for x in market.listings.values():  # the handler's books, order by order
                sym = next(s for s in rig.feed.symbols.values() if s.symbol == x.symbol)
                assert sym.book.orders == x.book.orders, x.symbol
            assert l2_books(rig.events) == expected_books(market)  # and what it published

    run(scenario)


def test_refusals_name_their_reason_and_leave_books_stale() -> None:
    market = xdp.Market(13, SYMBOLS)
    market.open()
    market.run(800)
    drop = 20

    async def scenario() -> None:
        async with Rig(market, retransmission=b"3", refresh=b"5") as rig:
            rig.feed_packets(market.packets[: drop + 3], skip=drop)
            await until(lambda: rig.feed.channels[1].gaps == 1)  # at once: the clock is fake
            await until(lambda: rig.feed.channels[1].refused_requests == 1 + len(SYMBOLS))
            assert "refresh requests in a day" in rig.feed.last_error
            rig.feed_packets(market.packets[drop + 3 :])
            assert rig.feed.stale_symbols() == sorted(SYMBOLS)
            assert rig.published == []
            assert rig.client is not None and rig.client.refused == 1 + len(SYMBOLS)
            (gap,) = [e for e in rig.events if isinstance(e, Gap)]
            assert gap.detail.endswith(
                "retransmission refused: rejected: maximum sequence range exceeded"
            )

    run(scenario)


def test_request_server_config_errors_name_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NYSE_SOURCE_ID", raising=False)
    with pytest.raises(ValueError, match="expected host:port"):
        msgspec.convert({"request_server": {"address": "nohost"}}, NyseConfig)
    config = Config(
        provider="nyse",
        providers={
            "nyse": {
                "channels": [{"id": 1, "lines": ["239.1.1.1:5000"]}],
                "request_server": {"address": "127.0.0.1:9"},
            }
        },
    )
    with pytest.raises(ProviderError, match="set NYSE_SOURCE_ID"):
        NyseStream(config, cast(StreamSink, None))  # fails before it needs a sink
    default = msgspec.convert({}, NyseConfig)
    assert default.request_server is None  # off by default


def test_a_refresh_on_the_multicast_makes_a_late_join_trusted_without_a_request_server() -> None:
    market = xdp.Market(14, SYMBOLS)
    market.open()
    market.run(600)
    joined = len(market.packets) // 2
    cut = len(market.packets)
    last_seq, orders = market.snapshot()
    market.run(600)
    feed = XdpFeed()  # no requests: a capture that recorded the refresh line
    for i, data in enumerate(market.packets[joined:cut]):
        feed.packet(1, "A", data, i)
    assert feed.channels[1].trusted is False and feed.unmapped > 0
    refresh = xdp.refresh_packets(list(market.listings.values()), orders, last_seq, 5, 7)
    assert [p[2] for p in refresh][:2] == [18, 19] and refresh[-1][2] == 20
    for data in refresh:
        feed.packet(1, "R", data, cut)
    for i, data in enumerate(market.packets[cut:]):
        feed.packet(1, "A", data, cut + i)
    events = feed.take()
    assert feed.stale_symbols() == [] and feed.channels[1].refreshes == len(SYMBOLS)
    for x in market.listings.values():
        sym = next(s for s in feed.symbols.values() if s.symbol == x.symbol)
        assert sym.book.orders == x.book.orders, x.symbol
    assert l2_books(events) == expected_books(market)
