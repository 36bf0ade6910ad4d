"""Wire frames → events: exact round trip of every message type, malformed frames rejected."""

from __future__ import annotations

import msgspec
import pytest

from mdc.config import SymbolConfig
from mdc.domain.events import BookDelta, BookSnapshot, Quote, Status, Trade
from mdc.providers.simulated.config import SimulatedConfig
from mdc.providers.simulated.market import Market
from mdc.providers.simulated.parse import parse_frame
from mdc.providers.simulated.wire import encode_frame

TS = 1_704_205_800_000_000_123
RECV = TS + 5_000


def test_every_message_type_round_trips_exactly() -> None:
    frame = encode_frame(
        [
            ("T", "AAPL", 1, TS, 190.01, 100),
            ("Q", "AAPL", 2, TS + 1, 190.0, 300, 190.02, 200.0),
            ("D", "AAPL", 3, TS + 2, "b", 189.99, 0),
            ("D", "AAPL", 4, TS + 2, "a", 190.03, 500),
            ("K", "MSFT", 9, TS + 3, [[409.99, 100], [409.98, 200]], [[410.0, 300]]),
            ("H", "MSFT", 10, TS + 4, "halted"),
        ]
    )
    assert frame.startswith(b'[["T","AAPL",1,1704205800000000123,190.01,100],')
    common = {"venue": "SIM", "provider": "simulated", "ts_recv": RECV}
    assert parse_frame(frame, RECV, "SIM") == [
        Trade(symbol="AAPL", ts_event=TS, seq=1, price=190.01, size=100.0, **common),
        Quote(
            symbol="AAPL",
            ts_event=TS + 1,
            seq=2,
            bid_price=190.0,
            bid_size=300.0,
            ask_price=190.02,
            ask_size=200.0,
            **common,
        ),
        BookDelta(
            symbol="AAPL", ts_event=TS + 2, seq=3, side="bid", price=189.99, size=0.0, **common
        ),
        BookDelta(
            symbol="AAPL", ts_event=TS + 2, seq=4, side="ask", price=190.03, size=500.0, **common
        ),
        BookSnapshot(
            symbol="MSFT",
            ts_event=TS + 3,
            seq=9,
            bids=[(409.99, 100.0), (409.98, 200.0)],
            asks=[(410.0, 300.0)],
            **common,
        ),
        Status(symbol="MSFT", ts_event=TS + 4, seq=10, kind="trading", state="halted", **common),
    ]


def test_generated_frames_parse_to_one_event_per_message() -> None:
    market = Market(SimulatedConfig(), [SymbolConfig(symbol="SPY")], ts=TS)
    messages = market.messages(5000, TS + 1_000_000)
    events = parse_frame(encode_frame(messages), RECV, "X")
    assert len(events) == len(messages)
    for message, event in zip(messages, events, strict=True):
        assert (event.symbol, event.seq, event.ts_event) == message[1:4]
        assert event.venue == "X"
        assert event.ts_recv == RECV
        if isinstance(event, Trade):
            assert (event.price, event.size) == message[4:6]


@pytest.mark.parametrize(
    ("frame", "complaint"),
    [
        (b"not json", "malformed"),
        (b'{"T": 1}', "Expected `array`"),
        (b'[["X","AAPL",1,5,1.0,1]]', "Invalid value 'X'"),
        (b'[["T","AAPL",1,5,-1.0,1]]', "Expected `float` > 0.0"),
        (b'[["T","AAPL",1,5,1.0,0]]', "Expected `float` > 0.0"),
        (b'[["D","AAPL",1,5,"x",1.0,1]]', "Invalid enum value 'x'"),
        (b'[["Q","AAPL",1,5,1.0,1,1.01]]', "Expected `array` of at least length 8, got 7"),
        (b'[["T","",1,5,1.0,1]]', "Expected `str` of length >= 1"),
        (b'[["H","AAPL",-1,5,"halted"]]', "Expected `int` >= 0"),
    ],
)
def test_malformed_frames_raise_decode_errors(frame: bytes, complaint: str) -> None:
    with pytest.raises(msgspec.DecodeError, match=complaint.replace("[", r"\[")):
        parse_frame(frame, RECV, "SIM")
