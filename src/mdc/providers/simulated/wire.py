"""The simulated feed's own wire format: compact JSON, one array of messages per frame.

Each message is a JSON array whose first element is its type letter, then the symbol, the
symbol's sequence number and the exchange time in ns (the layout of a real binary-ish feed,
kept short because the benchmark pushes millions of them):

==== ================================================= ========================================
tag  fields after ``tag, symbol, seq, ts``            meaning
==== ================================================= ========================================
T    price, size                                       a trade (no aggressor side, like a SIP)
Q    bid_price, bid_size, ask_price, ask_size          the best bid and offer changed
D    side (``b``/``a``), price, size                   an L2 level's new total size (0 = gone)
K    bids ``[[price, size], …]``, asks (best first)    a full book that replaces the old one
H    state (``halted``/``trading``)                    a trading halt or resume
==== ================================================= ========================================

``seq`` counts every message of a symbol (contiguous: a hole is a gap). The generator builds
tuples of exactly these shapes and encodes them with :func:`encode_frame`; the structs below are
the decoding side (``parse.py``), with the constraints a sane message satisfies.
"""

from __future__ import annotations

from typing import Annotated, Final, Literal, TypeAlias

import msgspec
from msgspec import Meta

TRADE: Final = "T"
QUOTE: Final = "Q"
DELTA: Final = "D"
SNAPSHOT: Final = "K"
HALT: Final = "H"
BID: Final = "b"
ASK: Final = "a"

Price = Annotated[float, Meta(gt=0)]
Size = Annotated[float, Meta(ge=0)]
Symbol = Annotated[str, Meta(min_length=1, max_length=64)]
Seq = Annotated[int, Meta(ge=0)]


class _Message(msgspec.Struct, array_like=True, gc=False):
    sym: Symbol
    seq: Seq
    ts: int


class WireTrade(_Message, tag=TRADE):
    price: Price
    size: Annotated[float, Meta(gt=0)]


class WireQuote(_Message, tag=QUOTE):
    bid_price: Price
    bid_size: Size
    ask_price: Price
    ask_size: Size


class WireDelta(_Message, tag=DELTA):
    side: Literal["b", "a"]
    price: Price
    size: Size


class WireSnapshot(_Message, tag=SNAPSHOT):
    bids: list[tuple[Price, Size]]
    asks: list[tuple[Price, Size]]


class WireHalt(_Message, tag=HALT):
    state: Literal["halted", "trading"]


WireMessage: TypeAlias = WireTrade | WireQuote | WireDelta | WireSnapshot | WireHalt

_encoder: Final = msgspec.json.Encoder()
FRAME_DECODER: Final = msgspec.json.Decoder(list[WireMessage])
"""Decodes one frame into typed messages; the benchmark's decode-only floor uses it too."""


def encode_frame(messages: list[tuple[object, ...]]) -> bytes:
    """One frame's bytes from the generator's message tuples."""
    return _encoder.encode(messages)


def decode_frame(data: bytes | str) -> list[WireMessage]:
    """Typed messages of one frame; raises ``msgspec.DecodeError`` on anything malformed."""
    return FRAME_DECODER.decode(data)
