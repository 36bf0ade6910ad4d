"""Differential: the compiled Alpaca kernel and the Python reference give identical events.

Every message type in both encodings (JSON with RFC 3339 strings, msgpack with the 32, 64 and
96-bit timestamp extensions), the odd cases (missing optional fields, timestamps with and
without fractions, other zone forms the kernel hands back, conditions lists, unknown types, a
malformed message among good ones, error messages) go through both paths; the events must be
equal field by field and in order, and the failures and parser state the same.
"""

from __future__ import annotations

import random
import struct
import time
from typing import Any

import msgspec
import pytest

from mdc.domain import native
from mdc.domain.events import Event
from mdc.providers.alpaca.parse import AlpacaParser

SYMBOLS = ("AAPL", "MSFT", "BTC/USD")
BASE_NS = 1_710_253_800_000_000_000  # 2024-03-12T14:30:00Z


@pytest.fixture(autouse=True)
def _kernel_built() -> None:
    if native.load("mdc.providers.alpaca.kernel") is None:
        pytest.skip("the Alpaca kernel is not built (make native), or MDC_PURE_PYTHON is set")


def _iso(ns: int, digits: int = 9, zone: str = "Z") -> str:
    seconds, nanos = divmod(ns, 1_000_000_000)
    base = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
    fraction = f".{nanos:09d}"[: digits + 1] if digits else ""
    return f"{base}{fraction}{zone}"


def _ext(ns: int, width: int) -> msgspec.msgpack.Ext:
    seconds, nanos = divmod(ns, 1_000_000_000)
    if width == 4:
        return msgspec.msgpack.Ext(-1, struct.pack(">I", seconds))
    if width == 8:
        return msgspec.msgpack.Ext(-1, struct.pack(">Q", (nanos << 34) | seconds))
    return msgspec.msgpack.Ext(-1, struct.pack(">Iq", nanos, seconds))


def _stamp(rng: random.Random, ns: int, binary: bool) -> Any:
    if binary:
        return _ext(ns - ns % 1_000_000_000 if rng.random() < 0.2 else ns, rng.choice((4, 8, 12)))
    return _iso(ns, rng.choice((0, 1, 3, 6, 9)))


def _message(rng: random.Random, ns: int, binary: bool) -> dict[str, Any]:
    """One data message of a random type, optional fields present or not at random."""
    kind = rng.choice("tqbudslicxo")
    msg: dict[str, Any] = {"T": kind, "S": rng.choice(SYMBOLS), "t": _stamp(rng, ns, binary)}
    price = round(100 + rng.random() * 50, 2)

    def maybe(key: str, value: Any) -> None:
        if rng.random() < 0.6:
            msg[key] = value

    if kind == "t":
        msg |= {"p": price, "s": rng.randrange(1, 500)}
        maybe("i", rng.randrange(1, 10**12))
        maybe("x", rng.choice("VQNP"))
        maybe("c", rng.choice(([], ["@"], ["@", "I", "F"])))
        maybe("z", rng.choice("ABC"))
        maybe("tks", rng.choice(("B", "S", "", "X")))
    elif kind == "q":
        msg |= {"bp": price, "bs": rng.randrange(1, 9), "ap": price + 0.01, "as": 0.5}
        maybe("bx", "V")
        maybe("ax", "Q")
        maybe("c", rng.choice(([], ["R"], ["R", "Y"])))
        maybe("z", "C")
    elif kind in "bud":
        msg |= {"o": price, "h": price + 1, "l": price - 1, "c": price, "v": rng.randrange(1, 9999)}
        maybe("vw", price + 0.005)
        maybe("n", rng.randrange(1, 99))
    elif kind == "s":
        msg |= {"sc": rng.choice("23HTQPX"), "sm": "Halt", "rc": "T1", "rm": "News", "z": "C"}
    elif kind == "l":
        msg |= {"u": price + 5, "d": price - 5, "i": rng.choice(("", "B")), "z": "A"}
    elif kind == "i":
        msg |= {"p": price, "z": "B"}
    elif kind == "c":
        msg |= {"x": "V", "oi": 1, "op": price, "os": 5, "oc": ["@"], "ci": 2, "cp": price}
    elif kind == "x":
        msg |= {"i": 7, "x": "V", "p": price, "s": 3, "a": rng.choice("CE")}
    else:
        msg |= {"b": [{"p": price, "s": 1}, {"p": price - 1, "s": 0}], "a": [{"p": price, "s": 2}]}
        maybe("r", rng.random() < 0.5)
    return msg


def _frames(binary: bool, count: int = 60, per_frame: int = 20) -> list[str | bytes]:
    rng = random.Random(21 + binary)
    out: list[str | bytes] = []
    ns = BASE_NS
    for _ in range(count):
        messages = []
        for _ in range(per_frame):
            ns += rng.randrange(1, 3_000_000_000)
            messages.append(_message(rng, ns, binary))
        if rng.random() < 0.2:
            messages.insert(rng.randrange(len(messages)), {"T": "newtype", "S": "AAPL"})
        out.append(_encode(messages, binary))
    return out


def _encode(messages: list[dict[str, Any]], binary: bool) -> str | bytes:
    return msgspec.msgpack.encode(messages) if binary else msgspec.json.encode(messages).decode()


def _run(parser: AlpacaParser, frames: list[str | bytes]) -> list[tuple[str, Any]]:
    """What the stream layer sees per frame: the events, or the error it counts."""
    results: list[tuple[str, Any]] = []
    for n, frame in enumerate(frames):
        try:
            events: list[Event] = parser.parse(frame, 1_000 + n)
        except Exception as exc:  # the error is the result compared
            results.append(("error", (type(exc), str(exc))))
        else:
            results.append(("events", [(type(e), msgspec.structs.astuple(e)) for e in events]))
    return results


def _both(frames: list[str | bytes]) -> tuple[list[tuple[str, Any]], AlpacaParser]:
    kernel, reference = AlpacaParser("SIP"), AlpacaParser("SIP", compiled=False)
    assert kernel._kernel is not None and reference._kernel is None
    got, want = _run(kernel, frames), _run(reference, frames)
    assert got == want
    assert kernel.subscribed == reference.subscribed
    return got, kernel


@pytest.mark.parametrize("binary", [False, True], ids=["json", "msgpack"])
def test_generated_frames_of_every_type_are_identical(binary: bool) -> None:
    results, _ = _both(_frames(binary))
    kinds = {kind for outcome, events in results if outcome == "events" for kind, _ in events}
    assert {k.__name__ for k in kinds} == {
        "Trade",
        "Quote",
        "Bar",
        "Status",
        "Integrity",
        "BookSnapshot",
        "BookDelta",
    }
    assert all(outcome == "events" for outcome, _ in results)
    assert sum(len(events) for _, events in results) > 1_000


TIMESTAMPS = [
    "2024-03-12T14:30:00Z",
    "2024-03-12T14:30:00.1Z",
    "2024-03-12T14:30:00.123456789Z",
    "2024-02-29T23:59:59.000000001Z",
    "1970-01-01T00:00:00Z",
    "1969-12-31T23:59:59.5Z",
    "1900-03-01T00:00:00Z",
    "2199-12-31T23:59:59.999999999Z",
    # handed back to the reference, which accepts them
    "2024-03-12T14:30:00.1234567891Z",
    "2024-03-12T14:30:00.5+01:00",
    "2024-03-12T09:30:00-0500",
    "2024-03-12t14:30:00z",
    "2024-03-12 14:30:00Z",
    "2024-03-12T14:30:00",
    "1899-12-31T23:59:59Z",
    "2400-02-29T00:00:00Z",
    "9999-12-31T23:59:59.999999999Z",
]
BAD_TIMESTAMPS = [
    "2023-02-29T00:00:00Z",
    "1900-02-29T00:00:00Z",
    "2100-02-29T12:00:00.5Z",
    "2024-13-01T00:00:00Z",
    "2024-04-31T00:00:00Z",
    "2024-03-12T24:00:00Z",
    "2024-03-12T14:60:00Z",
    "2024-03-12T14:30:60Z",
    "2024-03-12T14:30:00.Z",
    "2024-03-12T14:30:0xZ",
    "2024-03-12T14:30:00.12a4Z",
    "0000-01-01T00:00:00Z",
    "2024-03-12T14:30:00.١٢Z",
    "",
]


@pytest.mark.parametrize("stamp", TIMESTAMPS + BAD_TIMESTAMPS)
def test_every_timestamp_form_gives_the_reference_result(stamp: str) -> None:
    frame = _encode(
        [
            {"T": "q", "S": "AAPL", "t": stamp, "bp": 1, "bs": 1, "ap": 2, "as": 1},
            {"T": "t", "S": "AAPL", "t": stamp, "p": 1.5, "s": 2},
            {"T": "b", "S": "AAPL", "t": stamp, "o": 1, "h": 2, "l": 0.5, "c": 1, "v": 9},
        ],
        False,
    )
    ((outcome, value),) = _both([frame])[0]
    assert outcome == ("error" if stamp in BAD_TIMESTAMPS else "events")
    if outcome == "events":
        assert len({fields[3] for _, fields in value}) == 1  # one ts_event for the three


@pytest.mark.parametrize(
    "ext",
    [
        msgspec.msgpack.Ext(-1, struct.pack(">I", 1_710_253_800)),
        msgspec.msgpack.Ext(-1, struct.pack(">Q", (999_999_999 << 34) | 1_710_253_800)),
        msgspec.msgpack.Ext(-1, struct.pack(">Iq", 5, 1_710_253_800)),
        msgspec.msgpack.Ext(-1, struct.pack(">Iq", 5, -1)),
        msgspec.msgpack.Ext(-1, struct.pack(">Iq", 0, 2**62)),  # past int64 ns: the reference
        msgspec.msgpack.Ext(-1, struct.pack(">Q", 0x3_FFFF_FFFF)),
        msgspec.msgpack.Ext(-1, b"\x00" * 5),
        msgspec.msgpack.Ext(3, struct.pack(">I", 1)),
    ],
    ids=["32", "64", "96", "96-negative", "96-huge", "64-max-seconds", "5-bytes", "other-code"],
)
def test_every_msgpack_timestamp_gives_the_reference_result(ext: msgspec.msgpack.Ext) -> None:
    frame = _encode([{"T": "t", "S": "AAPL", "t": ext, "p": 1.5, "s": 2, "c": ["@"]}], True)
    _both([frame])


def test_a_malformed_message_among_good_ones_fails_the_frame_alike() -> None:
    good = {"T": "t", "S": "AAPL", "t": "2024-03-12T14:30:00Z", "p": 1.5, "s": 2}
    bad = {"T": "q", "S": "AAPL", "t": "2024-03-12T14:30:00Z", "bp": "x"}
    results, _ = _both(
        [_encode([good, bad, good], False), _encode([good], False), "[{not json", b"\xc1"]
    )
    assert [outcome for outcome, _ in results] == ["error", "events", "error", "error"]


def test_control_messages_go_to_the_reference() -> None:
    trade = {"T": "t", "S": "AAPL", "t": "2024-03-12T14:30:00Z", "p": 1.5, "s": 2}
    frames: list[str | bytes] = [
        _encode([{"T": "success", "msg": "authenticated"}, trade], False),
        _encode([{"T": "subscription", "trades": ["AAPL"], "quotes": ["MSFT"]}, trade], False),
        _encode([trade, {"T": "error", "code": 409, "msg": "insufficient subscription"}], False),
        _encode([{"T": "error", "code": 406, "msg": "connection limit exceeded"}], True),
    ]
    results, kernel = _both(frames)
    assert [outcome for outcome, _ in results] == ["events", "events", "error", "error"]
    assert kernel.subscribed == {"trades": ["AAPL"], "quotes": ["MSFT"]}
