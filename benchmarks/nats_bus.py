"""Across the bus: collector WAL → JetStream → archive writer, events/s and latency.

Stages, on one machine (collector, writer and a private nats-server share its cores):

- ``local archive (floor)``: the same batches appended to one store and checkpointed: what the
  collector's own archive does, the least work any path to an archive does;
- ``bus, as fast as it goes``: the batches appended to the collector's store while its
  ``Publisher`` publishes them and an ``ArchiveWriter`` stores them into a second store; the
  rate is events over the time from the first append to the last writer commit (acknowledged
  to JetStream after it);
- ``bus, sustained``: the same at a fixed rate (half the measured maximum) for ``SUSTAIN_S``:
  latency from the collector's acknowledgement (``append`` returned) to the writer's checkpoint
  commit, per event, and the lag (events acknowledged by the collector, not yet committed by
  the writer) sampled every 100 ms.

    python benchmarks/nats_bus.py            # prints the table, updates BENCHMARKS.md
    python benchmarks/nats_bus.py --quick    # a small run
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import report

ROOT: Final = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mdc.config.schema import DistributedConfig, StorageConfig  # noqa: E402
from mdc.distributed import subjects  # noqa: E402
from mdc.distributed.publisher import Publisher  # noqa: E402
from mdc.distributed.writer import ArchiveWriter  # noqa: E402
from mdc.domain.events import Event, Trade  # noqa: E402
from mdc.storage import Store, open_store  # noqa: E402

OUTPUT: Final = ROOT / "benchmarks" / "BENCHMARKS.md"
NATS_SERVER: Final = "/usr/sbin/nats-server"
BATCH: Final = 500
SYMBOLS: Final = [f"S{i:02d}" for i in range(20)]
SUSTAIN_S: Final = 10.0


def batches(n_events: int) -> list[list[Event]]:
    out: list[list[Event]] = []
    base = time.time_ns()
    for start in range(0, n_events, BATCH):
        out.append(
            [
                Trade(
                    symbol=SYMBOLS[i % len(SYMBOLS)], venue="BENCH", provider="bench",
                    ts_event=base + i, ts_recv=base + i, seq=i, price=100.0 + i % 7, size=1.0,
                    trade_id=str(i),
                )
                for i in range(start, min(start + BATCH, n_events))
            ]
        )  # fmt: skip
    return out


def storage(root: Path) -> StorageConfig:
    return StorageConfig(root=str(root), min_free_mb=0, raw_capture=False)


class Server:
    def __init__(self, workdir: Path) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        cmd = [NATS_SERVER, "-a", "127.0.0.1", "-p", str(self.port), "-js", "-sd", str(workdir)]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("nats-server did not start")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=20)


@dataclass
class Timed(ArchiveWriter):
    """The real writer, noting for each acknowledged message its collector-ack-to-commit time."""

    acked_ns: dict[int, int] = field(default_factory=dict)
    latencies_ms: list[float] = field(default_factory=list)
    committed_events: int = 0

    def __post_init__(self) -> None:
        pass

    async def _ack_committed(self) -> None:
        committed = self.store.committed_lsn
        now = time.time_ns()
        for p in self._pending:
            if p.lsn > committed:
                break
            headers = p.msg.headers or {}
            count = int(headers[subjects.HDR_COUNT])
            ack = self.acked_ns[int(headers[subjects.HDR_LSN])]
            self.latencies_ms.extend([(now - ack) / 1e6] * count)
            self.committed_events += count
        await super()._ack_committed()


def timed_writer(store: Store, cfg: DistributedConfig) -> Timed:
    w = Timed.__new__(Timed)
    ArchiveWriter.__init__(w, store, cfg, "bench", None)
    w.acked_ns, w.latencies_ms, w.committed_events = {}, [], 0
    return w


def floor(work: list[list[Event]], tmp: Path) -> float:
    store = open_store(storage(tmp / "floor"))
    start = time.perf_counter()
    for batch in work:
        store.append(batch)
        store.maintain()
    store.checkpoint()
    elapsed = time.perf_counter() - start
    store.close()
    return sum(map(len, work)) / elapsed


@dataclass
class BusRun:
    rate: float
    latencies_ms: list[float]
    max_lag: int
    mean_lag: float


async def bus(work: list[list[Event]], tmp: Path, url: str, name: str, pace: float) -> BusRun:
    cfg = DistributedConfig(servers=[url], stream=name, subject_prefix=name.lower())
    collector = open_store(storage(tmp / f"{name}-c"))
    archive = open_store(storage(tmp / f"{name}-w"))
    publisher = Publisher(collector, cfg, "bench")
    writer = timed_writer(archive, cfg)
    tasks = [asyncio.create_task(publisher.run()), asyncio.create_task(writer.run())]
    total = sum(map(len, work))
    acked, lags = 0, []
    await asyncio.sleep(0.5)  # connected, stream and consumer made
    start = time.perf_counter()
    next_sample = start
    for i, batch in enumerate(work):
        collector.append(batch)
        writer.acked_ns[collector.wal_lsn] = time.time_ns()
        acked += len(batch)
        collector.maintain()
        now = time.perf_counter()
        if now >= next_sample:
            lags.append(acked - writer.committed_events)
            next_sample = now + 0.1
        if pace:
            await asyncio.sleep(max(0.0, start + (i + 1) * BATCH / pace - time.perf_counter()))
        else:
            await asyncio.sleep(0)
    while writer.committed_events < total:
        await asyncio.sleep(0.01)
    elapsed = time.perf_counter() - start
    writer.stop()
    await tasks[1]
    tasks[0].cancel()
    await asyncio.gather(tasks[0], return_exceptions=True)
    collector.close()
    archive.close()
    return BusRun(total / elapsed, writer.latencies_ms, max(lags), statistics.fmean(lags))


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def render(n: int, local: float, fast: BusRun, sustained: BusRun, pace: float) -> str:
    rows = [
        ["local archive (floor)", report.rate(local), "1.00", "", "", ""],
        [
            "bus, as fast as it goes", report.rate(fast.rate), f"{fast.rate / local:.2f}",
            f"{pct(fast.latencies_ms, 0.5):,.0f}", f"{pct(fast.latencies_ms, 0.99):,.0f}",
            f"{fast.max_lag:,}",
        ],
        [
            f"bus, sustained at {pace:,.0f}/s", report.rate(sustained.rate),
            f"{sustained.rate / local:.2f}", f"{pct(sustained.latencies_ms, 0.5):,.0f}",
            f"{pct(sustained.latencies_ms, 0.99):,.0f}", f"{sustained.max_lag:,}",
        ],
    ]  # fmt: skip
    return (
        "## Across the bus (collector → JetStream → archive writer)\n\n"
        f"{report.machine()}\n\n"
        f"{n:,} trades in batches of {BATCH}, 20 symbols, one collector store with its "
        "publisher, one writer store, a private nats-server, all on this machine "
        "(`benchmarks/nats_bus.py`). Latency: collector `append` returned → the writer's "
        "checkpoint holding the event committed (its JetStream ack follows). Lag: events "
        "acknowledged by the collector and not yet committed by the writer, sampled every "
        "100 ms.\n\n"
        + report.table(
            ["stage", "events/s", "× floor", "p50 ms", "p99 ms", "max lag (events)"], rows
        )
        + f"\nSustained lag: mean {sustained.mean_lag:,.0f} events.\n"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="JetStream bus throughput and latency")
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--quick", action="store_true", help="a small run")
    parser.add_argument("--output", type=Path, default=OUTPUT, help="markdown file to update")
    args = parser.parse_args(argv)
    n = 20_000 if args.quick else 200_000
    with tempfile.TemporaryDirectory(prefix="mdc-bus-") as name:
        tmp = Path(name)
        server = Server(tmp / "js")
        try:
            url = f"nats://127.0.0.1:{server.port}"
            local = floor(batches(n), tmp)
            fast = asyncio.run(bus(batches(n), tmp, url, "FAST", 0.0))
            pace = fast.rate / 2
            sustain_n = int(pace * (2.0 if args.quick else SUSTAIN_S))
            sustained = asyncio.run(bus(batches(sustain_n), tmp, url, "SUSTAINED", pace))
        finally:
            server.stop()
    text = render(n, local, fast, sustained, pace)
    print(text)
    if not args.no_write:
        report.write(args.output, "nats_bus", text)


if __name__ == "__main__":
    main()
