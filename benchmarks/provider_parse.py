"""Parse throughput of provider frames (events/s) next to the decode-only floor, in one run.

Frames are built in the documented wire formats (Alpaca JSON and msgpack, Polygon JSON): a
realistic mix of 70 % quotes and 30 % trades, ``MESSAGES_PER_FRAME`` messages per frame as the
servers batch them. ``parse`` is the provider's full path (``WireProtocol.parse``: decode into
typed structs and map into events); ``decode`` is the floor: the same typed decode alone.

    python benchmarks/provider_parse.py            # prints the table, updates BENCHMARKS.md
"""

from __future__ import annotations

import argparse
import random
import struct
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

import msgspec

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


def frames() -> dict[str, list[str | bytes]]:
    """The benchmark input per format, deterministic by ``SEED``."""
    rng = random.Random(SEED)
    out: dict[str, list[str | bytes]] = {"alpaca-json": [], "alpaca-msgpack": [], "polygon": []}
    step = MESSAGES_PER_FRAME * 200_000
    for n in range(FRAMES):
        ts = START_NS + n * step
        out["alpaca-json"].append(msgspec.json.encode(alpaca_messages(rng, ts, False)).decode())
        out["alpaca-msgpack"].append(msgspec.msgpack.encode(alpaca_messages(rng, ts, True)))
        out["polygon"].append(
            msgspec.json.encode(polygon_messages(rng, ts, n * MESSAGES_PER_FRAME)).decode()
        )
    return out


def _rate(fn: Callable[[str | bytes], object], data: list[str | bytes], events: int) -> float:
    """Best of ``ROUNDS``: events per second through ``fn`` over all frames."""
    best = float("inf")
    for _ in range(ROUNDS):
        start = time.perf_counter()
        for frame in data:
            fn(frame)
        best = min(best, time.perf_counter() - start)
    return events / best


def measure() -> dict[str, dict[str, float]]:
    """Per format: ``parse`` and ``decode`` events/s and their ratio (parse / decode)."""
    inputs = frames()
    alpaca_parser = alpaca.AlpacaParser("SIP")
    polygon_parser = polygon.PolygonParser()
    paths: dict[str, tuple[Callable[[str | bytes], object], Callable[[str | bytes], object]]] = {
        "alpaca-json": (lambda f: alpaca_parser.parse(f, 0), alpaca.decode_frame),
        "alpaca-msgpack": (lambda f: alpaca_parser.parse(f, 0), alpaca.decode_frame),
        "polygon": (lambda f: polygon_parser.parse(f, 0), polygon.decode_frame),
    }
    results: dict[str, dict[str, float]] = {}
    for name, (parse, decode) in paths.items():
        data = inputs[name]
        events = sum(
            len(alpaca_parser.parse(f, 0))
            if name.startswith("alpaca")
            else len(polygon_parser.parse(f, 0))
            for f in data
        )
        assert events == FRAMES * MESSAGES_PER_FRAME, (name, events)
        parse_rate = _rate(parse, data, events)
        decode_rate = _rate(decode, data, events)
        results[name] = {
            "parse_events_per_s": round(parse_rate),
            "decode_events_per_s": round(decode_rate),
            "parse_over_decode": round(parse_rate / decode_rate, 3),
        }
    return results


def render(results: dict[str, dict[str, float]]) -> str:
    rows = [
        [
            name,
            report.rate(row["parse_events_per_s"]),
            report.rate(row["decode_events_per_s"]),
            f"{row['parse_over_decode']:.2f}",
        ]
        for name, row in results.items()
    ]
    return (
        "## Provider parse (Alpaca and Polygon wire formats, one core)\n\n"
        f"{report.machine()}\n\n"
        f"Written by `benchmarks/provider_parse.py`: {FRAMES} generated frames of "
        f"{MESSAGES_PER_FRAME} messages (70% quotes) in each provider's documented format, "
        f"best of {ROUNDS}. Floor = decoding the frames into the provider's typed messages; "
        "parse = the provider's parser (frames → events).\n\n"
        + report.table(["format", "parse events/s", "decode (floor) events/s", "× floor"], rows)
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Alpaca/Polygon parse throughput")
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--output", type=Path, default=OUTPUT, help="markdown file to update")
    args = parser.parse_args(argv)
    text = render(measure())
    print(text)
    if not args.no_write:
        report.write(args.output, "providers", text)


if __name__ == "__main__":
    main()
