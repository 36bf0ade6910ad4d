"""Differential: the compiled Polygon kernel and the Python reference give identical events.

Every event type (trades, quotes, second and minute aggregates, LULD, status), with optional
fields present or missing at random, fractional sizes, condition and indicator lists, TRF ids
and times, OTC bars, unknown types, a malformed message among good ones and status errors go
through both paths; the events must be equal field by field and in order, and the failures and
parser state the same.
"""

from __future__ import annotations

import random
from typing import Any

import msgspec
import pytest

from mdc.domain import native
from mdc.domain.events import Event
from mdc.providers.polygon.parse import PolygonParser

BASE_MS = 1_710_253_800_000


@pytest.fixture(autouse=True)
def _kernel_built() -> None:
    if native.load("mdc.providers.polygon.kernel") is None:
        pytest.skip("the Polygon kernel is not built (make native), or MDC_PURE_PYTHON is set")


def _message(rng: random.Random, ms: int) -> dict[str, Any]:
    """One message of a random type, optional fields present or not at random."""
    kind = rng.choice(("T", "Q", "A", "AM", "LULD"))
    price = round(100 + rng.random() * 50, 2)
    msg: dict[str, Any] = {"ev": kind}

    def maybe(key: str, value: Any) -> None:
        if rng.random() < 0.6:
            msg[key] = value

    if kind == "T":
        msg |= {"sym": rng.choice(("AAPL", "SPY")), "p": price, "t": ms}
        maybe("s", rng.randrange(1, 500))
        maybe("x", rng.choice((1, 4, 11, 12, 21)))
        maybe("i", str(rng.randrange(1, 10**9)))
        maybe("z", rng.choice((1, 2, 3, 7)))
        maybe("c", rng.choice(([], [14], [14, 41, 37])))
        maybe("q", rng.randrange(1, 10**8))
        maybe("ds", rng.choice(("0.5", "12.25", "", "1e3")))
        maybe("trfi", rng.choice((201, 202)))
        maybe("trft", ms - rng.randrange(0, 5))
    elif kind == "Q":
        msg |= {"sym": "AAPL", "t": ms}
        maybe("bp", price)
        maybe("bs", rng.randrange(1, 9))
        maybe("ap", price + 0.01)
        maybe("as", rng.randrange(1, 9))
        maybe("bx", rng.choice((11, 12)))
        maybe("ax", rng.choice((11, 19)))
        maybe("c", rng.choice((0, 1, 501)))
        maybe("i", rng.choice(([], [604], [604, 1, 2])))
        maybe("z", rng.choice((1, 2, 3)))
        maybe("q", rng.randrange(1, 10**8))
        maybe("trfi", 201)
        maybe("trft", ms)
    elif kind in ("A", "AM"):
        msg |= {"sym": rng.choice(("AAPL", "OTCX")), "o": price, "h": price + 1}
        msg |= {"l": price - 1, "c": price, "v": rng.randrange(0, 99999), "s": ms}
        maybe("e", ms + 1000)
        maybe("vw", price)
        maybe("z", rng.choice((0, 0.5, 7, 33.3)))
        maybe("av", 1e6)
        maybe("otc", rng.random() < 0.5)
    else:
        msg |= {"T": "AAPL", "h": price + 5, "l": price - 5, "t": ms}
        maybe("i", [rng.randrange(0, 5)])
        maybe("z", rng.choice((1, 3)))
        maybe("q", 9)
    return msg


def _frames(count: int = 60, per_frame: int = 20) -> list[str | bytes]:
    rng = random.Random(21)
    out: list[str | bytes] = []
    ms = BASE_MS
    for _ in range(count):
        messages = []
        for _ in range(per_frame):
            ms += rng.randrange(0, 3_000)
            messages.append(_message(rng, ms))
        if rng.random() < 0.2:
            messages.insert(rng.randrange(len(messages)), {"ev": "XQ", "sym": "AAPL"})
        out.append(msgspec.json.encode(messages).decode())
    return out


def _run(parser: PolygonParser, frames: list[str | bytes]) -> list[tuple[str, Any]]:
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


def _both(frames: list[str | bytes]) -> tuple[list[tuple[str, Any]], PolygonParser]:
    kernel, reference = PolygonParser(), PolygonParser(compiled=False)
    assert kernel._kernel is not None and reference._kernel is None
    got, want = _run(kernel, frames), _run(reference, frames)
    assert got == want
    assert kernel.subscribed == reference.subscribed
    return got, kernel


def test_generated_frames_of_every_type_are_identical() -> None:
    results, _ = _both(_frames())
    kinds = {kind.__name__ for outcome, ev in results if outcome == "events" for kind, _ in ev}
    assert kinds == {"Trade", "Quote", "Bar", "Status"}
    assert all(outcome == "events" for outcome, _ in results)
    assert sum(len(events) for _, events in results) > 1_000


@pytest.mark.parametrize(
    "fields",
    [
        {"t": 0},
        {"t": -1},
        {"t": 9_000_000_000_000},
        {"t": 9_000_000_000_001},  # past int64 ns: the reference's Python ints
        {"t": 2**70, "trft": -(2**70)},
        {"ds": "1_000.5"},
        {"ds": " 2.5 "},
        {"ds": "-inf"},
        {"ds": "abc"},
        {"x": 2**80, "c": [2**64, 0, -3], "z": 0},
    ],
    ids=str,
)
def test_edge_values_give_the_reference_result(fields: dict[str, Any]) -> None:
    trade = {"ev": "T", "sym": "AAPL", "p": 1.5, "s": 2, "t": 1} | fields
    quote = {"ev": "Q", "sym": "AAPL", "t": 1, "c": 3, "i": [-1, 2**65]} | {
        k: v for k, v in fields.items() if k in ("t", "trft", "z")
    }
    frame = msgspec.json.encode([trade, quote]).decode()
    _both([frame])


@pytest.mark.parametrize("z", [0, 0.5, 1e-300, 3.0, float("inf")], ids=str)
def test_aggregate_trade_counts_give_the_reference_result(z: float) -> None:
    bar = {"ev": "AM", "sym": "AAPL", "o": 1, "h": 2, "l": 0.5, "c": 1, "v": 1e300, "s": 1, "z": z}
    frame = msgspec.json.encode([bar, bar | {"ev": "A", "v": 25, "otc": True}]).decode()
    _both([frame])


def test_a_malformed_message_among_good_ones_fails_the_frame_alike() -> None:
    good = {"ev": "T", "sym": "AAPL", "p": 1.5, "s": 2, "t": 1}
    bad = {"ev": "Q", "sym": "AAPL", "t": "noon"}
    frames: list[str | bytes] = [
        msgspec.json.encode([good, bad, good]).decode(),
        msgspec.json.encode([good]).decode(),
        "[{not json",
    ]
    results, _ = _both(frames)
    assert [outcome for outcome, _ in results] == ["error", "events", "error"]


def test_status_messages_go_to_the_reference() -> None:
    trade = {"ev": "T", "sym": "AAPL", "p": 1.5, "s": 2, "t": 1}

    def status(state: str, message: str) -> dict[str, Any]:
        return {"ev": "status", "status": state, "message": message}

    frames: list[str | bytes] = [
        msgspec.json.encode([status("connected", "Connected Successfully"), trade]).decode(),
        msgspec.json.encode([status("success", "subscribed to: T.AAPL,Q.AAPL"), trade]).decode(),
        msgspec.json.encode([trade, status("max_connections", "")]).decode(),
        msgspec.json.encode([status("error", "bad request"), trade]).decode(),
    ]
    results, kernel = _both(frames)
    assert [outcome for outcome, _ in results] == ["events", "events", "error", "error"]
    assert kernel.subscribed == {"T.AAPL", "Q.AAPL"}
