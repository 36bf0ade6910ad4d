"""Frames of the simulated wire format (``wire.py``) → events of the one event model.

A frame is decoded in one ``msgspec`` call into typed wire messages, then each becomes an event;
this is the per-event work every real provider's parser does too, which is why the benchmark
measures it against the bare decode.
"""

from __future__ import annotations

from typing import Final

from mdc.domain.events import BookDelta, BookSnapshot, Event, Quote, Status, Trade
from mdc.providers.simulated.wire import (
    BID,
    WireDelta,
    WireHalt,
    WireMessage,
    WireQuote,
    WireSnapshot,
    WireTrade,
    decode_frame,
)

PROVIDER: Final = "simulated"


def parse_frame(data: bytes | str, ts_recv: int, venue: str) -> list[Event]:
    """The events of one frame, in order; raises ``msgspec.DecodeError`` if it is malformed
    (the caller hands the frame to ``StreamSink.bad_frame``)."""
    return parse_messages(decode_frame(data), ts_recv, venue)


def parse_messages(messages: list[WireMessage], ts_recv: int, venue: str) -> list[Event]:
    """The events of decoded wire messages (what the compiled kernel leaves to Python)."""
    events: list[Event] = []
    append = events.append
    for m in messages:
        # The decoder makes exactly these classes: an identity test beats isinstance.
        if type(m) is WireQuote:
            append(
                Quote(
                    symbol=m.sym,
                    venue=venue,
                    provider=PROVIDER,
                    ts_event=m.ts,
                    ts_recv=ts_recv,
                    seq=m.seq,
                    bid_price=m.bid_price,
                    bid_size=m.bid_size,
                    ask_price=m.ask_price,
                    ask_size=m.ask_size,
                )
            )
        elif type(m) is WireDelta:
            append(
                BookDelta(
                    symbol=m.sym,
                    venue=venue,
                    provider=PROVIDER,
                    ts_event=m.ts,
                    ts_recv=ts_recv,
                    seq=m.seq,
                    side="bid" if m.side == BID else "ask",
                    price=m.price,
                    size=m.size,
                )
            )
        elif type(m) is WireTrade:
            append(
                Trade(
                    symbol=m.sym,
                    venue=venue,
                    provider=PROVIDER,
                    ts_event=m.ts,
                    ts_recv=ts_recv,
                    seq=m.seq,
                    price=m.price,
                    size=m.size,
                )
            )
        elif type(m) is WireSnapshot:
            append(
                BookSnapshot(
                    symbol=m.sym,
                    venue=venue,
                    provider=PROVIDER,
                    ts_event=m.ts,
                    ts_recv=ts_recv,
                    seq=m.seq,
                    bids=m.bids,
                    asks=m.asks,
                )
            )
        elif type(m) is WireHalt:
            append(
                Status(
                    symbol=m.sym,
                    venue=venue,
                    provider=PROVIDER,
                    ts_event=m.ts,
                    ts_recv=ts_recv,
                    seq=m.seq,
                    kind="trading",
                    state=m.state,
                )
            )
    return events
