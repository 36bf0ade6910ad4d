"""The compiled delta path of ``Collectors.process`` against the Python methods: identical
batches (integrity events included), counters, books and episode state, batch by batch."""

from __future__ import annotations

import copy
import math
import random
from pathlib import Path
from typing import Any

import msgspec
import pytest
from tests.support.kernels import archive, read_capture, require_kernel

from mdc.collectors.chain import Collectors
from mdc.collectors.depth import DepthCollector
from mdc.collectors.emit import StreamKey
from mdc.domain.events import BookDelta, BookSnapshot, Event, Quote, Trade
from mdc.providers.coinbase import SPEC as COINBASE
from mdc.providers.coinbase.parse import CoinbaseParser

MODULE = "mdc.collectors.kernel"
_encode = msgspec.json.Encoder().encode


def pair() -> tuple[Collectors, Collectors]:
    """(kernel collectors, Python collectors), both knowing Coinbase's sequence rule."""
    kernel = Collectors()
    assert kernel.kernel is require_kernel(MODULE)
    python = Collectors()
    python.kernel = None
    for c in (kernel, python):
        c.register_provider(COINBASE.name, COINBASE.capabilities)
    return kernel, python


def books(c: Collectors) -> list[Any]:
    depth = c._depth
    pending = depth._pending
    return [
        (
            key,
            b._bids,
            b._bid_keys,
            b._asks,
            b._ask_keys,
            b.ts_event,
            b.ts_recv,
            b.seq,
            b.needs_snapshot,
            depth.spread_reported.get(b),
            b in depth.wait_reported,
            b is pending,
        )
        for key, b in depth.books.items()
    ] + [
        _encode(depth._pending_event) if depth._pending_event is not None else None,
        depth._pending_index,
        depth._pending_ts,
    ]


def same(batches: list[list[Event]], max_levels: int | None = None) -> list[Event]:
    """Run ``batches`` through both paths, checking everything after each; the kernel's out."""
    kernel, python = pair()
    out: list[Event] = []
    for batch in batches:
        fast = kernel.process(copy.deepcopy(batch))
        slow = python.process(copy.deepcopy(batch))
        assert [_encode(e) for e in fast] == [_encode(e) for e in slow]
        assert kernel.stats() == python.stats()
        assert books(kernel) == books(python)
        if max_levels is not None:  # small books: the worst level goes at times
            for c in (kernel, python):
                for b in c._depth.books.values():
                    b.max_levels = max_levels
        out += fast
    return out


def test_the_coinbase_capture_gives_identical_batches_books_and_archive(
    fixtures_dir: Path, tmp_path: Path
) -> None:
    parser = CoinbaseParser()
    events: list[Event] = []
    for ts, frame in read_capture(fixtures_dir / "crypto" / "COINBASE.ws.28.0"):
        events += parser.parse(frame, ts)
    assert sum(type(e) is BookDelta for e in events) == 9719
    batches = [events[i : i + 1000] for i in range(0, len(events), 1000)]
    out = same(batches)
    kernel, python = pair()
    assert archive(kernel.process(list(events)), tmp_path / "k") == archive(
        python.process(list(events)), tmp_path / "p"
    )
    assert len(out) == len(events)


def stream(seed: int) -> list[list[Event]]:
    """Deltas of every kind the kernel must leave to Python (unknown books, books awaiting a
    snapshot, stale times, odd values and sides, ``seq`` set, int prices), crossing and locking
    books, snapshots, quotes and trades, in batches of random size."""
    rng = random.Random(seed)
    symbols = ["A-USD", "B-USD", "C-USD"]
    events: list[Event] = []
    ts = 1_700_000_000_000_000_000
    prices = [99.0, 99.5, 100.0, 100.5, 101.0, 101.5, 102.0]
    for _ in range(3000):
        symbol = rng.choice(symbols)
        roll = rng.random()
        ts += rng.choice([0, 0, 1, 1000])
        base = {"symbol": symbol, "venue": "coinbase", "provider": "coinbase", "ts_recv": ts}
        if roll < 0.03:
            bids = [(p, float(rng.randint(1, 3))) for p in prices[:3]]
            asks = [(p, float(rng.randint(1, 3))) for p in prices[4:]]
            events.append(BookSnapshot(**base, ts_event=ts, bids=bids, asks=asks))
        elif roll < 0.06:
            events.append(
                Quote(
                    **base, ts_event=ts, bid_price=99.0, bid_size=1.0, ask_price=101.0, ask_size=1.0
                )
            )
        elif roll < 0.08:
            events.append(Trade(**base, ts_event=ts, price=rng.choice(prices), size=1.0))
        else:
            price: Any = rng.choice(prices)
            size: Any = float(rng.choice([0, 0, 1, 2, 3]))
            side: Any = rng.choice(["bid", "ask"])
            seq = None
            event_ts = ts
            odd = rng.random()
            if odd < 0.02:
                price = rng.choice([math.nan, math.inf, 100, -0.0])
            elif odd < 0.04:
                size = rng.choice([math.nan, -1.0, math.inf, 2])
            elif odd < 0.05:
                side = rng.choice(["buy", None])
            elif odd < 0.06:
                event_ts = ts - 5000  # older than the book
            elif odd < 0.07:
                seq = rng.randint(1, 5)
            elif odd < 0.08:
                base["symbol"] = "NEW-" + str(rng.randint(0, 3))  # a book not opened yet
            elif odd < 0.2:  # the same symbol from a provider that sends no snapshots
                base["provider"] = "other"
                base["venue"] = rng.choice(["coinbase", "elsewhere"])
            events.append(
                BookDelta(**base, ts_event=event_ts, seq=seq, side=side, price=price, size=size)
            )
    batches = []
    while events:
        n = rng.randint(1, 200)
        batches.append(events[:n])
        events = events[n:]
    return batches


def test_random_streams_match_on_every_branch(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = [0]
    on_delta = DepthCollector.on_delta

    def counted(self: DepthCollector, ev: BookDelta, key: StreamKey, index: int) -> None:
        calls[0] += 1
        on_delta(self, ev, key, index)

    monkeypatch.setattr(DepthCollector, "on_delta", counted)
    for seed in (1, 2, 3):
        batches = stream(seed)
        deltas = sum(type(e) is BookDelta for batch in batches for e in batch)
        calls[0] = 0
        out = same(batches, max_levels=4 if seed == 3 else None)
        kinds = {getattr(e, "kind", None) for e in out}
        # the Python path's reports were reached, between the kernel's runs
        assert {"crossed_book", "delta_before_snapshot", "out_of_order", "bad_value"} <= kinds
        # the Python side ran every delta once, the kernel's side most of them
        assert deltas < calls[0] < 2 * deltas - deltas // 2
