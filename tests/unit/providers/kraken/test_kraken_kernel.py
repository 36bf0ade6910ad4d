"""The compiled Kraken v1 book update against the Python parser: identical events and books."""

from __future__ import annotations

import json
import random
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from tests.support.kernels import archive, encoded, flat, outcomes, read_capture, require_kernel
from tests.support.kraken_v2 import recorded_session

from mdc.domain.events import Event
from mdc.providers.kraken.parse import KrakenParser
from mdc.providers.kraken.parse_v2 import KrakenV2Parser

MODULE = "mdc.providers.kraken.kernel"


def pair(depth: int) -> tuple[KrakenParser, KrakenParser]:
    """(kernel parser, Python parser) keeping ``depth`` levels."""
    kernel = KrakenParser(depth, {"ADA/XBT": "ADA-BTC"})
    assert kernel.kernel is require_kernel(MODULE)
    python = KrakenParser(depth, {"ADA/XBT": "ADA-BTC"})
    python.kernel = None
    return kernel, python


def state(p: KrakenParser) -> tuple[Any, ...]:
    books = {
        name: (b._ask_keys, b._ask_tokens, b._bid_keys, b._bid_tokens, b.checksum())
        for name, b in p.books.items()
    }
    return (books, p.counters(), sorted(p.resubscribe), p._last_ts)


@pytest.mark.parametrize("depth", [1000, 10])
def test_the_real_capture_gives_identical_events_books_and_archive(
    fixtures_dir: Path, tmp_path: Path, depth: int
) -> None:
    frames = read_capture(fixtures_dir / "crypto" / "KRAKEN.ws.50.0")
    kernel, python = pair(depth)
    fast = outcomes(kernel.parse, frames)
    slow = outcomes(python.parse, frames)
    assert len(frames) == 4321
    assert fast == slow
    assert state(kernel) == state(python)
    if depth == 1000:
        assert len(flat(fast)) == 4282
        assert kernel.checksums_ok == 4269 and kernel.checksums_failed == 0
    assert encoded(fast) == encoded(slow)
    written = archive(flat(fast), tmp_path / "kernel")
    assert written and written == archive(flat(slow), tmp_path / "python")


def damaged(frames: list[tuple[int, bytes]], seed: int) -> list[tuple[int, bytes]]:
    """The capture with frames dropped, checksums and levels broken, resets and bad frames."""
    rng = random.Random(seed)
    out: list[tuple[int, bytes]] = []
    for ts, frame in frames:
        roll = rng.random()
        msg = json.loads(frame)
        is_update = isinstance(msg, list) and isinstance(msg[1], dict) and "c" in msg[1]
        if roll < 0.01:
            continue  # a lost update: the next checksum fails
        if is_update and roll < 0.02:
            msg[1]["c"] = str((int(msg[1]["c"]) + 1) % 2**32)
        elif is_update and roll < 0.04:
            side = "a" if "a" in msg[1] else "b"
            msg[1][side][0][rng.choice([0, 1, 2])] = rng.choice(["x", "", "1.5.5", "+1", "1e3"])
        elif is_update and roll < 0.05:
            side = "a" if "a" in msg[1] else "b"
            msg[1][side][0][2] = rng.choice(
                ["1618678123", "1618678123.1234567891", "99999999999.5"]
            )
        elif is_update and roll < 0.06:
            msg[1]["a"] = [*msg[1].get("a", []), ["0.00003000", "0.00000000", "1618678123.5"]]
            msg[1]["b"] = [*msg[1].get("b", []), ["0.00002000", "5.0", "1618678124.25"]]
        elif roll < 0.063:
            out.append((ts, b"RESET"))
        elif roll < 0.07:
            out.append((ts, rng.choice([b"[1,{}]", b'[1,{},"book-10","ADA/XBT"]', b"{"])))
        out.append((ts, json.dumps(msg).encode()))
    return out


@pytest.mark.parametrize("seed", [1, 2])
def test_damaged_sessions_give_identical_gaps_resubscribes_and_errors(
    fixtures_dir: Path, seed: int
) -> None:
    capture = read_capture(fixtures_dir / "crypto" / "KRAKEN.ws.50.0")
    snapshots = {json.loads(f)[-1]: f for _, f in capture if b'"as":' in f}
    frames = damaged(capture, seed)
    kernel, python = pair(25)

    def parse(p: KrakenParser) -> Any:
        def one(frame: bytes, ts: int) -> list[Event]:
            if frame == b"RESET":  # a new connection: every book's snapshot again
                p.reset()
                return [e for f in snapshots.values() for e in p.parse(f, ts)]
            return p.parse(frame, ts)  # a failed book stays unvalidated until the next reset

        return one

    fast = outcomes(parse(kernel), frames)
    slow = outcomes(parse(python), frames)
    assert fast == slow
    assert state(kernel) == state(python)
    assert kernel.checksums_failed > 5 and kernel.checksums_ok > 100
    assert kernel.unvalidated > 200
    assert sum(isinstance(r, str) for r in slow) > 10  # bad levels and frames raised alike


V2_PAIRS = {
    "BTC/USD": (Decimal("45000.0"), Decimal("0.1"), (1, 8)),
    "XRP/USD": (Decimal("0.60000"), Decimal("0.00001"), (5, 8)),
    "ADA/BTC": (Decimal("0.0000120"), Decimal("0.0000001"), (7, 8)),
}


def v2_pair() -> tuple[KrakenV2Parser, KrakenV2Parser]:
    symbols = {p: p.replace("/", "-") for p in V2_PAIRS}
    kernel = KrakenV2Parser(10, dict(symbols))
    assert kernel.kernel is require_kernel(MODULE)
    python = KrakenV2Parser(10, dict(symbols))
    python.kernel = None
    return kernel, python


def v2_damaged(frames: list[bytes], seed: int) -> list[bytes]:
    """The v2 session with updates lost, checksums and numbers broken, odd number forms,
    times in other forms, a pair never described and resets."""
    rng = random.Random(seed)
    out: list[bytes] = []
    for frame in frames:
        msg = json.loads(frame, parse_float=Decimal, parse_int=Decimal)
        roll = rng.random()
        update = msg["channel"] == "book" and msg["type"] == "update"
        data = msg["data"][0] if update else {}
        side = "asks" if data.get("asks") else "bids"
        if roll < 0.02:
            continue  # a lost update: the next checksum fails
        if update and roll < 0.04:
            data["checksum"] = (int(data["checksum"]) + 1) % 2**32
        elif update and roll < 0.06:
            data[side][0]["qty"] = rng.choice(["@1e-3@", "@2E2@", "@0.5e1@"])  # exponents
        elif update and roll < 0.08:
            data[side][0]["price"] = rng.choice(["x", "", None, [1]])
        elif update and roll < 0.10:
            data["timestamp"] = rng.choice(["2025-12-02T12:00:01Z", "2025-12-02T13:00:01+01:00",
                                            "", "2025-13-02T12:00:01Z"])  # fmt: skip
        elif update and roll < 0.11:
            data["symbol"] = "DOT/USD"  # no book, no precision: unvalidated
        elif roll < 0.115:
            out.append(b"RESET")
        text = json.dumps(_numbers(msg)).replace('"@', "").replace('@"', "")
        out.append(text.encode())
    return out


def _numbers(obj: Any) -> Any:
    """Decimals as bare JSON numbers (the wire form), through a marker json.dumps leaves."""
    if isinstance(obj, Decimal):
        return f"@{obj}@"
    if isinstance(obj, dict):
        return {k: _numbers(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_numbers(v) for v in obj]
    return obj


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_v2_sessions_give_identical_events_books_and_errors(seed: int, tmp_path: Path) -> None:
    frames = recorded_session(V2_PAIRS, updates=800, seed=2026 + seed)
    if seed:
        frames = v2_damaged(frames, seed)
    kernel, python = v2_pair()

    snapshots = [f for f in frames if b'"type":"snapshot"' in f.replace(b" ", b"")]

    def parse(p: KrakenV2Parser) -> Any:
        def one(frame: bytes, ts: int) -> list[Event]:
            if frame == b"RESET":  # a new connection: the instruments and books again
                p.reset()
                return [e for f in snapshots for e in p.parse(f, ts)]
            return p.parse(frame, ts)

        return one

    stamped = list(enumerate(frames))
    fast = outcomes(parse(kernel), stamped)
    slow = outcomes(parse(python), stamped)
    assert fast == slow
    assert state(kernel) == state(python)
    assert kernel._book_precision == python._book_precision
    if not seed:
        assert kernel.checksums_ok == 3 + 800 and kernel.checksums_failed == 0
        written = archive(flat(fast), tmp_path / "kernel")
        assert written and written == archive(flat(slow), tmp_path / "python")
    else:
        assert kernel.checksums_failed > 0 and kernel.unvalidated > 3
        assert sum(isinstance(r, str) for r in slow) > 3
