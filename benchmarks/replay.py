"""Replay benchmark: memory over a whole-day replay of 10 M events, and ``--speed max`` rate.

    python benchmarks/replay.py                 # 10 M events; table to stdout and BENCHMARKS.md
    python benchmarks/replay.py --quick --output /tmp/b.md   # 60,000 events, for the harness test

The archive is one day of 3 symbols × trades and quotes (plus one gap per symbol), written as
the collector writes JSONL with zstd (one frame per batch), timestamps spread over the day so
that the six streams interleave. Two passes over it, in this process:

* floor: every file decoded chunk by chunk (``replay/streams.py``), no merge, nothing written;
* replay: ``mdc replay --speed max --stdout``'s path — the k-way merge (``replay/merge.py``) into
  ``replay_lines`` writing JSON lines to a sink that discards them.

Resident memory is read every 1 M events during the replay; constant memory means the last
reading is no higher than the first (plus noise), whatever the number of events.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Final

import msgspec
import zstandard

import report
from mdc.domain.events import Event, Gap, Quote, Trade
from mdc.domain.time import NS_PER_DAY, date_to_ns
from mdc.replay.merge import MergeStats, merged
from mdc.replay.pace import Pacer
from mdc.replay.sinks import replay_lines
from mdc.replay.streams import jsonl_chunks
from mdc.storage.archive import open_archive

HERE: Final = Path(__file__).resolve().parent
OUTPUT: Final = HERE / "BENCHMARKS.md"
DAY: Final = date(2024, 3, 1)
SYMBOLS: Final = ("AAPL", "MSFT", "SPY")
BATCH: Final = 100_000
SAMPLE_EVERY: Final = 1_000_000


def _trade(symbol: str, ts: int, i: int) -> Trade:
    return Trade(
        symbol=symbol,
        venue="SIM",
        provider="bench",
        ts_event=ts,
        ts_recv=ts + 1000,
        seq=i,
        price=100.0 + (i % 500) * 0.01,
        size=float(1 + i % 300),
        side="buy" if i % 2 else "sell",
    )


def _quote(symbol: str, ts: int, i: int) -> Quote:
    bid = 100.0 + (i % 500) * 0.01
    return Quote(
        symbol=symbol,
        venue="SIM",
        provider="bench",
        ts_event=ts,
        ts_recv=ts + 1000,
        seq=i,
        bid_price=bid,
        bid_size=float(100 + i % 900),
        ask_price=bid + 0.01,
        ask_size=float(100 + i % 700),
    )


def build(root: Path, events: int) -> int:
    """Write the day's archive; returns the number of events written."""
    per_stream = events // (len(SYMBOLS) * 2)
    step = NS_PER_DAY // per_stream
    start = date_to_ns(DAY)
    encoder = msgspec.json.Encoder()
    compressor = zstandard.ZstdCompressor(level=3)
    written = 0
    for s_index, symbol in enumerate(SYMBOLS):
        for kind, make in (("trades", _trade), ("quotes", _quote)):
            folder = root / symbol / kind
            folder.mkdir(parents=True)
            offset = (s_index * 2 + (kind == "quotes")) * step // 7  # streams interleave
            with open(folder / f"{DAY.isoformat()}.jsonl.zst", "wb") as fh:
                for first in range(0, per_stream, BATCH):
                    n = min(BATCH, per_stream - first)
                    batch = [
                        make(symbol, start + offset + i * step, i) for i in range(first, first + n)
                    ]
                    fh.write(compressor.compress(encoder.encode_lines(batch)))
                    written += n
        gap_ts = start + NS_PER_DAY // 2
        gap = Gap(
            symbol=symbol,
            venue="SIM",
            provider="bench",
            ts_event=gap_ts,
            ts_recv=gap_ts,
            from_ts=gap_ts - 10**9,
            to_ts=gap_ts,
            reason="disconnect",
        )
        (root / symbol / "gaps").mkdir()
        (root / symbol / "gaps" / f"{DAY.isoformat()}.jsonl").write_bytes(
            encoder.encode(gap) + b"\n"
        )
        written += 1
    return written


class Discard:
    """A binary sink that keeps nothing (so the figure is the replay's, not a disk's)."""

    def __init__(self) -> None:
        self.bytes = 0

    def write(self, data: bytes) -> int:
        self.bytes += len(data)
        return len(data)

    def flush(self) -> None:
        pass


def floor(root: Path) -> tuple[int, float]:
    archive = open_archive(root)
    count = 0
    begin = time.perf_counter()
    for p in archive.partitions():
        cls = _cls(p.type_name)
        for f in p.files("auto"):
            for chunk in jsonl_chunks(f, cls):
                count += len(chunk)
    return count, time.perf_counter() - begin


def _cls(type_name: str) -> type[Event]:
    from mdc.domain.events import TYPES_BY_NAME

    return TYPES_BY_NAME[type_name]


def replay(root: Path) -> tuple[int, float, list[tuple[int, float]], MergeStats, int]:
    archive = open_archive(root)
    stats = MergeStats()
    samples: list[tuple[int, float]] = [(0, report.rss_mb())]
    events = merged(archive, list(SYMBOLS), ["trades", "quotes", "gaps"], 0, 1 << 62, stats)

    def sampled() -> Iterator[Event]:
        for n, e in enumerate(events, start=1):
            yield e
            if n % SAMPLE_EVERY == 0:
                samples.append((n, report.rss_mb()))

    sink = Discard()
    begin = time.perf_counter()
    count = replay_lines(sampled(), sink, Pacer(None), time.sleep)
    took = time.perf_counter() - begin
    samples.append((count, report.rss_mb()))
    return count, took, samples, stats, sink.bytes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--quick", action="store_true", help="60,000 events (harness test)")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    events = 60_000 if args.quick else args.events
    tmp = Path(tempfile.mkdtemp(prefix="mdc-replay-bench-"))
    try:
        root = tmp / "data"
        begin = time.perf_counter()
        total = build(root, events)
        built = time.perf_counter() - begin
        size = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
        floor_n, floor_s = floor(root)
        count, took, samples, stats, out_bytes = replay(root)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if count != total or floor_n != total or stats.late:
        print(
            f"replayed {count} / decoded {floor_n} of {total} events, {stats.late} late",
            file=sys.stderr,
        )
        return 1
    floor_rate, replay_rate = floor_n / floor_s, count / took
    first_rss, last_rss = samples[0][1], samples[-1][1]
    mid = [s for s in samples if s[0] >= SAMPLE_EVERY]
    base = mid[0][1] if mid else first_rss
    body = [
        "## Replay (`mdc replay --speed max`, one core)",
        "",
        report.machine(),
        "",
        f"One day, {len(SYMBOLS)} symbols × trades and quotes + {len(SYMBOLS)} gaps: "
        f"{total:,} events in {stats.streams} streams, JSONL + zstd "
        f"{size / 2**20:,.0f} MiB on disk (written in {built:.0f} s). Replay output: "
        f"{out_bytes / 2**20:,.0f} MiB of JSON lines, discarded.",
        "",
        report.table(
            ["Pass", "events/s", "× floor", "ns/event"],
            [
                [
                    "decode every file (floor)",
                    report.rate(floor_rate),
                    "1.00",
                    f"{1e9 / floor_rate:,.0f}",
                ],
                [
                    "replay: merge + JSON lines",
                    report.rate(replay_rate),
                    f"{replay_rate / floor_rate:.2f}",
                    f"{1e9 / replay_rate:,.0f}",
                ],
            ],
        ),
        "Resident memory during the replay (MB) by events replayed: "
        + ", ".join(f"{n / 1e6:g} M: {mb:.0f}" for n, mb in samples)
        + f". From the first million to the end: {last_rss - base:+.1f} MB "
        f"({last_rss / base:.3f} ×); before the replay: {first_rss:.0f} MB; "
        f"peak of the process (generation included): {report.peak_rss_mb():.0f} MB.",
        "",
    ]
    text = "\n".join(body)
    print(text)
    if not args.no_write:
        report.write(args.output, "replay", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
