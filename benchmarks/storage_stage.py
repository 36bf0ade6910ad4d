"""Storage stage throughput: WAL (fsync interval 100 ms) + JSONL, and WAL + Parquet, in events/s.

``measure(batches, tmp_dir)`` is what the harness calls: it appends the batches through a real
store (open → append every batch → close, so the final flush, fsyncs and finished Parquet parts
are inside the timing) and returns events/s per path, with the encode-only floor (MessagePack of
the same batches, the least any WAL must do) measured in the same run.

    python benchmarks/storage_stage.py          # a realistic trade/quote mix, prints a table
"""

from __future__ import annotations

import platform
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from mdc.config.schema import StorageConfig, WalConfig
from mdc.domain.events import Event, Quote, Trade, encode_msgpack_batch
from mdc.storage import open_store

EVENTS: Final = 400_000
BATCH: Final = 1_000
SYMBOLS: Final = ("AAPL", "MSFT", "SPY", "NVDA", "AMZN", "TSLA", "META", "GOOGL")
START_NS: Final = 1_710_253_800_000_000_000  # 2024-03-12T14:30:00Z
ROUNDS: Final = 3


def sample_batches(events: int = EVENTS, batch: int = BATCH, seed: int = 7) -> list[list[Event]]:
    """70 % quotes, 30 % trades over eight symbols, time increasing, like a live stream."""
    rng = random.Random(seed)
    ts = START_NS
    out: list[list[Event]] = []
    current: list[Event] = []
    for i in range(events):
        ts += rng.randrange(1_000, 200_000)
        sym = rng.choice(SYMBOLS)
        price = round(100 + rng.random() * 50, 2)
        if rng.random() < 0.7:
            event: Event = Quote(
                symbol=sym,
                venue="XNAS",
                provider="bench",
                ts_event=ts,
                ts_recv=ts + 300_000,
                bid_price=price,
                bid_size=float(rng.randrange(1, 20) * 100),
                ask_price=round(price + 0.01, 2),
                ask_size=float(rng.randrange(1, 20) * 100),
                bid_exchange="V",
                ask_exchange="Q",
                tape="C",
            )
        else:
            event = Trade(
                symbol=sym,
                venue="XNAS",
                provider="bench",
                ts_event=ts,
                ts_recv=ts + 300_000,
                seq=i,
                price=price,
                size=float(rng.randrange(1, 500)),
                trade_id=str(i),
                exchange="V",
                conditions=["@"],
                tape="C",
            )
        current.append(event)
        if len(current) == batch:
            out.append(current)
            current = []
    if current:
        out.append(current)
    return out


def _run(batches: Sequence[list[Event]], root: Path, fmt: str) -> float:
    config = StorageConfig(
        root=str(root),
        format=fmt,  # type: ignore[arg-type]
        raw_capture=False,
        min_free_mb=0,
        wal=WalConfig(fsync="interval", fsync_interval_ms=100),
    )
    total = sum(map(len, batches))
    store = open_store(config)
    start = time.perf_counter()
    for batch in batches:
        store.append(batch)
    store.close()
    elapsed = time.perf_counter() - start
    shutil.rmtree(root)
    return total / elapsed


def _floor(batches: Sequence[list[Event]]) -> float:
    total = sum(map(len, batches))
    start = time.perf_counter()
    for batch in batches:
        encode_msgpack_batch(batch)
    return total / (time.perf_counter() - start)


def measure(batches: Sequence[list[Event]], tmp_dir: Path, rounds: int = ROUNDS) -> dict[str, float]:
    """Best of ``rounds`` events/s: ``wal_jsonl``, ``wal_parquet`` and the ``encode_floor``."""
    results = {"encode_floor": 0.0, "wal_jsonl": 0.0, "wal_parquet": 0.0}
    for r in range(rounds):
        results["encode_floor"] = max(results["encode_floor"], _floor(batches))
        for fmt in ("jsonl", "parquet"):
            rate = _run(batches, Path(tmp_dir) / f"{fmt}-{r}", fmt)
            results[f"wal_{fmt}"] = max(results[f"wal_{fmt}"], rate)
    return results


def main() -> None:
    batches = sample_batches()
    with tempfile.TemporaryDirectory(prefix="mdc-bench-", dir=".") as tmp:
        results = measure(batches, Path(tmp))
    print(f"storage stage, {EVENTS:,} events in batches of {BATCH:,} (best of {ROUNDS})")
    print(f"python {sys.version.split()[0]} on {platform.machine()} {platform.system()}")
    floor = results["encode_floor"]
    for name, rate in results.items():
        print(f"  {name:<14} {rate:>12,.0f} events/s   {rate / floor:5.2f} x floor")


if __name__ == "__main__":
    main()
