"""XDP Integrated decode + order book throughput (messages/s) against a ``struct``-only floor.

Packets come from the tests' spec-offset builder (``tests/support/xdp.py``): a seeded day of
adds, modifies, deletes, replaces, executions and non-displayed trades over 8 symbols, 20
messages per packet. Stages, each best of ``ROUNDS`` on the same packets in one run:

- ``struct floor``: walk every packet and message header and unpack every message body with its
  layout's ``struct`` (what any pure-Python decoder must at least do);
- ``numpy decode``: the vectorised alternative the issue suggests for file replays — every
  packet's message headers walked with numpy (one step per message position across all
  packets) and the bodies of the five book message types gathered into structured dtypes and
  turned into Python tuples for a book loop. Measured to decide whether it pays (it does not
  here: gathering 25–42-byte messages at arbitrary offsets costs more than ``struct``);
- ``decode + book``: ``XdpFeed.packet`` with the L2 event construction switched off — what
  arbitration, sequencing, dispatch and the order books cost alone;
- ``decode + book + events``: ``XdpFeed.packet`` — arbitration, sequence, books, and the
  ``Trade``/``BookDelta`` events a replay writes (the ``mdc import nyse-xdp`` path, before the
  store).

    python benchmarks/nyse_decode.py            # prints the table, updates BENCHMARKS.md
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Final

import numpy as np

import report

ROOT: Final = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support import xdp  # noqa: E402

from mdc.providers.nyse import messages as m  # noqa: E402
from mdc.providers.nyse.book import Level  # noqa: E402
from mdc.providers.nyse.parse import Symbol, XdpFeed  # noqa: E402

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


def numpy_decode(packets: list[bytes]) -> int:
    """Vectorised header walk + structured-dtype bodies of the book messages, as tuples."""
    lengths = np.fromiter(map(len, packets), np.int64, len(packets))
    starts = np.zeros(len(packets), np.int64)
    np.cumsum(lengths[:-1], out=starts[1:])
    buf = np.frombuffer(b"".join(packets), np.uint8)
    counts = buf[starts + 3].astype(np.int64)
    cursor = starts + m.PACKET_HEADER_SIZE
    found = []
    live = np.arange(len(packets))
    for k in range(int(counts.max(initial=0))):
        live = live[counts[live] > k]
        at = cursor[live]
        found.append(at)
        cursor[live] = at + (buf[at].astype(np.int64) | (buf[at + 1].astype(np.int64) << 8))
    offsets = np.sort(np.concatenate(found))  # packets are contiguous: file order
    types = buf[offsets + 2].astype(np.int64) | (buf[offsets + 3].astype(np.int64) << 8)
    n = 0
    for msg_type, dtype in DTYPES.items():
        body = offsets[types == msg_type] + m.MESSAGE_HEADER_SIZE
        gathered = buf[body[:, None] + np.arange(dtype.itemsize)]
        n += len(np.ascontiguousarray(gathered).view(dtype).reshape(-1).tolist())
    return n + int(np.count_nonzero(~np.isin(types, list(DTYPES))))


def _dtype(layout: m.Layout) -> np.dtype[np.void]:
    codes = {"I": "<u4", "Q": "<u8", "B": "u1", "c": "S1"}
    formats = []
    for count, code in re.findall(r"(\d*)([a-zA-Z])", layout.body.format.lstrip("<")):
        formats += [f"S{count}"] if code == "s" else [codes[code]] * int(count or 1)
    return np.dtype({"names": list(layout.fields), "formats": formats})


DTYPES: Final = {t: _dtype(m.LAYOUTS[t]) for t in (100, 101, 102, 103, 104)}


class _BooksOnly(XdpFeed):
    def _levels(self, sym: Symbol, ts: int, changes: Iterable[Level]) -> None:
        """No L2 events: the books are still kept."""


def book_replay(packets: list[bytes]) -> int:
    return feed_replay(packets, _BooksOnly())


def feed_replay(packets: list[bytes], feed: XdpFeed | None = None) -> int:
    feed = feed if feed is not None else XdpFeed()
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
    assert numpy_decode(packets) == struct_floor(packets) == total
    floor = best(struct_floor, packets, rounds)
    vectorised = best(numpy_decode, packets, rounds)
    books = best(book_replay, packets, rounds)
    full = best(feed_replay, packets, rounds)
    return {"messages": total, "floor": floor, "numpy": vectorised, "books": books, "feed": full}


def render(r: dict[str, float]) -> str:
    rows = [
        [name, report.rate(r[key]), f"{r[key] / r['floor']:.2f}"]
        for name, key in (
            ("struct floor", "floor"),
            ("numpy decode (vectorised, no book)", "numpy"),
            ("decode + book (no L2 events)", "books"),
            ("decode + book + events", "feed"),
        )
    ]
    verdict = (
        "reached"
        if r["feed"] >= TARGET
        else f"not reached in pure Python ({r['feed'] / TARGET:.0%} of it with events, "
        f"{r['books'] / TARGET:.0%} for the books alone, while the struct floor runs at "
        f"{r['floor'] / TARGET:.1f}x the target). The per-message Python work — dispatch, the "
        "order-by-order book, sequence state — is the cost, not decoding: the L2 event structs "
        f"take {1 - r['feed'] / r['books']:.0%} of the time, and decoding with numpy is "
        f"{r['floor'] / r['numpy']:.1f}x *slower* than `struct` for these short messages at "
        "arbitrary offsets, so a vectorised decode cannot close the gap either"
    )
    return (
        "## NYSE XDP decode + order book (one core)\n\n"
        f"{report.machine()}\n\n"
        f"Written by `benchmarks/nyse_decode.py`: {int(r['messages']):,} messages of a built "
        f"day (8 symbols, {PER_PACKET} messages per packet), best of {ROUNDS}. Floor = unpacking "
        "every header and message body with its `struct` layout; numpy decode = the vectorised "
        "header walk and structured-dtype book bodies; decode + book = `XdpFeed.packet` without "
        "building L2 events; decode + book + events = `XdpFeed.packet` (arbitration, sequence, "
        "order books, Trade/BookDelta events).\n\n"
        + report.table(["stage", "messages/s", "× floor"], rows)
        + f"\nTarget 1,000,000 messages/s decode + book: {verdict}. Reaching it needs the "
        "compiled hot path (issue #21).\n"
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
