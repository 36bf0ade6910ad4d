"""Crypto capture replay: frames/s, events/s and MB/s per venue, end to end, against a floor.

    python benchmarks/crypto_replay.py             # table to stdout and benchmarks/BENCHMARKS.md
    python benchmarks/crypto_replay.py --no-write  # table only
    python benchmarks/crypto_replay.py --quick --output /tmp/b.md   # one run per stage

Each real capture in ``shared/fixtures/crypto`` (Coinbase, Binance, Kraken WebSocket v1) and a
Kraken WebSocket v2 session (v2 is the provider's default; there is no real v2 capture, so
``tests/support/kraken_v2.py`` builds one in the documented format, the one the v2 tests'
server speaks: instrument precisions, checksummed book snapshots and updates, trades with ids,
BBO tickers) is replayed through the provider's real ``WireProtocol.parse`` (book sync and
checksums included; Binance gets its captured REST depth snapshots when its sync asks for
them), then ``Collectors.process`` and
``store.append`` of ``mdc.storage.open_store`` in batches, plus ``store.write_raw`` of every
frame — what ``mdc collect`` does with a frame, minus the socket. The floor, measured in the same
run on the same frames, is ``msgspec.json.decode`` of each frame plus a raw write of it. The
floor does not decode Binance's four REST snapshots (about 140 kB, 4,600 levels), which its
parse must: on a 265-frame capture that is most of Binance's parse time.

Coinbase and Kraken (v1 and v2) have compiled kernels (``providers/<venue>/kernel.pyx``): their
parse, parse + collectors and end to end run twice in the same run, on the Python reference
path (the plain rows) and with the kernel (the ``(kernel)`` rows); Binance runs the Python path
only. ``--callgrind`` adds valgrind instruction counts per frame of parse alone,
Python against kernel, for the kernel venues (machine noise does not reach them).

Two kinds of rows:

* Cold (the first table): each run is one replay of the capture on fresh state — a new parser,
  collectors and store (or raw file for the floor) — so "end to end" includes the store's fixed
  costs: directories, file opens, fsyncs and the final close. The captures are small (the
  Coinbase floor is a few milliseconds), so these costs weigh far more than in a running
  collector, which pays them once. Parse alone and parse + collectors show where the time goes.
  Each stage is the best of several runs.
* Steady state (the second table): one store (or raw file) opened once, the capture replayed
  ``passes`` times into it, each pass with a fresh parser and collectors (so book sync starts
  over as on a new connection); the first pass warms up and is not timed, nor is the close.
  The number of passes gives the floor at least ``STEADY_SECONDS`` of work; the floor and end
  to end replay the same number of passes. Best of ``STEADY_REPEATS`` runs of each, the two
  alternating so that both meet the machine's noise alike. This is the running collector's
  cost per frame, and what the target is judged on.
"""

from __future__ import annotations

import argparse
import gc
import math
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import BinaryIO, Final
from urllib.parse import parse_qs, urlsplit

import msgspec

import callgrind
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
from mdc.providers.coinbase.parse import CoinbaseParser
from mdc.providers.coinbase.stream import CoinbaseProtocol
from mdc.providers.connection import WireProtocol
from mdc.providers.kraken import SPEC as KRAKEN
from mdc.providers.kraken.config import KrakenConfig
from mdc.providers.kraken.parse import KrakenParser
from mdc.providers.kraken.parse_v2 import KrakenV2Parser
from mdc.providers.kraken.stream import KrakenProtocol

HERE: Final = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from tests.support.kraken_v2 import recorded_session  # noqa: E402

FIXTURES: Final = HERE.parent.parent / "shared" / "fixtures" / "crypto"
OUTPUT: Final = HERE / "BENCHMARKS.md"
BATCH_EVENTS: Final = 8192
"""Events handed to the collectors and the store at once (the runtime merges queued frames)."""
TARGET: Final = 0.5
"""Steady-state end to end should reach this fraction of the steady-state floor's frames/s."""
MIN_SECONDS: Final = 1.0
MAX_REPEATS: Final = 7
STEADY_SECONDS: Final = 0.5
"""Floor work each steady-state run holds at least (sets the number of passes)."""
STEADY_REPEATS: Final = 5
MAX_PASSES: Final = 1000


COINBASE_PRODUCTS: Final = (
    "SKL-USD", "SKL-BTC", "BAND-GBP", "NMR-EUR", "BAND-BTC",
    "YFI-BTC", "DASH-BTC", "NU-GBP", "CRV-EUR", "SKL-GBP",
)  # fmt: skip
KRAKEN_PAIRS: Final = (
    "WAVES-EUR", "XMR-USD", "KSM-BTC", "GRT-ETH", "SC-EUR",
    "ETH-CHF", "OCEAN-BTC", "OMG-USD", "BTC-CHF", "ADA-BTC",
)  # fmt: skip


KRAKEN_V2_PAIRS: Final = {
    "BTC/USD": (Decimal("45000.0"), Decimal("0.1"), (1, 8)),
    "ETH/USD": (Decimal("3000.00"), Decimal("0.01"), (2, 8)),
    "SOL/EUR": (Decimal("150.00"), Decimal("0.01"), (2, 8)),
    "XRP/USD": (Decimal("0.60000"), Decimal("0.00001"), (5, 8)),
    "ADA/BTC": (Decimal("0.0000120"), Decimal("0.0000001"), (7, 8)),
}
KRAKEN_V2_UPDATES: Final = 4000
"""Book updates in the built v2 session (plus a trade and a ticker after every fifth)."""
KRAKEN_V2_T0: Final = 1_764_676_800_000_000_000
"""Receive time of the built session's first frame (2025-12-02T12:00:00Z); 1 ms apart."""


@dataclass(frozen=True)
class Venue:
    name: str
    ws: str
    """Capture file of the WebSocket session, or "" for a built session (``build``)."""
    rest: tuple[str, ...]
    symbols: tuple[str, ...]
    build: Callable[[], list[tuple[int, bytes]]] | None = None


def kraken_v2_session() -> list[tuple[int, bytes]]:
    """(receive time ns, payload) of the built Kraken v2 session."""
    frames = recorded_session(KRAKEN_V2_PAIRS, KRAKEN_V2_UPDATES)
    return [(KRAKEN_V2_T0 + i * 1_000_000, frame) for i, frame in enumerate(frames)]


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
    Venue(
        "kraken-v2",
        "",
        (),
        tuple(pair.replace("/", "-") for pair in KRAKEN_V2_PAIRS),
        kraken_v2_session,
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


KERNEL_VENUES: Final = ("coinbase", "kraken", "kraken-v2")
"""Venues whose parser has a compiled kernel (``providers/<venue>/kernel.pyx``)."""


def make_parse(
    venue: Venue, snapshots: dict[str, bytes], kernel: bool = False
) -> tuple[Parse, str, Collectors]:
    """A fresh protocol's parse (with its symbol maps set) and collectors that know it; the
    Python reference path unless ``kernel`` (then the parser's compiled kernel must be built;
    the collectors use theirs, ``collectors/kernel.pyx``, when it is built)."""
    symbols = [SymbolConfig(symbol=s) for s in venue.symbols]
    protocol: WireProtocol
    if venue.name == "coinbase":
        protocol, spec = CoinbaseProtocol(CoinbaseConfig()), COINBASE
    elif venue.name == "kraken":
        protocol, spec = KrakenProtocol(KrakenConfig(api="v1"), depth=1000), KRAKEN
    elif venue.name == "kraken-v2":
        protocol, spec = KrakenProtocol(KrakenConfig(api="v2"), depth=10), KRAKEN
    else:
        protocol, spec = BinanceProtocol(BinanceConfig()), BINANCE
    protocol.subscribe_messages(symbols)
    parser = protocol.parser if isinstance(protocol, CoinbaseProtocol | KrakenProtocol) else None
    if isinstance(parser, CoinbaseParser | KrakenParser | KrakenV2Parser):
        if kernel and parser.kernel is None:
            raise SystemExit(f"{venue.name}: the kernel is not built (make native)")
        if not kernel:
            parser.kernel = None
    collectors = Collectors()
    collectors.register_provider(spec.name, spec.capabilities)
    if not kernel:  # the Python reference all the way: no collectors kernel either
        collectors.kernel = None
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
    passes: int = 1
    """Replays of the capture the time covers."""


def timed(run: Callable[[Path], int]) -> Callable[[Path], Stage]:
    """``run`` timed as a whole: a cold stage."""

    def stage(directory: Path) -> Stage:
        gc.collect()
        start = time.perf_counter()
        events = run(directory)
        return Stage(time.perf_counter() - start, events)

    return stage


def timed_passes(passes: list[Callable[[], int]]) -> Stage:
    """Every pass but the first (the warm-up) timed together: a steady-state stage."""
    passes[0]()
    gc.collect()
    start = time.perf_counter()
    events = sum(run() for run in passes[1:])
    return Stage(time.perf_counter() - start, events, len(passes) - 1)


def best_of(run: Callable[[Path], Stage], tmp: Path, repeats: int, min_seconds: float) -> Stage:
    """Best of several runs, each in a fresh directory."""
    best: Stage | None = None
    spent = 0.0
    for i in range(repeats):
        directory = tmp / f"run{i}"
        directory.mkdir()
        stage = run(directory)
        shutil.rmtree(directory, ignore_errors=True)
        spent += stage.seconds
        if best is None or stage.seconds < best.seconds:
            best = stage
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
        s = self.stages[stage]
        return self.frames * s.passes / s.seconds

    def megabytes_per_s(self, stage: str) -> float:
        s = self.stages[stage]
        return self.megabytes * s.passes / s.seconds

    def ratio(self, stage: str) -> float:
        """Frames/s against the floor of the same kind (cold or steady state)."""
        floor = STEADY_FLOOR if stage in STEADY_STAGES else "floor"
        return self.frames_per_s(stage) / self.frames_per_s(floor)


KERNEL: Final = " (kernel)"
"""Suffix of a stage run with the venue's compiled kernel; the plain name is the Python path."""
STAGES: Final = (
    "floor", "parse", "parse" + KERNEL, "parse + collectors", "parse + collectors" + KERNEL,
    "end to end", "end to end" + KERNEL,
)  # fmt: skip
"""Cold stages: one replay on fresh state, fixed costs included."""
STEADY_FLOOR: Final = "steady floor"
STEADY_END_TO_END: Final = "steady end to end"
STEADY_STAGES: Final = (STEADY_FLOOR, STEADY_END_TO_END, STEADY_END_TO_END + KERNEL)
"""Steady-state stages: many replays into one open file or store, the warm-up pass excluded."""


def passes_for(floor: Stage, seconds: float) -> int:
    """Passes (warm-up included) that give the floor at least ``seconds`` of timed work."""
    return min(MAX_PASSES, 1 + max(1, math.ceil(seconds / floor.seconds)))


def replay(
    venue: Venue,
    tmp: Path,
    fixtures: Path = FIXTURES,
    repeats: int = MAX_REPEATS,
    min_seconds: float = MIN_SECONDS,
    steady_seconds: float = STEADY_SECONDS,
    steady_repeats: int = STEADY_REPEATS,
) -> VenueResult:
    """Time every stage on one venue's capture."""
    frames = venue.build() if venue.build else read_frames(fixtures / venue.ws)
    snapshots = read_depth_snapshots([fixtures / name for name in venue.rest])
    decode = msgspec.json.decode

    def floor_pass(raw: BinaryIO) -> int:
        for _, frame in frames:
            decode(frame)
            raw.write(frame)
            raw.write(b"\n")
        return 0

    def end_to_end_pass(pipeline: tuple[Parse, str, Collectors], store: mdc.storage.Store) -> int:
        parse, provider, collectors = pipeline
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
        return count

    def floor(directory: Path) -> int:
        with (directory / "raw.jsonl").open("wb") as raw:
            return floor_pass(raw)

    def parse_only(directory: Path, kernel: bool = False) -> int:
        parse, _, _ = make_parse(venue, snapshots, kernel)
        return sum(len(parse(frame, ts)) for ts, frame in frames)

    def with_collectors(directory: Path, kernel: bool = False) -> int:
        parse, _, collectors = make_parse(venue, snapshots, kernel)
        count = 0
        batch: list[Event] = []
        for ts, frame in frames:
            batch += parse(frame, ts)
            if len(batch) >= BATCH_EVENTS:
                count += len(collectors.process(batch))
                batch = []
        return count + len(collectors.process(batch))

    def end_to_end(directory: Path, kernel: bool = False) -> int:
        pipeline = make_parse(venue, snapshots, kernel)
        store = mdc.storage.open_store(StorageConfig(root=str(directory)))
        count = end_to_end_pass(pipeline, store)
        store.close()
        return count

    def steady_floor(directory: Path, passes: int) -> Stage:
        with (directory / "raw.jsonl").open("wb") as raw:
            return timed_passes([partial(floor_pass, raw)] * passes)

    def steady_end_to_end(directory: Path, passes: int, kernel: bool = False) -> Stage:
        store = mdc.storage.open_store(StorageConfig(root=str(directory)))
        pipelines = [make_parse(venue, snapshots, kernel) for _ in range(passes)]
        try:
            return timed_passes([partial(end_to_end_pass, p, store) for p in pipelines])
        finally:
            store.close()

    cold: dict[str, Callable[[Path], int]] = {
        "floor": floor,
        "parse": parse_only,
        "parse + collectors": with_collectors,
        "end to end": end_to_end,
    }
    steady: dict[str, Callable[..., Stage]] = {
        STEADY_FLOOR: steady_floor,
        STEADY_END_TO_END: steady_end_to_end,
    }
    if venue.name in KERNEL_VENUES:
        cold |= {
            "parse" + KERNEL: partial(parse_only, kernel=True),
            "parse + collectors" + KERNEL: partial(with_collectors, kernel=True),
            "end to end" + KERNEL: partial(end_to_end, kernel=True),
        }
        steady[STEADY_END_TO_END + KERNEL] = partial(steady_end_to_end, kernel=True)
    stages = {name: best_of(timed(run), tmp, repeats, min_seconds) for name, run in cold.items()}
    passes = passes_for(stages["floor"], steady_seconds)
    for _ in range(steady_repeats):  # floor and end to end alternate: both meet the same noise
        for name, run in steady.items():
            stage = best_of(partial(run, passes=passes), tmp, 1, 0.0)
            if name not in stages or stage.seconds < stages[name].seconds:
                stages[name] = stage
    size = sum(len(frame) for _, frame in frames) / 1e6
    return VenueResult(venue.name, len(frames), size, stages)


def replay_all(
    tmp: Path,
    fixtures: Path = FIXTURES,
    repeats: int = MAX_REPEATS,
    min_seconds: float = MIN_SECONDS,
    steady_seconds: float = STEADY_SECONDS,
    steady_repeats: int = STEADY_REPEATS,
    venues: tuple[str, ...] = (),
) -> list[VenueResult]:
    """Every venue's capture (or those named in ``venues``), every stage: the function the
    report is made from."""
    return [
        replay(venue, tmp, fixtures, repeats, min_seconds, steady_seconds, steady_repeats)
        for venue in VENUES
        if not venues or venue.name in venues
    ]


def render(
    results: list[VenueResult],
    store_name: str,
    repeats: int,
    steady_repeats: int,
    instructions: dict[str, tuple[float, float]] | None = None,
) -> str:
    lines = [
        "## Crypto capture replay (per venue, one core)",
        "",
        report.machine(),
        "",
        "Written by `benchmarks/crypto_replay.py`. Real captures from `shared/fixtures/crypto`; "
        "end to end = provider parse (book sync, CRC32 checksums) → `Collectors` → "
        f"`store.append` + `write_raw` of `{store_name}`, in batches of {BATCH_EVENTS:,} events. "
        "Floor = `msgspec.json.decode` of each frame + a raw write.",
        "",
        "Cold: one replay of the capture on fresh state (new parser, collectors, store or raw "
        "file), so end to end includes the store's fixed costs (directories, file opens, fsyncs, "
        f"the final close), which a capture this small magnifies. Best of up to {repeats} runs "
        "per stage; × floor is against the cold floor. Binance's parse includes decoding its "
        "four captured REST depth snapshots (about 140 kB), which the floor does not.",
        "",
        "| Venue | frames | MB | stage | frames/s | events/s | MB/s | × floor |",
        "|---|---:|---:|---|---:|---:|---:|---:|",
    ]
    for r in results:
        for name in (n for n in STAGES if n in r.stages):
            lines.append(
                f"| {r.venue} | {r.frames:,} | {r.megabytes:.2f} | {name} | {_rates(r, name)} |"
            )
    lines += [
        "",
        "Steady state: one store (or raw file for the floor) opened once and the capture replayed "
        "`passes` times into it, each pass with a fresh parser and collectors (book sync starts "
        "over, as on a new connection); the first pass warms up and is not timed, nor is the "
        "close — what a running collector pays per frame. The floor and end to end replay the "
        f"same number of passes; best of {steady_repeats} runs each, alternating; × floor is "
        "against the steady-state floor.",
        "",
        "| Stage (steady state) | venue | timed passes | frames/s | events/s | MB/s | × floor |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        for name in (n for n in STEADY_STAGES if n in r.stages):
            label = name.removeprefix("steady ")
            passes = r.stages[name].passes
            lines.append(f"| {label} | {r.venue} | {passes:,} | {_rates(r, name)} |")
    lines.append("")
    for r in results:
        path = KERNEL if STEADY_END_TO_END + KERNEL in r.stages else ""
        ratio = r.ratio(STEADY_END_TO_END + path)
        verdict = "met" if ratio >= TARGET else "not met"
        lines.append(
            f"- {r.venue}: steady-state end to end {ratio:.2f} × steady-state floor "
            f"({'kernel' if path else 'Python: no kernel'}; target ≥ {TARGET}: {verdict}); "
            f"cold end to end {r.ratio('end to end' + path):.2f} × cold floor; "
            f"{r.stages['end to end'].events:,} events from {r.frames:,} frames per pass."
        )
    if instructions:
        lines += [
            "",
            "Instructions per frame of parse alone (valgrind `--tool=callgrind`, a child "
            "replaying the capture once on a fresh parser, less a child doing only the setup):",
            "",
            "| Venue | Python | kernel | kernel / Python |",
            "|---|---:|---:|---:|",
        ]
        for venue, (python, kernel) in instructions.items():
            lines.append(f"| {venue} | {python:,.0f} | {kernel:,.0f} | {kernel / python:.2f} |")
    return "\n".join(lines) + "\n"


def _rates(r: VenueResult, name: str) -> str:
    """frames/s, events/s, MB/s and × floor cells of one stage."""
    stage = r.stages[name]
    events = f"{stage.events / stage.seconds:,.0f}" if stage.events else "–"
    return (
        f"{r.frames_per_s(name):,.0f} | {events} | {r.megabytes_per_s(name):,.1f} | "
        f"{r.ratio(name):.2f}"
    )


def child(name: str, mode: str, fixtures: Path, capture: Path) -> int:
    """One parse pass (``python``/``kernel``) of a venue's frames in ``capture``, or only the
    setup."""
    venue = next(v for v in VENUES if v.name == name)
    frames = read_frames(capture)
    snapshots = read_depth_snapshots([fixtures / n for n in venue.rest])
    parse, _, _ = make_parse(venue, snapshots, kernel=mode == "kernel")
    if mode != "setup":
        for ts, frame in frames:
            parse(frame, ts)
    print(len(frames))
    return 0


def callgrind_all(fixtures: Path, venues: tuple[str, ...] = ()) -> dict[str, tuple[float, float]]:
    """Venue → instructions per frame of parse alone, (Python, kernel), of every kernel venue
    (or those in ``venues``). The frames are written out first (a built session is built once,
    natively); a venue's three children run at once."""
    out: dict[str, tuple[float, float]] = {}
    modes = ("setup", "python", "kernel")
    with tempfile.TemporaryDirectory(prefix="mdc-crypto-cg-") as tmp:
        for venue in (
            v for v in VENUES if v.name in KERNEL_VENUES and (not venues or v.name in venues)
        ):
            frames = venue.build() if venue.build else read_frames(fixtures / venue.ws)
            capture = Path(tmp) / f"{venue.name}.frames"
            capture.write_bytes(
                b"".join(b"%d.%09d: %s\n" % (ts // 10**9, ts % 10**9, f) for ts, f in frames)
            )
            children = {
                mode: subprocess.Popen(
                    [
                        *callgrind.command(Path(tmp) / f"{venue.name}.{mode}"),
                        sys.executable,
                        __file__,
                        "--fixtures",
                        str(fixtures),
                        "--child",
                        venue.name,
                        mode,
                        str(capture),
                    ],
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                )
                for mode in modes
            }
            counts = {}
            for mode, proc in children.items():
                stdout, _ = proc.communicate()
                if proc.returncode != 0:
                    raise RuntimeError(f"callgrind child {venue.name} {mode} failed")
                assert int(stdout.split()[-1]) == len(frames)
                counts[mode] = callgrind.total(Path(tmp) / f"{venue.name}.{mode}")
            python, kernel = ((counts[m] - counts["setup"]) / len(frames) for m in modes[1:])
            out[venue.name] = (python, kernel)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument(
        "--quick", action="store_true", help="one run per stage, two steady-state passes"
    )
    parser.add_argument("--output", type=Path, default=OUTPUT, help="markdown file to update")
    parser.add_argument("--fixtures", type=Path, default=FIXTURES)
    parser.add_argument(
        "--callgrind", action="store_true", help="add instructions per frame (valgrind)"
    )
    parser.add_argument(
        "--venue",
        action="append",
        choices=[v.name for v in VENUES],
        default=[],
        help="only this venue (repeatable); the report is written only for all of them",
    )
    parser.add_argument(
        "--child", nargs=3, metavar=("VENUE", "MODE", "FRAMES"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.child:
        return child(args.child[0], args.child[1], args.fixtures, Path(args.child[2]))
    repeats, min_seconds = (1, 0.0) if args.quick else (MAX_REPEATS, MIN_SECONDS)
    steady_seconds, steady_repeats = (0.0, 1) if args.quick else (STEADY_SECONDS, STEADY_REPEATS)
    if not args.fixtures.is_dir():
        print(f"captures not found at {args.fixtures}", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="mdc-crypto-bench-") as tmp:
        results = replay_all(
            Path(tmp),
            args.fixtures,
            repeats,
            min_seconds,
            steady_seconds,
            steady_repeats,
            tuple(args.venue),
        )
        probe = mdc.storage.open_store(StorageConfig(root=str(Path(tmp) / "probe")))
        store_name = f"{type(probe).__module__}.{type(probe).__name__}"
        probe.close()
    instructions = callgrind_all(args.fixtures, tuple(args.venue)) if args.callgrind else None
    text = render(results, store_name, repeats, steady_repeats, instructions)
    print(text)
    if not args.no_write and not args.venue:
        report.write(args.output, "crypto", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
