"""The compiled Coinbase kernel against the Python parser: identical events, state and archive."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from tests.support.kernels import (
    archive,
    encoded,
    outcomes,
    read_capture,
    require_kernel,
)

from mdc.domain.rfc3339 import rfc3339_ns
from mdc.providers.coinbase.config import CoinbaseConfig
from mdc.providers.coinbase.parse import CoinbaseParser, L2Update
from mdc.providers.coinbase.stream import CoinbaseProtocol

MODULE = "mdc.providers.coinbase.kernel"


def pair() -> tuple[CoinbaseParser, CoinbaseParser]:
    """(kernel parser, Python parser)."""
    kernel = CoinbaseParser()
    assert kernel.kernel is require_kernel(MODULE)
    python = CoinbaseParser()
    python.kernel = None
    return kernel, python


def state(p: CoinbaseParser) -> tuple[Any, ...]:
    return (
        p.duplicates,
        p.ignored,
        sorted(p.resubscribe),
        p._last_trade,
        p._last_seq,
        p._heartbeat_ahead,
        p._product_ts,
        p._pending,
    )


def test_the_real_capture_gives_identical_events_state_and_archive(
    fixtures_dir: Path, tmp_path: Path
) -> None:
    frames = read_capture(fixtures_dir / "crypto" / "COINBASE.ws.28.0")
    kernel, python = pair()
    fast = outcomes(kernel.parse, frames)
    slow = outcomes(python.parse, frames)
    assert len(frames) == 9946
    assert fast == slow
    assert sum(len(r) for r in fast if not isinstance(r, str)) == 9943
    assert state(kernel) == state(python)
    assert encoded(fast) == encoded(slow)
    events = [e for r in fast if not isinstance(r, str) for e in r]
    reference = [e for r in slow if not isinstance(r, str) for e in r]
    written = archive(events, tmp_path / "kernel")
    assert written and written == archive(reference, tmp_path / "python")


def l2(product: str, time: str, *changes: tuple[str, str, str]) -> dict[str, Any]:
    return {"type": "l2update", "product_id": product, "changes": changes, "time": time}


def match(product: str, trade_id: int, sequence: int, time: str, kind: str = "match") -> dict:
    return {
        "type": kind, "product_id": product, "trade_id": trade_id, "sequence": sequence,
        "side": "sell" if trade_id % 2 else "buy", "price": "1.5", "size": "2", "time": time,
    }  # fmt: skip


def ticker(product: str, sequence: int, time: str | None, bid: str | None = "1.4") -> dict:
    msg: dict[str, Any] = {"type": "ticker", "product_id": product, "sequence": sequence}
    if bid is not None:
        msg |= {"best_bid": bid, "best_ask": "1.6", "best_bid_size": "0", "best_ask_size": "3"}
    if time is not None:
        msg["time"] = time
    return msg


def generated(seed: int) -> list[bytes | str]:
    """A session with every branch: untimed snapshots, holes, duplicates, late messages,
    heartbeats, times in every accepted form and malformed ones, unknown and broken frames."""
    rng = random.Random(seed)
    times = [
        "2021-04-17T16:43:37.075687Z", "2021-04-17T16:43:37Z", "2021-04-17t16:43:38.1z",
        "2021-04-17 16:43:39.123456789Z", "2021-04-17T16:43:39.1234567891Z",
        "2021-04-17T18:43:40.5+02:00", "2021-04-17T16:43:41.25", "2024-02-29T00:00:00.000001Z",
        "2021-02-29T00:00:00Z", "2021-04-17T24:00:00Z", "2021-04-17T16:43:37.Z",
        "2021-04-17T16:43:3x.1Z", "not a time",
    ]  # fmt: skip
    products = ["A-USD", "B-USD"]
    frames: list[bytes | str] = [
        '{"type":"subscriptions","channels":[]}',
        json.dumps({"type": "snapshot", "product_id": "A-USD", "bids": [["1", "2"]], "asks": []}),
    ]
    trade = {p: 100 for p in products}
    seq = {p: 1000 for p in products}
    for _ in range(600):
        product = rng.choice(products)
        time = rng.choice(times) if rng.random() < 0.2 else times[0]
        roll = rng.random()
        if roll < 0.5:
            changes = [(rng.choice(["buy", "sell"]), "1.25", str(rng.randint(0, 3))) for _ in "ab"]
            frames.append(json.dumps(l2(product, time, *changes[: rng.randint(1, 2)])))
        elif roll < 0.7:
            trade[product] += rng.choice([1, 1, 1, 2, 0, -1])
            seq[product] += rng.choice([1, 1, 0, -2])
            kind = "last_match" if rng.random() < 0.1 else "match"
            frames.append(json.dumps(match(product, trade[product], seq[product], time, kind)))
        elif roll < 0.85:
            seq[product] += rng.choice([1, 1, 0])
            bid = None if rng.random() < 0.1 else "1.4"
            frames.append(json.dumps(ticker(product, seq[product], rng.choice([time, None]), bid)))
        elif roll < 0.9:
            beat = {"type": "heartbeat", "product_id": product, "sequence": seq[product]}
            beat |= {"last_trade_id": trade[product] + rng.randint(0, 2), "time": time}
            frames.append(json.dumps(beat))
        elif roll < 0.94:
            snap = {"type": "snapshot", "product_id": product, "bids": [["1", "2"]], "asks": []}
            if rng.random() < 0.5:
                snap["time"] = time
            frames.append(json.dumps(snap))
        else:
            frames.append(rng.choice([
                '{"type":"status","products":[]}', '{"type":"l2update","product_id":"A-USD"}',
                '{"type":"match","product_id":"A-USD","trade_id":"x"}', "{not json",
                '{"type":"error","message":"slow consumer"}', "RESET",
            ]))  # fmt: skip
    return frames


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_generated_sessions_with_resets_and_bad_frames_match(seed: int) -> None:
    kernel, python = pair()
    frames = generated(seed)

    def parse(p: CoinbaseParser) -> Any:
        def one(frame: bytes | str, ts: int) -> Any:
            if frame == "RESET":
                p.reset()
                return []
            return p.parse(frame, ts)

        return one

    stamped = [(1_700_000_000_000_000_000 + i, f) for i, f in enumerate(frames)]
    fast = outcomes(parse(kernel), stamped)  # type: ignore[arg-type]
    slow = outcomes(parse(python), stamped)  # type: ignore[arg-type]
    assert fast == slow
    assert state(kernel) == state(python)
    raised = [r for r in slow if isinstance(r, str)]
    assert raised and len(raised) < len(frames) // 4  # the branches were reached, most parse
    assert kernel.duplicates > 0 and kernel.ignored > 0


def test_the_kernel_reads_times_as_the_rfc3339_parser_does() -> None:
    """Random instants around the 64-bit range (1678..2261) in Coinbase's form, 0 to 9 digits."""
    module = require_kernel(MODULE)
    parser = CoinbaseParser()
    rng = random.Random(7)
    for _ in range(2000):
        year, month = rng.randint(1600, 2300), rng.randint(1, 12)
        day = rng.randint(1, 31 if month != 2 else 29)
        digits = rng.randint(0, 9)
        fraction = "." + "".join(rng.choice("0123456789") for _ in range(digits)) if digits else ""
        text = (
            f"{year:04d}-{month:02d}-{day:02d}T{rng.randint(0, 23):02d}:"
            f"{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}{fraction}Z"
        )
        msg = L2Update(product_id="A-USD", changes=[("buy", 1.0, 2.0)], time=text)
        try:
            expected: int | str = rfc3339_ns(text)
        except ValueError as exc:
            expected = repr(exc)  # 31 April, 30 February…
        try:
            got: int | str = module.events(parser, msg, 0)[0].ts_event
        except ValueError as exc:
            got = repr(exc)
        assert got == expected, text


@pytest.mark.parametrize("seed", [4, 5])
def test_the_protocol_calls_the_kernel_with_the_same_resubscribe_bookkeeping(seed: int) -> None:
    """``CoinbaseProtocol.parse`` skips the parser's Python ``parse`` when the kernel is built:
    the same events and, frame by frame, the same resubscribe requests, sent and wanted."""
    require_kernel(MODULE)
    fast, slow = CoinbaseProtocol(CoinbaseConfig()), CoinbaseProtocol(CoinbaseConfig())
    slow.parser.kernel = None
    frames = [f for f in generated(seed) if f != "RESET"]
    stamped = [(1_700_000_000_000_000_000 + i, f) for i, f in enumerate(frames)]

    def bookkeeping(p: CoinbaseProtocol) -> tuple[Any, ...]:
        return (
            tuple(sorted(p.parser.resubscribe)),
            tuple(sorted(p._resubscribe_sent)),
            p._resubscribe_wanted.is_set(),
        )

    seen: set[tuple[Any, ...]] = set()
    for i, frame in enumerate(stamped):
        assert outcomes(fast.parse, [frame]) == outcomes(slow.parse, [frame])  # type: ignore[list-item]
        assert bookkeeping(fast) == bookkeeping(slow)
        seen.add(bookkeeping(fast))
        if i % 40 == 39:  # what on_connected does when woken: send the requests
            for p in (fast, slow):
                p._resubscribe_sent |= p.parser.resubscribe
                p._resubscribe_wanted.clear()
    assert state(fast.parser) == state(slow.parser)
    assert any(b[1] for b in seen) and any(b[2] for b in seen)  # requests were made and sent
