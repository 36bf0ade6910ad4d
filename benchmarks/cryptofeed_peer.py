"""Peer benchmark: cryptofeed's own Coinbase handler on our Coinbase capture, against our floor.

The crypto replay benchmark is meant to beat the best Python peer; this measures that peer here,
in the same kind of run as ``crypto_replay.py``, instead of quoting a figure from elsewhere.
cryptofeed is not a project dependency (and must stay out of the project venv, tests and
``make bench``), so run it from a throwaway venv, from the repository root:

    python -m venv /tmp/peer
    /tmp/peer/bin/pip install -e . 'cryptofeed==2.4.0'
    /tmp/peer/bin/python benchmarks/cryptofeed_peer.py           # table only
    /tmp/peer/bin/python benchmarks/cryptofeed_peer.py --write   # and BENCHMARKS.md's peer section

Why 2.4.0: the capture (made by cryptofeed itself in 2021) speaks the old
``ws-feed.pro.coinbase.com`` protocol (``snapshot``, ``l2update``, ``match``, ``ticker``), and
2.4.0 is the last release whose Coinbase feed handles it; from 2.4.1 the feed speaks Advanced
Trade (``channel``/``events``) and would ignore every captured frame. Without cryptofeed, or with
a release that cannot read the capture, the script exits with code 2.

What is timed, per run, on fresh state: a ``Coinbase`` feed built for the captured products (its
symbol table filled from the captured ``/products`` body, so no network is touched), then every
captured frame, in order, awaited through ``feed.message_handler(text, conn, receive_time)``.
The trades, ticker and L2 book callbacks are cryptofeed's backend callbacks (``to_dict`` with
floats, delta or full book as its backends write them) writing one ``yapic.json`` line per record,
``{"type": ..., "data": ...}`` like its socket backend, into a buffered file. The floor is the
same as ``crypto_replay.py``'s: ``msgspec.json.decode`` of each frame plus a raw write of it.
Both are timed with its best-of-several, in interleaved rounds, the fastest kept; compare the
ratio to the floor, not absolute figures, across runs.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any, Final, TextIO

import msgspec

import report
from crypto_replay import FIXTURES, MAX_REPEATS, MIN_SECONDS, Stage, best_of, read_frames, timed

try:
    from cryptofeed.backends.backend import BackendBookCallback, BackendCallback
    from cryptofeed.defines import L2_BOOK, TICKER, TRADES
    from cryptofeed.exchanges import Coinbase
    from cryptofeed.symbols import Symbols
    from yapic import json as yapic_json
except ImportError as missing:
    print(
        f"cryptofeed is not installed ({missing}); it is not a project dependency. Run:\n"
        "  python -m venv /tmp/peer && /tmp/peer/bin/pip install -e . 'cryptofeed==2.4.0'\n"
        "  /tmp/peer/bin/python benchmarks/cryptofeed_peer.py",
        file=sys.stderr,
    )
    raise SystemExit(2) from None

HERE: Final = Path(__file__).resolve().parent
OUTPUT: Final = HERE / "BENCHMARKS.md"
CAPTURE: Final = "COINBASE.ws.28.0"
PRODUCTS_BODY: Final = "COINBASE.0"
SUPPORTED: Final = ((2, 3, 0), (2, 4, 0))
"""cryptofeed releases checked to read the capture's ws-feed.pro protocol (2.3.2 and 2.4.0
have the same Coinbase feed, types and backends)."""
ROUNDS: Final = 3
SNAPSHOT_INTERVAL: Final = 1000
"""Deltas per symbol between full books, the default of cryptofeed's book backends."""


def release(text: str) -> tuple[int, ...]:
    """Numeric release tuple of a version string ("2.4.0" → (2, 4, 0))."""
    return tuple(int(part) for part in text.split(".")[:3] if part.isdigit())


def unsupported_reason(installed: str) -> str:
    """Why this cryptofeed cannot replay the capture, or "" when it can."""
    low, high = SUPPORTED
    if low <= release(installed) <= high:
        return ""
    return (
        f"cryptofeed {installed} is installed, outside the releases checked to read the "
        "capture's ws-feed.pro protocol (2.3.0 to 2.4.0): install cryptofeed==2.4.0 (see the "
        "docstring)."
    )


class JsonLines:
    """The write end of a cryptofeed backend: one JSON line per record into a buffered file,
    framed as its socket backend frames records, without the queue and the transport."""

    numeric_type: Callable[[Any], Any] = float
    none_to: Any = None

    def __init__(self, out: TextIO, key: str) -> None:
        self.out = out
        self.key = key
        self.lines = 0

    async def write(self, data: dict[str, Any]) -> None:
        self.out.write(yapic_json.dumps({"type": self.key, "data": data}))
        self.out.write("\n")
        self.lines += 1


class RecordLines(JsonLines, BackendCallback):
    """Trades and tickers: cryptofeed's ``BackendCallback`` (``to_dict``, timestamps)."""


class BookLines(JsonLines, BackendBookCallback):
    """L2 book: cryptofeed's ``BackendBookCallback`` (a delta per update, full books on
    snapshots and every ``SNAPSHOT_INTERVAL`` deltas per symbol)."""

    snapshots_only = False
    snapshot_interval = SNAPSHOT_INTERVAL

    def __init__(self, out: TextIO, key: str) -> None:
        super().__init__(out, key)
        self.snapshot_count: defaultdict[str, int] = defaultdict(int)


def load_symbols(path: Path) -> None:
    """Fill cryptofeed's Coinbase symbol table from the captured ``/products`` body, so building
    the feed makes no REST call (there is no network here, and it would not be timed fairly)."""
    for line in path.read_bytes().splitlines():
        url, sep, rest = line.partition(b" -> ")
        if sep and url.endswith(b"/products"):
            body = msgspec.json.decode(rest.partition(b": ")[2])
            normalized, info = Coinbase._parse_symbol_data(body)
            Symbols.set(Coinbase.id, normalized, info)
            return
    raise ValueError(f"no /products body in {path}")


def subscribed_products(path: Path) -> list[str]:
    """Products the capture's client subscribed to (its ``<url> <- <ts>: <payload>`` lines)."""
    products: dict[str, None] = {}
    for line in path.read_bytes().splitlines():
        _, sep, rest = line.partition(b" <- ")
        if sep:
            message = msgspec.json.decode(rest.partition(b": ")[2])
            products.update(dict.fromkeys(message.get("product_ids", [])))
    return list(products)


@dataclass
class Sinks:
    trades: RecordLines
    ticker: RecordLines
    book: BookLines

    def lines(self) -> dict[str, int]:
        return {s.key: s.lines for s in (self.trades, self.ticker, self.book)}


def make_feed(products: list[str], out: TextIO) -> tuple[Any, Sinks]:
    """A fresh Coinbase feed (empty books) whose callbacks write JSON lines to ``out``."""
    sinks = Sinks(RecordLines(out, "trades"), RecordLines(out, "ticker"), BookLines(out, "book"))
    feed = Coinbase(
        symbols=products,
        channels=[L2_BOOK, TRADES, TICKER],
        callbacks={TRADES: sinks.trades, TICKER: sinks.ticker, L2_BOOK: sinks.book},
    )
    return feed, sinks


async def handle_all(feed: Any, frames: list[tuple[float, str]]) -> None:
    """Every frame through the feed's handler, as its connection handler awaits it (the
    connection argument is only used to resubscribe on a sequence gap of the full channel)."""
    handler = feed.message_handler
    for receive_time, text in frames:
        await handler(text, None, receive_time)


@dataclass
class Result:
    frames: int
    megabytes: float
    floor: Stage
    peer: Stage
    lines: dict[str, int]
    books: int


def measure(fixtures: Path, tmp: Path, repeats: int, min_seconds: float, rounds: int) -> Result:
    """Floor and cryptofeed on the same frames in one process: ``rounds`` rounds of the
    ``crypto_replay.py`` best-of-several each, the fastest round kept. One best-of of the floor
    is under a tenth of a second here, short enough for one burst of a neighbour to spoil it."""
    load_symbols(fixtures / PRODUCTS_BODY)
    products = subscribed_products(fixtures / CAPTURE)
    raw = read_frames(fixtures / CAPTURE)
    texts = [(ns / 1e9, frame.decode()) for ns, frame in raw]  # what a websocket hands over
    decode = msgspec.json.decode
    loop = asyncio.new_event_loop()
    last: dict[str, Any] = {}

    def floor(directory: Path) -> int:
        with (directory / "raw.jsonl").open("wb") as out:
            for _, frame in raw:
                decode(frame)
                out.write(frame)
                out.write(b"\n")
        return 0

    def peer(directory: Path) -> int:
        with (directory / "cryptofeed.jsonl").open("w") as out:
            feed, sinks = make_feed(products, out)
            loop.run_until_complete(handle_all(feed, texts))
        last.update(lines=sinks.lines(), books=len(feed._l2_book))
        return sum(last["lines"].values())

    floors: list[Stage] = []
    peers: list[Stage] = []
    try:
        for _ in range(rounds):  # interleaved, so a noisy second cannot spoil one side only
            floors.append(best_of(timed(floor), tmp, repeats, min_seconds))
            peers.append(best_of(timed(peer), tmp, repeats, min_seconds))
    finally:
        loop.close()
    size = sum(len(frame) for _, frame in raw) / 1e6
    fastest = min(floors, key=lambda s: s.seconds), min(peers, key=lambda s: s.seconds)
    return Result(len(raw), size, *fastest, last["lines"], last["books"])


def render(result: Result, installed: str, repeats: int) -> str:
    """The peer section: machine line, what was measured, the table."""
    floor_fps = result.frames / result.floor.seconds
    rows = []
    for name, stage in (("floor", result.floor), (f"cryptofeed {installed}", result.peer)):
        fps = result.frames / stage.seconds
        rows.append(
            [
                name,
                f"{result.frames:,}",
                f"{result.megabytes:.2f}",
                report.rate(fps),
                f"{result.megabytes / stage.seconds:,.1f}",
                f"{fps / floor_fps:.3f}",
            ]
        )
    lines = ", ".join(f"{count:,} {key}" for key, count in result.lines.items())
    return (
        "## Peer: cryptofeed on the Coinbase capture (one core)\n\n"
        f"{report.machine()} · cryptofeed {installed}\n\n"
        "Written by `benchmarks/cryptofeed_peer.py` (cryptofeed is not a dependency; see its "
        f"docstring). Every frame of `{CAPTURE}`, in order, goes through cryptofeed's own "
        "Coinbase feed, `await feed.message_handler(text, conn, receive_time)`, with the feed "
        "built for the captured products and no network (symbols from the captured "
        "`/products` body); its level2 `snapshot`/`l2update` keep its books, `match` and "
        "`ticker` make trades and tickers. The trades, ticker and L2 book callbacks are "
        "cryptofeed's backend callbacks (`to_dict` with floats; a delta per book update, full "
        f"books on snapshots and every {SNAPSHOT_INTERVAL:,} deltas per symbol) writing one "
        "`yapic.json` line per record into a buffered file. No raw frames are written, unlike "
        "our end to end. Floor = `msgspec.json.decode` of each frame + a raw write, as in "
        f"`crypto_replay.py`. Best of up to {repeats} runs each, floor and cryptofeed "
        "interleaved; compare the × floor column with the crypto section's.\n\n"
        + report.table(["stage", "frames", "MB", "frames/s", "MB/s", "× floor"], rows)
        + f"\n- cryptofeed wrote {lines} lines; {result.books} books kept.\n"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--write", action="store_true", help="update BENCHMARKS.md's peer section")
    parser.add_argument("--quick", action="store_true", help="one run each")
    parser.add_argument("--output", type=Path, default=OUTPUT, help="markdown file to update")
    parser.add_argument("--fixtures", type=Path, default=FIXTURES)
    args = parser.parse_args(argv)
    installed = version("cryptofeed")
    if reason := unsupported_reason(installed):
        print(reason, file=sys.stderr)
        return 2
    if not (args.fixtures / CAPTURE).is_file():
        print(f"capture not found at {args.fixtures / CAPTURE}", file=sys.stderr)
        return 1
    repeats, min_seconds, rounds = (1, 0.0, 1) if args.quick else (MAX_REPEATS, MIN_SECONDS, ROUNDS)
    with tempfile.TemporaryDirectory(prefix="mdc-peer-bench-") as tmp:
        result = measure(args.fixtures, Path(tmp), repeats, min_seconds, rounds)
    text = render(result, installed, repeats * rounds)
    print(text)
    if args.write:
        report.write(args.output, "peer", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
