"""Crypto capture replay: frames/s, events/s and MB/s per venue, end to end, against a floor.

    python benchmarks/crypto_replay.py             # table to stdout and benchmarks/BENCHMARKS.md
    python benchmarks/crypto_replay.py --no-write  # table only
    python benchmarks/crypto_replay.py --quick --output /tmp/b.md   # one run per stage

Each real capture in ``shared/fixtures/crypto`` (Coinbase, Binance, Kraken) is replayed through
the provider's real ``WireProtocol.parse`` (book sync and checksums included; Binance gets its
captured REST depth snapshots when its sync asks for them), then ``Collectors.process`` and
``store.append`` of ``mdc.storage.open_store`` in batches, plus ``store.write_raw`` of every
frame — what ``mdc collect`` does with a frame, minus the socket. The floor, measured in the same
run on the same frames, is ``msgspec.json.decode`` of each frame plus a raw write of it.
Intermediate stages (parse alone, parse + collectors) show where the time goes. Each stage is
the best of several runs, each on fresh state (a new parser, collectors and store).
"""

from __future__ import annotations

import argparse
import gc
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final
from urllib.parse import parse_qs, urlsplit

import msgspec

import mdc.storage
import report
from mdc.collectors.chain import Collectors
from mdc.config.schema import StorageConfig, SymbolConfig
from mdc.domain.events import Event
from mdc.providers.binance import SPEC as BINANCE
from mdc.providers.binance.config import BinanceConfig
from mdc.providers.binance.stream import BinanceProtocol
from mdc.providers.coinbase import SPEC as COINBASE
from mdc.providers.coinbase.config import CoinbaseConfig
from mdc.providers.coinbase.stream import CoinbaseProtocol
from mdc.providers.connection import WireProtocol
from mdc.providers.kraken import SPEC as KRAKEN
from mdc.providers.kraken.config import KrakenConfig
from mdc.providers.kraken.stream import KrakenProtocol

HERE: Final = Path(__file__).resolve().parent
FIXTURES: Final = HERE.parent.parent / "shared" / "fixtures" / "crypto"
OUTPUT: Final = HERE / "BENCHMARKS.md"
BATCH_EVENTS: Final = 8192
"""Events handed to the collectors and the store at once (the runtime merges queued frames)."""
TARGET: Final = 0.5
"""End to end should reach this fraction of the floor's frames/s."""
MIN_SECONDS: Final = 1.0
MAX_REPEATS: Final = 7


COINBASE_PRODUCTS: Final = (
    "SKL-USD", "SKL-BTC", "BAND-GBP", "NMR-EUR", "BAND-BTC",
    "YFI-BTC", "DASH-BTC", "NU-GBP", "CRV-EUR", "SKL-GBP",
)  # fmt: skip
KRAKEN_PAIRS: Final = (
    "WAVES-EUR", "XMR-USD", "KSM-BTC", "GRT-ETH", "SC-EUR",
    "ETH-CHF", "OCEAN-BTC", "OMG-USD", "BTC-CHF", "ADA-BTC",
)  # fmt: skip


@dataclass(frozen=True)
class Venue:
    name: str
    ws: str
    rest: tuple[str, ...]
    symbols: tuple[str, ...]


VENUES: Final = (
    Venue(
        "coinbase",
        "COINBASE.ws.28.0",
        ("COINBASE.0",),
        COINBASE_PRODUCTS,
    ),
    Venue(
        "binance",
        "BINANCE.ws.1.0",
        ("BINANCE.http.0.0",),
        ("NKN-USDT", "BLZ-ETH", "LRC-BTC", "RUNE-EUR"),
    ),
    Venue(
        "kraken",
        "KRAKEN.ws.50.0",
        ("KRAKEN.0",),
        KRAKEN_PAIRS,
    ),
)


def read_frames(path: Path) -> list[tuple[int, bytes]]:
    """(receive time ns, payload) of every frame the capture's client received."""
    out: list[tuple[int, bytes]] = []
    for line in path.read_bytes().splitlines():
        if line[:1].isdigit():
            ts, _, payload = line.partition(b": ")
            seconds, _, fraction = ts.decode().partition(".")
            out.append((int(seconds) * 10**9 + int((fraction + "000000000")[:9]), payload))
    return out


def read_depth_snapshots(paths: list[Path]) -> dict[str, bytes]:
    """Binance venue symbol → captured ``/api/v3/depth`` body."""
    bodies: dict[str, bytes] = {}
    for path in paths:
        for line in path.read_bytes().splitlines():
            url, sep, rest = line.partition(b" -> ")
            parts = urlsplit(url.decode())
            if sep and parts.path.endswith("/depth"):
                symbol = parse_qs(parts.query)["symbol"][0]
                bodies[symbol] = rest.partition(b": ")[2]
    return bodies


Parse = Callable[[bytes, int], list[Event]]


def make_parse(venue: Venue, snapshots: dict[str, bytes]) -> tuple[Parse, str, Collectors]:
    """A fresh protocol's parse (with its symbol maps set) and collectors that know it."""
    symbols = [SymbolConfig(symbol=s) for s in venue.symbols]
    protocol: WireProtocol
    if venue.name == "coinbase":
        protocol, spec = CoinbaseProtocol(CoinbaseConfig()), COINBASE
    elif venue.name == "kraken":
        protocol, spec = KrakenProtocol(KrakenConfig(), depth=1000), KRAKEN
    else:
        protocol, spec = BinanceProtocol(BinanceConfig()), BINANCE
    protocol.subscribe_messages(symbols)
    collectors = Collectors()
    collectors.register_provider(spec.name, spec.capabilities)
    if not isinstance(protocol, BinanceProtocol):
        return protocol.parse, spec.name, collectors
    binance = protocol
    depth = binance.parser.depth
    wire = {s: s.replace("-", "") for s in venue.symbols}

    def parse(frame: bytes, ts_recv: int) -> list[Event]:
        events = binance.parse(frame, ts_recv)
        if depth.pending:  # the REST snapshot the sync asked for, as on_connected fetches it
            for symbol in list(depth.pending):
                events += binance.parser.snapshot(symbol, snapshots[wire[symbol]], ts_recv)
        return events

    return parse, spec.name, collectors


@dataclass
class Stage:
    seconds: float
    events: int


def best_of(run: Callable[[Path], int], tmp: Path, repeats: int, min_seconds: float) -> Stage:
    """Best of several runs, each in a fresh directory, after a garbage collection."""
    best: Stage | None = None
    spent = 0.0
    for i in range(repeats):
        directory = tmp / f"run{i}"
        directory.mkdir()
        gc.collect()
        start = time.perf_counter()
        events = run(directory)
        elapsed = time.perf_counter() - start
        shutil.rmtree(directory, ignore_errors=True)
        spent += elapsed
        if best is None or elapsed < best.seconds:
            best = Stage(elapsed, events)
        if spent >= min_seconds:
            break
    assert best is not None
    return best


@dataclass
class VenueResult:
    venue: str
    frames: int
    megabytes: float
    stages: dict[str, Stage]

    def frames_per_s(self, stage: str) -> float:
        return self.frames / self.stages[stage].seconds

    def ratio(self, stage: str) -> float:
        return self.frames_per_s(stage) / self.frames_per_s("floor")


STAGES: Final = ("floor", "parse", "parse + collectors", "end to end")


def replay(
    venue: Venue,
    tmp: Path,
    fixtures: Path = FIXTURES,
    repeats: int = MAX_REPEATS,
    min_seconds: float = MIN_SECONDS,
) -> VenueResult:
    """Time every stage on one venue's capture."""
    frames = read_frames(fixtures / venue.ws)
    snapshots = read_depth_snapshots([fixtures / name for name in venue.rest])
    decode = msgspec.json.decode

    def floor(directory: Path) -> int:
        with (directory / "raw.jsonl").open("wb") as raw:
            for _, frame in frames:
                decode(frame)
                raw.write(frame)
                raw.write(b"\n")
        return 0

    def parse_only(directory: Path) -> int:
        parse, _, _ = make_parse(venue, snapshots)
        return sum(len(parse(frame, ts)) for ts, frame in frames)

    def with_collectors(directory: Path) -> int:
        parse, _, collectors = make_parse(venue, snapshots)
        count = 0
        batch: list[Event] = []
        for ts, frame in frames:
            batch += parse(frame, ts)
            if len(batch) >= BATCH_EVENTS:
                count += len(collectors.process(batch))
                batch = []
        return count + len(collectors.process(batch))

    def end_to_end(directory: Path) -> int:
        parse, provider, collectors = make_parse(venue, snapshots)
        store = mdc.storage.open_store(StorageConfig(root=str(directory)))
        count = 0
        batch: list[Event] = []
        for ts, frame in frames:
            store.write_raw(provider, ts, frame)
            batch += parse(frame, ts)
            if len(batch) >= BATCH_EVENTS:
                batch = collectors.process(batch)
                store.append(batch)
                count += len(batch)
                batch = []
        if batch:
            batch = collectors.process(batch)
            store.append(batch)
            count += len(batch)
        store.close()
        return count

    runs = {
        "floor": floor,
        "parse": parse_only,
        "parse + collectors": with_collectors,
        "end to end": end_to_end,
    }
    stages = {name: best_of(run, tmp, repeats, min_seconds) for name, run in runs.items()}
    size = sum(len(frame) for _, frame in frames) / 1e6
    return VenueResult(venue.name, len(frames), size, stages)


def replay_all(
    tmp: Path,
    fixtures: Path = FIXTURES,
    repeats: int = MAX_REPEATS,
    min_seconds: float = MIN_SECONDS,
) -> list[VenueResult]:
    """Every venue's capture, every stage: the function the report is made from."""
    return [replay(venue, tmp, fixtures, repeats, min_seconds) for venue in VENUES]


def render(results: list[VenueResult], store_name: str, repeats: int) -> str:
    lines = [
        "## Crypto capture replay (per venue, one core)",
        "",
        report.machine(),
        "",
        "Written by `benchmarks/crypto_replay.py`. Real captures from `shared/fixtures/crypto`; "
        "end to end = provider parse (book sync, CRC32 checksums) → `Collectors` → "
        f"`store.append` + `write_raw` of `{store_name}`, in batches of {BATCH_EVENTS:,} events. "
        "Floor = `msgspec.json.decode` of each frame + a raw write. Best of up to "
        f"{repeats} runs per stage.",
        "",
        "| Venue | frames | MB | stage | frames/s | events/s | MB/s | × floor |",
        "|---|---:|---:|---|---:|---:|---:|---:|",
    ]
    for r in results:
        for name in STAGES:
            stage = r.stages[name]
            fps = r.frames_per_s(name)
            events = f"{stage.events / stage.seconds:,.0f}" if stage.events else "–"
            lines.append(
                f"| {r.venue} | {r.frames:,} | {r.megabytes:.2f} | {name} | {fps:,.0f} | "
                f"{events} | {r.megabytes / stage.seconds:,.1f} | {r.ratio(name):.2f} |"
            )
    lines.append("")
    for r in results:
        ratio = r.ratio("end to end")
        verdict = "met" if ratio >= TARGET else "not met"
        lines.append(
            f"- {r.venue}: end to end {ratio:.2f} × floor (target ≥ {TARGET}: {verdict}); "
            f"{r.stages['end to end'].events:,} events from {r.frames:,} frames."
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--quick", action="store_true", help="one run per stage")
    parser.add_argument("--output", type=Path, default=OUTPUT, help="markdown file to update")
    parser.add_argument("--fixtures", type=Path, default=FIXTURES)
    args = parser.parse_args(argv)
    repeats, min_seconds = (1, 0.0) if args.quick else (MAX_REPEATS, MIN_SECONDS)
    if not args.fixtures.is_dir():
        print(f"captures not found at {args.fixtures}", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="mdc-crypto-bench-") as tmp:
        results = replay_all(Path(tmp), args.fixtures, repeats, min_seconds)
        probe = mdc.storage.open_store(StorageConfig(root=str(Path(tmp) / "probe")))
        store_name = f"{type(probe).__module__}.{type(probe).__name__}"
        probe.close()
    text = render(results, store_name, repeats)
    print(text)
    if not args.no_write:
        report.write(args.output, "crypto", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
