"""Parse throughput of provider frames (events/s) next to the decode-only floor, in one run.

Frames are built in the documented wire formats (Alpaca JSON and msgpack, Polygon JSON): a
realistic mix of 70 % quotes and 30 % trades, ``MESSAGES_PER_FRAME`` messages per frame as the
servers batch them. ``decode`` is the floor: the typed decode alone; ``python`` is the
provider's parser with its Python mapping (``compiled=False``, the reference and the fallback);
``kernel`` the same parser with its compiled kernel (``providers/*/kernel.pyx``), when built.
Paths are measured interleaved, best of ``ROUNDS``. ``--callgrind`` adds valgrind instruction
counts per event: a child doing only the setup is subtracted from one that also runs the path.

    python benchmarks/provider_parse.py --callgrind   # prints the table, updates BENCHMARKS.md
"""

from __future__ import annotations

import argparse
import os
import random
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Final

import msgspec

import callgrind
import report
from mdc.domain.rfc3339 import rfc3339_ns
from mdc.providers.alpaca import parse as alpaca
from mdc.providers.polygon import parse as polygon

MESSAGES_PER_FRAME: Final = 50
FRAMES: Final = 400
ROUNDS: Final = 5
SEED: Final = 7
SYMBOLS: Final = ("AAPL", "MSFT", "SPY", "NVDA", "AMZN", "TSLA", "META", "GOOGL")
START_NS: Final = rfc3339_ns("2024-03-12T14:30:00Z")
OUTPUT: Final = Path(__file__).resolve().parent / "BENCHMARKS.md"
FORMATS: Final = ("alpaca-json", "alpaca-msgpack", "polygon")
PATHS: Final = ("decode", "python", "kernel")
LABELS: Final = {
    "decode": "decode (floor)",
    "python": "parse, Python reference",
    "kernel": "parse, compiled kernel",
}
CALLGRIND_FRAMES: Final = 100


def _iso(ns: int) -> str:
    seconds, nanos = divmod(ns, 1_000_000_000)
    base = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
    return f"{base}.{nanos:09d}Z"


def _stamp(ns: int) -> msgspec.msgpack.Ext:
    seconds, nanos = divmod(ns, 1_000_000_000)
    return msgspec.msgpack.Ext(-1, struct.pack(">Iq", nanos, seconds))


def alpaca_messages(rng: random.Random, ts: int, binary: bool) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for i in range(MESSAGES_PER_FRAME):
        ts += rng.randrange(1_000, 200_000)
        t: Any = _stamp(ts) if binary else _iso(ts)
        sym = rng.choice(SYMBOLS)
        price = round(100 + rng.random() * 50, 2)
        if rng.random() < 0.7:
            out.append(
                {
                    "T": "q",
                    "S": sym,
                    "bx": "V",
                    "bp": price,
                    "bs": rng.randrange(1, 9),
                    "ax": "Q",
                    "ap": round(price + 0.01, 2),
                    "as": rng.randrange(1, 9),
                    "c": ["R"],
                    "z": "C",
                    "t": t,
                }
            )
        else:
            out.append(
                {
                    "T": "t",
                    "S": sym,
                    "i": i,
                    "x": "V",
                    "p": price,
                    "s": rng.randrange(1, 500),
                    "c": ["@", "I"],
                    "z": "C",
                    "t": t,
                }
            )
    return out


def polygon_messages(rng: random.Random, ts: int, seq: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for i in range(MESSAGES_PER_FRAME):
        ts += rng.randrange(1_000, 200_000)
        sym = rng.choice(SYMBOLS)
        price = round(100 + rng.random() * 50, 2)
        q = seq + i
        if rng.random() < 0.7:
            out.append(
                {
                    "ev": "Q",
                    "sym": sym,
                    "bx": 11,
                    "bp": price,
                    "bs": rng.randrange(1, 9),
                    "ax": 12,
                    "ap": round(price + 0.01, 2),
                    "as": rng.randrange(1, 9),
                    "c": 1,
                    "i": [604],
                    "t": ts // 1_000_000,
                    "q": q,
                    "z": 3,
                }
            )
        else:
            out.append(
                {
                    "ev": "T",
                    "sym": sym,
                    "x": 4,
                    "i": str(q),
                    "z": 3,
                    "p": price,
                    "s": rng.randrange(1, 500),
                    "c": [14, 41],
                    "t": ts // 1_000_000,
                    "q": q,
                }
            )
    return out


def frames(count: int = FRAMES) -> dict[str, list[str | bytes]]:
    """The benchmark input per format, deterministic by ``SEED``."""
    rng = random.Random(SEED)
    out: dict[str, list[str | bytes]] = {name: [] for name in FORMATS}
    step = MESSAGES_PER_FRAME * 200_000
    for n in range(count):
        ts = START_NS + n * step
        out["alpaca-json"].append(msgspec.json.encode(alpaca_messages(rng, ts, False)).decode())
        out["alpaca-msgpack"].append(msgspec.msgpack.encode(alpaca_messages(rng, ts, True)))
        out["polygon"].append(
            msgspec.json.encode(polygon_messages(rng, ts, n * MESSAGES_PER_FRAME)).decode()
        )
    return out


Fn = Callable[[str | bytes], Any]


def paths(name: str) -> dict[str, Fn]:
    """The decode floor and the parse paths of format ``name`` (no kernel path if unbuilt)."""
    if name.startswith("alpaca"):
        a_ref, a_fast = alpaca.AlpacaParser("SIP", compiled=False), alpaca.AlpacaParser("SIP")
        out: dict[str, Fn] = {"decode": alpaca.decode_frame}
        ref, fast, built = a_ref.parse, a_fast.parse, a_fast._kernel is not None
    else:
        p_ref, p_fast = polygon.PolygonParser(compiled=False), polygon.PolygonParser()
        out = {"decode": polygon.decode_frame}
        ref, fast, built = p_ref.parse, p_fast.parse, p_fast._kernel is not None
    out["python"] = lambda f: ref(f, 0)
    if built:
        out["kernel"] = lambda f: fast(f, 0)
    return out


def measure() -> dict[str, dict[str, float]]:
    """Per format and path: events/s (best of ``ROUNDS``, paths interleaved)."""
    inputs = frames()
    results: dict[str, dict[str, float]] = {}
    for name in FORMATS:
        data, fns = inputs[name], paths(name)
        for path, fn in fns.items():
            if path != "decode":
                events = sum(len(fn(f)) for f in data)
                assert events == FRAMES * MESSAGES_PER_FRAME, (name, path, events)
        best = dict.fromkeys(fns, float("inf"))
        for _ in range(ROUNDS):
            for path, fn in fns.items():
                start = time.perf_counter()
                for frame in data:
                    fn(frame)
                best[path] = min(best[path], time.perf_counter() - start)
        results[name] = {path: FRAMES * MESSAGES_PER_FRAME / s for path, s in best.items()}
    return results


def child(name: str, path: str, run: bool) -> None:
    """Callgrind child: build the input and the path, then (if ``run``) parse every frame."""
    data = frames(CALLGRIND_FRAMES)[name]
    fn = paths(name)[path]
    fn(data[0])
    if run:
        for frame in data:
            fn(frame)


def instructions(formats: dict[str, list[str]]) -> dict[str, dict[str, float]]:
    """Instructions per event of each format's paths: a full child minus the format's
    setup-only child (the same setup for every path), children run two at a time."""
    events = CALLGRIND_FRAMES * MESSAGES_PER_FRAME
    jobs = [(name, path) for name, paths_ in formats.items() for path in (*paths_, "setup")]
    with tempfile.TemporaryDirectory() as td, ThreadPoolExecutor(2) as pool:
        counts = pool.map(lambda job: _callgrind(job[0], job[1], Path(td)), jobs)
        totals = dict(zip(jobs, counts, strict=True))
    return {
        name: {path: (totals[name, path] - totals[name, "setup"]) / events for path in paths_}
        for name, paths_ in formats.items()
    }


def _callgrind(name: str, path: str, tmp: Path) -> int:
    out = tmp / f"{name}.{path}.out"
    cmd = [*callgrind.command(out), sys.executable, __file__]
    cmd += ["--child", name, "decode" if path == "setup" else path]
    cmd += ["--setup-only"] if path == "setup" else []
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    subprocess.run(cmd, env=env, capture_output=True, check=True)
    return callgrind.total(out)


def render(results: dict[str, dict[str, float]], ir: dict[str, dict[str, float]]) -> str:
    rows = []
    for name, rates in results.items():
        for path in PATHS:
            if path in rates:
                row = [name, LABELS[path], report.rate(rates[path])]
                row.append(f"{rates[path] / rates['decode']:.2f}")
                if ir:
                    row.append(f"{ir[name][path]:,.0f}")
                rows.append(row)
    header = ["format", "path", "events/s", "× floor"] + (["instructions/event"] if ir else [])
    note = (
        f" Instructions: valgrind callgrind, {CALLGRIND_FRAMES} frames, a setup-only run "
        "subtracted; the decode row is part of both parse rows."
        if ir
        else ""
    )
    return (
        "## Provider parse (Alpaca and Polygon wire formats, one core)\n\n"
        f"{report.machine()}\n\n"
        f"Written by `benchmarks/provider_parse.py`: {FRAMES} generated frames of "
        f"{MESSAGES_PER_FRAME} messages (70% quotes) in each provider's documented format, "
        f"best of {ROUNDS}, paths interleaved. Floor = decoding the frames into the provider's "
        "typed messages; parse = the provider's parser (frames → events), with its Python "
        "mapping (the reference and fallback) and with its compiled kernel."
        + note
        + "\n\n"
        + report.table(header, rows)
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Alpaca/Polygon parse throughput")
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--output", type=Path, default=OUTPUT, help="markdown file to update")
    parser.add_argument("--callgrind", action="store_true", help="add instruction counts")
    parser.add_argument("--child", nargs=2, metavar=("FORMAT", "PATH"), help=argparse.SUPPRESS)
    parser.add_argument("--setup-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        name, path = args.child
        child(name, path, not args.setup_only)
        return
    results = measure()
    formats = {name: list(rates) for name, rates in results.items()}
    ir = instructions(formats) if args.callgrind else {}
    text = render(results, ir)
    print(text)
    if not args.no_write:
        report.write(args.output, "providers", text)


if __name__ == "__main__":
    main()
