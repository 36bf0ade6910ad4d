"""The live view's messages, built and read back without a server: exact counts per symbol,
the last trade and quote, the sampled tape, parts for many symbols, bad messages counted."""

from __future__ import annotations

import json
from typing import Any

from mdc.config.schema import DistributedConfig
from mdc.distributed.live import SYMBOLS_PER_MESSAGE, LivePublisher, view_subject
from mdc.distributed.remote import RemoteSet
from mdc.domain.events import Event, Quote, Trade

CFG = DistributedConfig(live_tape=3, live_interval_s=1.0)


def trade(symbol: str, price: float, ts: int) -> Trade:
    return Trade(
        symbol=symbol, venue="X", provider="p", ts_event=ts, ts_recv=ts, price=price, size=2.0
    )


def quote(symbol: str, bid: float, ts: int) -> Quote:
    return Quote(
        symbol=symbol,
        venue="X",
        provider="p",
        ts_event=ts,
        ts_recv=ts,
        bid_price=bid,
        bid_size=1.0,
        ask_price=bid + 1,
        ask_size=3.0,
    )


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000_000

    def __call__(self) -> int:
        return self.now


class NoSource:
    async def get(self) -> list[Event]:
        return []


def publisher(status: dict[str, Any], clock: Clock, cfg: DistributedConfig = CFG) -> LivePublisher:
    return LivePublisher(cfg, "c1", NoSource(), lambda: dict(status), clock=clock)


def test_batches_fold_into_exact_counts_last_prices_and_a_bounded_tape() -> None:
    clock = Clock()
    status = {"events_in": 0, "provider": "sim"}
    pub = publisher(status, clock)
    pub.ingest([trade("A", 1.0, 1), trade("B", 5.0, 2), trade("A", 1.5, 3), quote("A", 1.2, 4)])
    pub.ingest([trade("A", 1.7, 5)])
    pub.ingest([quote("B", 4.0, 6), quote("B", 4.1, 7)])
    status["events_in"] = 8
    (first,) = pub.messages()
    body = json.loads(first)
    assert body["collector"] == "c1" and body["seq"] == 1 and body["provider"] == "sim"
    assert body["events_seen"] == 7 and (body["part"], body["parts"]) == (0, 1)
    assert body["symbols"]["A"] == {
        "trades": 3,
        "quotes": 1,
        "last_price": 1.7,
        "last_size": 2.0,
        "last_trade_ns": 5,
        "bid": 1.2,
        "bid_size": 1.0,
        "ask": 2.2,
        "ask_size": 3.0,
        "last_quote_ns": 4,
    }
    assert (body["symbols"]["B"]["trades"], body["symbols"]["B"]["quotes"]) == (1, 2)
    assert body["symbols"]["B"]["bid"] == 4.1
    assert [(t["symbol"], t["price"]) for t in body["tape"]] == [("B", 5.0), ("A", 1.5), ("A", 1.7)]
    # The rate is over the interval between two views, from the injected clock.
    clock.now += 2_000_000_000
    status["events_in"] = 28
    assert json.loads(pub.messages()[0])["events_per_s"] == 10.0


def test_many_symbols_go_in_parts_and_the_watcher_merges_them() -> None:
    clock = Clock()
    pub = publisher({"events_in": 0}, clock)
    n = SYMBOLS_PER_MESSAGE * 2 + 7
    pub.ingest([trade(f"S{i:04d}", float(i), i) for i in range(n)])
    payloads = pub.messages()
    bodies = [json.loads(p) for p in payloads]
    assert [(b["part"], b["parts"]) for b in bodies] == [(0, 3), (1, 3), (2, 3)]
    assert [len(b["symbols"]) for b in bodies] == [SYMBOLS_PER_MESSAGE, SYMBOLS_PER_MESSAGE, 7]
    assert [len(b["tape"]) for b in bodies] == [3, 0, 0]
    remote = RemoteSet(CFG, clock=clock)
    for p in payloads:
        remote.take(p)
    (row,) = remote.rows()
    assert row["collector"] == "c1" and row["symbol_count"] == n and row["views"] == 1
    assert row["last_prices"]["S1000"] == 1000.0
    detail = remote.get("c1")
    assert detail is not None and len(detail["tape"]) == 3


def test_a_bad_message_is_counted_and_the_set_goes_on() -> None:
    clock = Clock()
    remote = RemoteSet(CFG, clock=clock)
    remote.take(b"not json")
    remote.take(b'{"symbols": {}}')
    remote.take(b'{"collector": 7}')
    pub = publisher({"events_in": 1}, clock)
    pub.ingest([trade("A", 1.0, 1)])
    remote.take(pub.messages()[0])
    assert (remote.messages, remote.bad_messages) == (4, 3)
    assert remote.last_bad.startswith("TypeError")
    assert [r["collector"] for r in remote.rows()] == ["c1"]


def test_a_quiet_collector_turns_stale_and_stays_listed() -> None:
    clock = Clock()
    remote = RemoteSet(CFG, clock=clock)
    remote.take(publisher({"events_in": 0}, clock).messages()[0])
    assert remote.rows()[0]["stale"] is False
    clock.now += 4_500_000_000  # past 3 intervals of 1 s, plus 1 s
    (row,) = remote.rows()
    assert row["stale"] is True and row["age_s"] == 4.5


def test_the_view_subject_is_outside_the_stream_and_its_tokens_are_escaped() -> None:
    assert view_subject("mdclive", "c1") == "mdclive.c1.view"
    assert view_subject("mdclive", "a.b") == "mdclive.a%2Eb.view"
    assert RemoteSet(CFG).subject == "mdclive.*.view"
