from __future__ import annotations

import msgspec
import pytest

from mdc.domain import events as ev
from mdc.domain.events import (
    EVENT_TYPES,
    TYPE_NAMES,
    Bar,
    BookDelta,
    BookSnapshot,
    CorporateAction,
    Gap,
    Integrity,
    OrderUpdate,
    Quote,
    QuoteBar,
    Status,
    Trade,
)

COMMON = {
    "symbol": "AAPL",
    "venue": "XNAS",
    "provider": "sim",
    "ts_event": 1_700_000_000_123_456_789,
    "ts_recv": 1_700_000_000_223_456_789,
}

SAMPLES: list[ev.Event] = [
    Trade(
        **COMMON,
        seq=7,
        price=189.25,
        size=100.0,
        side="buy",
        trade_id="t1",
        exchange="Q",
        conditions=["@", "I"],
        tape="C",
    ),
    Quote(
        **COMMON,
        bid_price=189.2,
        bid_size=300.0,
        ask_price=189.3,
        ask_size=200.0,
        bid_exchange="P",
        ask_exchange="Q",
    ),
    BookDelta(**COMMON, seq=9, side="ask", price=189.31, size=0.0),
    BookSnapshot(**COMMON, bids=[(189.2, 3.0), (189.1, 1.5)], asks=[(189.3, 2.0)]),
    Bar(
        **COMMON,
        interval="1m",
        open=1.0,
        high=2.0,
        low=0.5,
        close=1.5,
        volume=1e6,
        vwap=1.2,
        trades=42,
        adjusted=True,
    ),
    QuoteBar(
        **COMMON,
        interval="1m",
        bid_open=1.0,
        bid_high=1.5,
        bid_low=0.5,
        bid_close=1.25,
        bid_size=300.0,
        ask_size=0.0,
    ),
    Gap(**COMMON, from_ts=1, to_ts=2, reason="sequence_gap", detail="expected 3 got 5"),
    Integrity(**COMMON, kind="crossed_book", severity="error", detail="bid 2 >= ask 1"),
    Status(**COMMON, kind="trading", state="halted", detail="LULD"),
    CorporateAction(**COMMON, kind="split", ratio=4.0),
    OrderUpdate(
        **COMMON,
        seq=11,
        action="execute",
        order_id="7",
        side="ask",
        price=189.3,
        size=100.0,
        trade_id="55",
    ),
]


def test_every_type_has_a_sample_and_a_name() -> None:
    assert {type(s) for s in SAMPLES} == set(EVENT_TYPES)
    assert set(TYPE_NAMES) == set(EVENT_TYPES)


@pytest.mark.parametrize("event", SAMPLES, ids=lambda e: type(e).__name__)
def test_json_round_trip_is_exact(event: ev.Event) -> None:
    data = ev.encode_json(event)
    back = ev.decode_json_event(data)
    assert back == event
    assert ev.encode_json(back) == data
    assert msgspec.json.decode(data)["type"] == ev.TAGS[type(event)]


def test_batches_round_trip_through_json_and_msgpack() -> None:
    assert ev.decode_json_batch(ev.encode_json(SAMPLES)) == SAMPLES
    assert ev.decode_msgpack_batch(ev.encode_msgpack_batch(SAMPLES)) == SAMPLES


def test_on_disk_field_names_are_stable() -> None:
    keys = list(msgspec.json.decode(ev.encode_json(SAMPLES[0])))
    assert keys == [
        "type",
        "symbol",
        "venue",
        "provider",
        "ts_event",
        "ts_recv",
        "seq",
        "price",
        "size",
        "side",
        "trade_id",
        "exchange",
        "conditions",
        "tape",
        "trf_id",
        "trf_ts",
    ]


def test_nanosecond_timestamps_survive() -> None:
    t = SAMPLES[0]
    assert ev.decode_json_event(ev.encode_json(t)).ts_event == 1_700_000_000_123_456_789
