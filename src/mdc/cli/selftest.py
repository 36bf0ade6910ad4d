"""``mdc selftest``: exercise the book, collectors, pipeline and storage on generated data.

Each check builds its own inputs (seeded, so a failure is repeatable), runs the real code and
compares with an independent expectation. The storage checks write to a temporary directory,
and the crash check SIGKILLs a real child process at a seeded random moment while it appends.
Checks fail by raising :class:`SelftestFailure`, never with ``assert``: they must hold under
``python -O`` too.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Final

import typer
from rich.table import Table

from mdc.cli.common import EXIT_FAILURE, console
from mdc.collectors.chain import Collectors
from mdc.config import SymbolConfig, load_config
from mdc.config.sample import SAMPLE_CONFIG
from mdc.config.schema import StorageConfig, WalConfig
from mdc.domain.book import OrderBook
from mdc.domain.events import TYPE_NAMES, Event, Gap, Integrity, Trade
from mdc.pipeline.queues import BatchQueue
from mdc.providers.simulated.config import SimulatedConfig
from mdc.providers.simulated.market import Market
from mdc.providers.simulated.parse import parse_frame
from mdc.providers.simulated.stream import SimulatedProvider
from mdc.storage import open_store
from mdc.storage.archive import open_archive
from mdc.storage.recovery import ISSUE_SYMBOL

SEED: Final = 20240102
T0: Final = 1_704_205_800_000_000_000
CRASH_BATCHES: Final = 40

CRASH_EVENTS: Final = 20_000

Check = Callable[[Path], str]
"""A check returns a one-line summary of what it proved, or raises SelftestFailure."""


class SelftestFailure(Exception):
    """A check found the code disagreeing with its expectation."""


def expect(holds: bool, failure: str) -> None:
    if not holds:
        raise SelftestFailure(failure)


def selftest() -> None:
    """Run the self-checks and print a pass/fail table (exit 1 if any fails)."""
    table = Table(title="mdc selftest")
    for column in ("check", "result", "time", "detail"):
        table.add_column(column)
    failed = 0
    with tempfile.TemporaryDirectory(prefix="mdc-selftest-") as tmp:
        for name, check in CHECKS:
            start = time.perf_counter()
            work = Path(tmp) / name
            work.mkdir()
            try:
                detail, ok = check(work), True
            except Exception as exc:  # every failure is reported, the rest still run
                detail, ok = f"{type(exc).__name__}: {exc}", False
            failed += not ok
            elapsed = f"{time.perf_counter() - start:.2f}s"
            result = "[green]pass[/]" if ok else "[bold red]FAIL[/]"
            table.add_row(name, result, elapsed, detail)
    console.print(table)
    if failed:
        raise typer.Exit(EXIT_FAILURE)


def _generated(n_messages: int, depth: bool = True) -> tuple[Market, list[Event]]:
    symbols = [SymbolConfig(symbol=s, depth=depth) for s in ("SPY", "AAPL", "MSFT")]
    market = Market(SimulatedConfig(seed=SEED), symbols, ts=T0)
    events: list[Event] = []
    for i in range(n_messages // 500):
        ts = T0 + (i + 1) * 50_000_000
        events += parse_frame(market.frame(500, ts), ts, "SIM")
    return market, events


def check_config(_: Path) -> str:
    path = _ / "mdc.toml"
    path.write_text(SAMPLE_CONFIG)
    config = load_config(path, env={})
    return f"sample config valid, {len(config.symbols)} symbols"


def check_order_book(_: Path) -> str:
    rng = random.Random(SEED)
    book = OrderBook("X", "V", "p", depth=10)
    model: dict[bool, dict[float, float]] = {True: {}, False: {}}
    for _i in range(20_000):
        is_bid = rng.random() < 0.5
        offset = rng.randrange(50) * 0.01
        price = round(99.0 - offset if is_bid else 100.0 + offset, 2)
        size = 0.0 if rng.random() < 0.3 else float(rng.randrange(1, 500))
        book.apply_delta(is_bid, price, size)
        if size:
            model[is_bid][price] = size
        else:
            model[is_bid].pop(price, None)
    bids, asks = book.top(50)
    want_bids = sorted(model[True].items(), reverse=True)[:50]
    want_asks = sorted(model[False].items())[:50]
    expect(bids == want_bids and asks == want_asks, "book differs from the reference model")
    expect(not book.crossed, f"book is crossed: best bid {bids[:1]}, best ask {asks[:1]}")
    return f"20,000 deltas match a reference model ({len(model[True])}+{len(model[False])} levels)"


def check_collectors(_: Path) -> str:
    market, events = _generated(50_000)
    collectors = Collectors()
    collectors.register_provider("simulated", SimulatedProvider.spec.capabilities)
    out = collectors.process(events)
    flagged = [e for e in out if isinstance(e, Integrity | Gap)]
    expect(not flagged, f"clean data raised {len(flagged)} integrity/gap events: {flagged[:2]}")
    trades = [e for e in out if isinstance(e, Trade)]
    sided = sum(e.side != "unknown" for e in trades)
    expect(sided == len(trades), f"{len(trades) - sided} trades without a side")
    market.inject_gap("AAPL", 5)
    ts = T0 + 10**12
    more = collectors.process(parse_frame(market.frame(2_000, ts), ts, "SIM"))
    gaps = [e for e in more if isinstance(e, Gap)]
    expect(len(gaps) == 1 and gaps[0].symbol == "AAPL", f"expected one AAPL gap, got {gaps}")
    return f"{len(out):,} events clean, {len(trades):,} trade sides, injected hole → 1 Gap"


def check_backpressure(_: Path) -> str:
    def seq_batch(start: int, n: int) -> list[Event]:
        return [
            Trade(
                symbol="X",
                venue="V",
                provider="p",
                ts_event=i,
                ts_recv=time.time_ns(),
                seq=i,
                price=1.0,
                size=1.0,
            )
            for i in range(start, start + n)
        ]

    oldest = BatchQueue("oldest", 100, "drop_oldest")
    newest = BatchQueue("newest", 100, "drop_newest")
    for i in range(0, 1_000, 30):
        oldest.offer(seq_batch(i, 30))
        newest.offer(seq_batch(i, 30))
    dropped = (oldest.dropped, newest.dropped)
    expect(dropped == (920, 920), f"dropped {dropped} (oldest, newest), expected 920 each")
    kept = [e.seq for b in iter(oldest.get_nowait, None) for e in b]
    expect(kept == list(range(920, 1020)), "drop_oldest kept the wrong events")

    async def blocking() -> int:
        queue = BatchQueue("block", 50, "block")
        got = 0

        async def consume() -> None:
            nonlocal got
            while batch := await queue.get():
                got += len(batch)

        task = asyncio.create_task(consume())
        for i in range(0, 1_000, 25):
            await queue.put(seq_batch(i, 25))
        queue.close()
        await task
        return got

    got = asyncio.run(blocking())
    expect(got == 1_000, f"block policy delivered {got:,} of 1,000 events")
    return "drop_oldest/drop_newest drop exactly 920 of 1,020; block loses none of 1,000"


def check_storage_round_trip(work: Path) -> str:
    _, events = _generated(20_000)
    store = open_store(StorageConfig(root=str(work), format="both", wal=WalConfig(fsync="off")))
    store.append(events)
    store.close()
    total = 0
    for source in ("jsonl", "parquet"):
        archive = open_archive(work, source=source)
        for cls, name in TYPE_NAMES.items():
            want = [e for e in events if type(e) is cls]
            got = [e for s in archive.symbols(name) for e in archive.events(name, s)]
            want.sort(key=lambda e: (e.symbol, e.ts_event, e.seq or 0))
            got.sort(key=lambda e: (e.symbol, e.ts_event, e.seq or 0))
            expect(got == want, f"{source} {name}: {len(got)} read back, {len(want)} written")
            total += len(got)
    return f"{len(events):,} events read back exactly from JSONL and from Parquet"


_CHILD: Final = """
import sys
from mdc.config.schema import StorageConfig, WalConfig
from mdc.cli.selftest import crash_batches
from mdc.storage import open_store
store = open_store(StorageConfig(root=sys.argv[1], wal=WalConfig(fsync="always")))
for batch in crash_batches():
    sys.stdin.readline()  # the parent's go: it picks the moment to kill relative to this
    store.append(batch)
    print(len(batch), flush=True)  # acknowledged: the WAL record is fsynced
"""


def crash_batches() -> list[list[Event]]:
    _, events = _generated(CRASH_EVENTS)
    step = len(events) // CRASH_BATCHES
    return [events[i * step : (i + 1) * step] for i in range(CRASH_BATCHES)]


def check_crash_recovery(work: Path) -> str:
    """The child appends batch after batch; after a seeded number of acknowledgements it is
    told to go on and is SIGKILLed a seeded random delay later, inside or after that append.
    Recovery must give back every acknowledged event once, plus at most the batch in flight
    (durable but not yet acknowledged when the kill came), and nothing else: a batch is one
    WAL record (far below ``MAX_RECORD_EVENTS``), so it is there whole or not at all."""
    rng = random.Random(SEED)
    root = work / "archive"
    batches = crash_batches()
    kill_after = rng.randrange(1, CRASH_BATCHES - 1)
    delay_s = rng.uniform(0.0, 0.005)
    child = subprocess.Popen(
        [sys.executable, *(["-O"] if sys.flags.optimize else []), "-c", _CHILD, str(root)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    stdin, stdout = child.stdin, child.stdout
    if stdin is None or stdout is None:
        raise SelftestFailure("the writer child has no pipes")
    acknowledged = 0
    try:
        for _ in range(kill_after):
            stdin.write("go\n")
            stdin.flush()
            line = stdout.readline()
            expect(line.strip().isdigit(), f"writer child stopped early: {line!r}")
            acknowledged += int(line)
        stdin.write("go\n")
        stdin.flush()
        time.sleep(delay_s)
        child.send_signal(signal.SIGKILL)
        rest, _ = child.communicate(timeout=120)
    finally:
        child.kill()
    expect(child.returncode == -signal.SIGKILL, f"child ended with {child.returncode}")
    acknowledged += sum(int(n) for n in rest.split())
    store = open_store(StorageConfig(root=str(root)))
    store.close()
    archive = open_archive(root)
    got = sorted(
        (
            e
            for name in TYPE_NAMES.values()
            for s in archive.symbols(name)
            for e in archive.events(name, s)
            # not the store's own finding on reopening (a kill mid-write leaves a torn tail)
            if not (isinstance(e, Integrity) and e.symbol == ISSUE_SYMBOL)
        ),
        key=_order,
    )
    in_flight = len(got) - acknowledged
    expect(
        in_flight in (0, len(batches[0])),
        f"{acknowledged:,} acknowledged, {len(got):,} recovered "
        f"(at most one batch of {len(batches[0]):,} may be durable unacknowledged)",
    )
    appended = sorted((e for b in batches[: len(got) // len(batches[0])] for e in b), key=_order)
    expect(got == appended, f"recovered events differ from the first {len(got):,} appended")
    return (
        f"writer SIGKILLed {delay_s * 1e3:.1f} ms into batch {kill_after + 1} of {len(batches)}: "
        f"{acknowledged:,} acknowledged events recovered exactly once"
        + (f", and the {in_flight:,} in flight" if in_flight else "")
    )


def _order(e: Event) -> tuple[str, str, int, int]:
    return (type(e).__name__, e.symbol, e.ts_event, e.seq or 0)


CHECKS: Final[list[tuple[str, Check]]] = [
    ("config", check_config),
    ("order book", check_order_book),
    ("collectors", check_collectors),
    ("backpressure", check_backpressure),
    ("storage round trip", check_storage_round_trip),
    ("crash recovery", check_crash_recovery),
]
