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
- ``decode + book``: ``XdpFeed.packet`` with ``book_events=False`` (no L2 events) — what
  arbitration, sequencing, dispatch and the order books cost alone;
- ``decode + book + events``: ``XdpFeed.packet`` — arbitration, sequence, books, and the
  ``Trade``/``BookDelta`` events a replay writes (the ``mdc import nyse-xdp`` path, before the
  store).

The last two run twice: on the Python reference (``compiled=False``) and on the compiled message
loop (``kernel.pyx``). ``--callgrind`` adds instructions per message of the floor and of both
paths (valgrind, a setup-only child subtracted: independent of the machine's load);
``--import`` adds the end-to-end ``mdc import nyse-xdp`` rate of a pcap on both paths.

    python benchmarks/nyse_decode.py --callgrind --import   # the table; updates BENCHMARKS.md
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Final

import numpy as np

import callgrind
import report

ROOT: Final = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support import xdp  # noqa: E402

from mdc.providers.nyse import messages as m  # noqa: E402
from mdc.providers.nyse.parse import KERNEL, XdpFeed  # noqa: E402

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


def feed_replay(packets: list[bytes], feed: XdpFeed) -> int:
    packet = feed.packet
    for i, data in enumerate(packets):
        packet(1, "A", data, i)
        if len(feed.out) > 50_000:
            feed.take()  # a replay hands batches on like this
    feed.take()
    return sum(ch.messages for ch in feed.channels.values())


def _feed(compiled: bool, events: bool) -> Callable[[list[bytes]], int]:
    def run(packets: list[bytes]) -> int:
        return feed_replay(packets, XdpFeed(book_events=events, compiled=compiled))

    return run


STAGES: Final[dict[str, tuple[str, Callable[[list[bytes]], int]]]] = {
    "floor": ("struct floor", struct_floor),
    "numpy": ("numpy decode (vectorised, no book)", numpy_decode),
    "books": ("Python: decode + book (no L2 events)", _feed(False, False)),
    "feed": ("Python: decode + book + events", _feed(False, True)),
    "kernel_books": ("kernel: decode + book (no L2 events)", _feed(True, False)),
    "kernel_feed": ("kernel: decode + book + events", _feed(True, True)),
}
CALLGRIND_STAGES: Final = ("floor", "books", "kernel_books", "feed", "kernel_feed")
CALLGRIND_MESSAGES: Final = 10_000
CALLGRIND_JOBS: Final = 5


def best(fn: Callable[[list[bytes]], int], packets: list[bytes], rounds: int) -> float:
    rates = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        n = fn(packets)
        rates.append(n / (time.perf_counter() - t0))
    return max(rates)


def measure(messages: int = MESSAGES, rounds: int = ROUNDS) -> dict[str, float]:
    """Best rate of every stage, stages interleaved round by round (the load moves)."""
    if KERNEL is None:
        raise SystemExit("the NYSE kernel is not built: pip install -e . (or make native)")
    packets, total = build(messages)
    assert numpy_decode(packets) == struct_floor(packets) == total
    rates: dict[str, float] = {key: 0.0 for key in STAGES}
    for _ in range(rounds):
        for key, (_label, fn) in STAGES.items():
            rates[key] = max(rates[key], best(fn, packets, 1))
    return {"messages": total, **rates}


def child(stage: str, messages: int, run_stage: bool) -> None:
    """One stage (or only its setup: the callgrind baseline), for ``--callgrind``."""
    packets, total = build(messages)
    fn = STAGES[stage][1]
    if run_stage:
        assert fn(packets) == total


def instructions(messages: int = CALLGRIND_MESSAGES) -> dict[str, float]:
    """Instructions per message of each stage: a child running the stage minus one running
    only the setup, both under ``valgrind --tool=callgrind`` (the children run side by side:
    instruction counts do not depend on what else the machine does)."""
    with tempfile.TemporaryDirectory() as td:

        def count(job: tuple[str, bool]) -> int:
            stage, run_stage = job
            dump = Path(td) / f"{stage}-{run_stage}.out"
            cmd = [
                *callgrind.command(dump),
                sys.executable, __file__, "--child", stage, "--messages", str(messages),
            ]  # fmt: skip
            if not run_stage:
                cmd.append("--setup-only")
            env = {**os.environ, "PYTHONHASHSEED": "0"}
            subprocess.run(cmd, env=env, check=True, capture_output=True)
            return callgrind.total(dump)

        jobs = [(stage, run) for stage in CALLGRIND_STAGES for run in (True, False)]
        with ThreadPoolExecutor(max_workers=CALLGRIND_JOBS) as pool:
            counts = dict(zip(jobs, pool.map(count, jobs), strict=True))
    return {
        stage: (counts[stage, True] - counts[stage, False]) / messages for stage in CALLGRIND_STAGES
    }


def import_rates(messages: int = MESSAGES, rounds: int = 2) -> dict[str, float]:
    """End to end ``mdc import nyse-xdp`` (pcap with A and B lines → the archive), messages
    per second of wall time, on the kernel and on the Python path (``MDC_PURE_PYTHON=1``)."""
    market = xdp.Market(17, SYMBOLS)
    market.open()
    market.run(messages, per_packet=PER_PACKET)
    total = market.seq - 1
    best_s = {"kernel": float("inf"), "python": float("inf")}
    with tempfile.TemporaryDirectory() as td:
        base = Path(td)
        pcap = base / "day.pcap"
        frames = []
        for i, data in enumerate(market.packets):
            ts = 1_764_000_000_000_000_000 + i * 1000
            frames += [(ts, "239.10.1.1", 41001, data), (ts + 300, "239.10.2.1", 41001, data)]
        xdp.write_pcap(pcap, frames)
        mdc = Path(sys.executable).with_name("mdc")
        for n in range(rounds):
            for path, pure in (("kernel", ""), ("python", "1")):
                root = base / f"data-{path}-{n}"
                cfg = base / f"{path}-{n}.toml"
                cfg.write_text(
                    f'[storage]\nroot = "{root}"\n[providers.nyse]\n'
                    'channels = [{id = 1, lines = ["239.10.1.1:41001", "239.10.2.1:41001"]}]\n'
                )
                env = {k: v for k, v in os.environ.items() if k != "MDC_PURE_PYTHON"}
                if pure:
                    env["MDC_PURE_PYTHON"] = pure
                t0 = time.perf_counter()
                done = subprocess.run(
                    [str(mdc), "import", "nyse-xdp", str(pcap), "-c", str(cfg), "--json"],
                    env=env, capture_output=True, text=True, check=False,
                )  # fmt: skip
                if done.returncode != 0:
                    raise RuntimeError(f"mdc import nyse-xdp failed:\n{done.stderr[-3000:]}")
                best_s[path] = min(best_s[path], time.perf_counter() - t0)
    rates = {f"import_{k}": total / v for k, v in best_s.items()}
    return {"import_messages": total, "import_rounds": rounds, **rates}


def render(r: dict[str, float], ir: dict[str, float], imports: dict[str, float]) -> str:
    rows = [
        [label, report.rate(r[key]), f"{r[key] / r['floor']:.2f}"]
        for key, (label, _fn) in STAGES.items()
    ]
    met = r["kernel_books"] >= TARGET
    verdict = (
        f"**{'met' if met else 'not met'}** by the kernel: {r['kernel_books']:,.0f} messages/s "
        f"decode + book ({r['kernel_books'] / TARGET:.0%} of the target, "
        f"{r['kernel_books'] / r['books']:.1f}x the Python path), "
        f"{r['kernel_feed']:,.0f} with the L2 events ({r['kernel_feed'] / TARGET:.0%}; "
        f"{r['kernel_feed'] / r['feed']:.1f}x Python). The Python path stays at "
        f"{r['books']:,.0f} / {r['feed']:,.0f}. Measured against the floor, the kernel's "
        f"decode + book reaches 1,000,000 messages/s wherever the struct floor runs at "
        f"{TARGET * r['floor'] / r['kernel_books']:,.0f} or more (this run's floor: "
        f"{r['floor']:,.0f})"
    )
    ir_rows = [
        [STAGES[key][0], f"{ir[key]:,.0f}", f"{ir[key] / ir['floor']:.2f}"]
        for key in CALLGRIND_STAGES
        if ir
    ]
    ir_text = (
        f"Instructions per message (`valgrind --tool=callgrind`, {CALLGRIND_MESSAGES:,} "
        "messages, a setup-only run subtracted; not subject to the machine's load):\n\n"
        + report.table(["stage", "instructions/message", "× floor"], ir_rows)
        + f"\nThe kernel runs decode + book in {ir['kernel_books'] / ir['books']:.0%} of the "
        f"Python path's instructions and decode + book + events in "
        f"{ir['kernel_feed'] / ir['feed']:.0%}.\n"
        if ir
        else ""
    )
    import_text = (
        f"End to end, `mdc import nyse-xdp` of a capture of the same kind "
        f"({int(imports['import_messages']):,} messages, each packet on lines A and B, into "
        f"the archive; best of {int(imports['import_rounds'])}, wall time of the whole "
        "command): "
        f"{imports['import_kernel']:,.0f} messages/s on the kernel, "
        f"{imports['import_python']:,.0f} with `MDC_PURE_PYTHON=1` "
        f"({imports['import_kernel'] / imports['import_python']:.2f}x): there the pcap reader, "
        "the events' serialisation and the store take most of the time.\n"
        if imports
        else ""
    )
    return (
        "## NYSE XDP decode + order book (one core)\n\n"
        f"{report.machine()}\n\n"
        f"Written by `benchmarks/nyse_decode.py`: {int(r['messages']):,} messages of a built "
        f"day (8 symbols, {PER_PACKET} messages per packet), best of {ROUNDS} (stages "
        "interleaved). Floor = unpacking every header and message body with its `struct` "
        "layout; numpy decode = the vectorised header walk and structured-dtype book bodies; "
        "decode + book = `XdpFeed.packet` with `book_events=False` (arbitration, sequence, "
        "order books; no L2 events); decode + book + events = `XdpFeed.packet` (the Trade/"
        "BookDelta events a replay writes). Python = `XdpFeed(compiled=False)`, the reference; "
        "kernel = the compiled message loop (`providers/nyse/kernel.pyx`).\n\n"
        + report.table(["stage", "messages/s", "× floor"], rows)
        + f"\nTarget 1,000,000 messages/s decode + book on one core: {verdict}.\n\n"
        + ir_text
        + ("\n" if ir_text and import_text else "")
        + import_text
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="XDP decode + book throughput")
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--quick", action="store_true", help="a small run (tests)")
    parser.add_argument("--output", type=Path, default=OUTPUT, help="markdown file to update")
    parser.add_argument("--callgrind", action="store_true", help="add instructions/message")
    parser.add_argument("--import", dest="imports", action="store_true", help="add mdc import")
    parser.add_argument("--child", choices=list(STAGES), help=argparse.SUPPRESS)
    parser.add_argument("--messages", type=int, default=MESSAGES, help=argparse.SUPPRESS)
    parser.add_argument("--setup-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.messages, not args.setup_only)
        return
    result = measure(20_000, 1) if args.quick else measure()
    ir = instructions() if args.callgrind else {}
    imports = (import_rates(20_000, 1) if args.quick else import_rates()) if args.imports else {}
    text = render(result, ir, imports)
    print(text)
    if not args.no_write:
        report.write(args.output, "nyse", text)


if __name__ == "__main__":
    main()
