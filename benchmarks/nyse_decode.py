"""XDP Integrated decode + order book throughput (messages/s) against a ``struct``-only floor.

Packets come from the tests' spec-offset builder (``tests/support/xdp.py``): a seeded day of
adds, modifies, deletes, replaces, executions and non-displayed trades over 8 symbols, 20
messages per packet. Stages, each best of ``ROUNDS`` on the same packets in one run:

- ``struct floor``: walk every packet and message header and unpack every message body with its
  layout's ``struct`` (what any pure-Python decoder must at least do);
- ``decode + book + events``: ``XdpFeed.packet`` — arbitration, sequence, books, and the
  ``Trade``/``BookDelta`` events a replay writes (the ``mdc import nyse-xdp`` path, before the
  store).

    python benchmarks/nyse_decode.py            # prints the table, updates BENCHMARKS.md
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Final

import report

ROOT: Final = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support import xdp  # noqa: E402

from mdc.providers.nyse import messages as m  # noqa: E402
from mdc.providers.nyse.parse import XdpFeed  # noqa: E402

MESSAGES: Final = 200_000
PER_PACKET: Final = 20
ROUNDS: Final = 5
SYMBOLS: Final = {f"S{i}": 2 for i in range(8)}
OUTPUT: Final = ROOT / "benchmarks" / "BENCHMARKS.md"
TARGET: Final = 1_000_000


def build(messages: int) -> tuple[list[bytes], int]:
    market = xdp.Market(17, SYMBOLS)
    market.open()
    market.run(messages, per_packet=PER_PACKET)
    return market.packets, market.seq - 1


def struct_floor(packets: list[bytes]) -> int:
    header = m.PACKET_HEADER.unpack_from
    msg_header = m.MESSAGE_HEADER.unpack_from
    bodies = {t: layout.body.unpack_from for t, layout in m.LAYOUTS.items()}
    n = 0
    for data in packets:
        count = header(data, 0)[2]
        offset = 16
        for _ in range(count):
            size, msg_type = msg_header(data, offset)
            bodies[msg_type](data, offset + 4)
            offset += size
        n += count
    return n


def feed_replay(packets: list[bytes]) -> int:
    feed = XdpFeed()
    packet = feed.packet
    for i, data in enumerate(packets):
        packet(1, "A", data, i)
        if len(feed.out) > 50_000:
            feed.take()  # a replay hands batches on like this
    feed.take()
    return sum(ch.messages for ch in feed.channels.values())


def best(fn: Callable[[list[bytes]], int], packets: list[bytes], rounds: int) -> float:
    rates = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        n = fn(packets)
        rates.append(n / (time.perf_counter() - t0))
    return max(rates)


def measure(messages: int = MESSAGES, rounds: int = ROUNDS) -> dict[str, float]:
    packets, total = build(messages)
    floor = best(struct_floor, packets, rounds)
    full = best(feed_replay, packets, rounds)
    return {"messages": total, "floor": floor, "feed": full}


def render(r: dict[str, float]) -> str:
    rows = [
        ["struct floor", report.rate(r["floor"]), "1.00"],
        ["decode + book + events", report.rate(r["feed"]), f"{r['feed'] / r['floor']:.2f}"],
    ]
    verdict = (
        "reached"
        if r["feed"] >= TARGET
        else f"not reached in pure Python ({r['feed'] / TARGET:.0%} of it, while the struct "
        f"floor alone runs at {r['floor'] / TARGET:.1f}x the target: the per-message Python work "
        "of the book and the event structs is the cost)"
    )
    return (
        "## NYSE XDP decode + order book (one core)\n\n"
        f"{report.machine()}\n\n"
        f"Written by `benchmarks/nyse_decode.py`: {int(r['messages']):,} messages of a built "
        f"day (8 symbols, {PER_PACKET} messages per packet), best of {ROUNDS}. Floor = unpacking "
        "every header and message body with its `struct` layout; decode + book + events = "
        "`XdpFeed.packet` (arbitration, sequence, order books, Trade/BookDelta events).\n\n"
        + report.table(["stage", "messages/s", "× floor"], rows)
        + f"\nTarget 1,000,000 messages/s decode + book: {verdict}. A compiled hot path is a "
        "separate issue.\n"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="XDP decode + book throughput")
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--quick", action="store_true", help="a small run (tests)")
    parser.add_argument("--output", type=Path, default=OUTPUT, help="markdown file to update")
    args = parser.parse_args(argv)
    result = measure(20_000, 1) if args.quick else measure()
    text = render(result)
    print(text)
    if not args.no_write:
        report.write(args.output, "nyse", text)


if __name__ == "__main__":
    main()
