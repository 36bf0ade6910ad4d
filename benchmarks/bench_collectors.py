"""Throughput of ``Collectors.process``: L2 deltas/s and trades+quotes/s on one core.

Events are generated up front (not timed) as a provider would publish them: frames of a few
messages, each message several events sharing ``ts_event``, ``seq`` contiguous per symbol, a
fresh ``ts_recv`` per frame. Random levels left behind when the mid drifts occasionally cross
the book; the few ``crossed_book``/``locked_book`` reports are part of the measured work.
Run: ``.venv/bin/python benchmarks/bench_collectors.py``.
"""

from __future__ import annotations

import argparse
import platform
import random
import time
from typing import Final

from mdc.collectors.chain import Collectors
from mdc.domain.capabilities import Capabilities
from mdc.domain.events import BookDelta, BookSide, BookSnapshot, Event, Quote, Trade

SYMBOLS: Final = ("SPY", "AAPL", "MSFT", "NVDA", "TSLA", "AMZN", "META", "GOOG")
TICK: Final = 0.01
FRAME_EVENTS: Final = 200
CAPS: Final = Capabilities(
    depth=True, trades=True, quotes=True, seq_scope="symbol", seq_contiguous=True
)


def depth_frames(n: int, rng: random.Random) -> list[list[Event]]:
    """Snapshots for every symbol, then ``n`` deltas around a slowly moving mid."""
    ts = 1_700_000_000_000_000_000
    mids = {s: 10_000 + 1_000 * i for i, s in enumerate(SYMBOLS)}  # in ticks
    seqs = dict.fromkeys(SYMBOLS, 0)
    first: list[Event] = []
    for sym in SYMBOLS:
        mid = mids[sym]
        first.append(
            BookSnapshot(
                symbol=sym,
                venue="XNAS",
                provider="bench",
                ts_event=ts,
                ts_recv=ts,
                seq=0,
                bids=[((mid - k) * TICK, 100.0) for k in range(1, 51)],
                asks=[((mid + k) * TICK, 100.0) for k in range(1, 51)],
            )
        )
    frames = [first]
    frame: list[Event] = []
    made = 0
    while made < n:
        ts += 1_000
        sym = rng.choice(SYMBOLS)
        mid = mids[sym] = mids[sym] + rng.choice((-1, 0, 0, 0, 1))
        seqs[sym] += 1
        for _ in range(rng.randint(1, 6)):
            side: BookSide
            if rng.random() < 0.5:
                side, price = "bid", (mid - rng.randint(1, 40)) * TICK
            else:
                side, price = "ask", (mid + rng.randint(1, 40)) * TICK
            size = 0.0 if rng.random() < 0.2 else float(rng.randint(1, 50) * 100)
            frame.append(
                BookDelta(
                    symbol=sym,
                    venue="XNAS",
                    provider="bench",
                    ts_event=ts,
                    ts_recv=ts + 500,
                    seq=seqs[sym],
                    side=side,
                    price=price,
                    size=size,
                )
            )
            made += 1
        if len(frame) >= FRAME_EVENTS:
            frames.append(frame)
            frame = []
    frames.append(frame)
    return frames


def trade_quote_frames(n: int, rng: random.Random) -> list[list[Event]]:
    """``n`` quotes and trades (3 quotes per trade), trades without a side."""
    ts = 1_700_000_000_000_000_000
    mids = {s: 10_000 + 1_000 * i for i, s in enumerate(SYMBOLS)}
    seqs = dict.fromkeys(SYMBOLS, 0)
    frames: list[list[Event]] = []
    frame: list[Event] = []
    for i in range(n):
        ts += 1_000
        sym = rng.choice(SYMBOLS)
        mid = mids[sym] = mids[sym] + rng.choice((-1, 0, 0, 0, 1))
        seqs[sym] += 1
        if i % 4:
            frame.append(
                Quote(
                    symbol=sym,
                    venue="XNAS",
                    provider="bench",
                    ts_event=ts,
                    ts_recv=ts + 500,
                    seq=seqs[sym],
                    bid_price=(mid - 1) * TICK,
                    bid_size=300.0,
                    ask_price=(mid + 1) * TICK,
                    ask_size=200.0,
                )
            )
        else:
            frame.append(
                Trade(
                    symbol=sym,
                    venue="XNAS",
                    provider="bench",
                    ts_event=ts,
                    ts_recv=ts + 500,
                    seq=seqs[sym],
                    price=(mid + rng.choice((-1, 0, 1))) * TICK,
                    size=100.0,
                )
            )
        if len(frame) >= FRAME_EVENTS:
            frames.append(frame)
            frame = []
    frames.append(frame)
    return frames


def run(frames: list[list[Event]]) -> tuple[float, dict[str, int]]:
    collectors = Collectors(depth_levels=10)
    collectors.register_provider("bench", CAPS)
    count = sum(map(len, frames))
    start = time.perf_counter()
    for frame in frames:
        collectors.process(frame)
    return count / (time.perf_counter() - start), collectors.stats()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=3, help="best of this many runs")
    args = parser.parse_args()
    print(f"Python {platform.python_version()} on {platform.machine()}, {args.events:,} events")
    for name, make in (("book deltas", depth_frames), ("trades+quotes", trade_quote_frames)):
        best = 0.0
        stats: dict[str, int] = {}
        for _ in range(args.rounds):
            frames = make(args.events, random.Random(args.seed))
            rate, stats = run(frames)
            best = max(best, rate)
        flagged = {k: v for k, v in stats.items() if k.startswith("integrity.") and v}
        print(f"{name:>14}: {best:12,.0f} events/s  (integrity raised: {flagged or 'none'})")


if __name__ == "__main__":
    main()
