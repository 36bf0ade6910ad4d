"""What the live view on core NATS costs a collector, as ratios to the dashboard's own live view.

Stages, on the same collected batches (simulated ``trades_quotes`` frames of 1,000 events,
20 symbols), best of ``--repeats``, in this process:

- ``floor``: ``LiveView.ingest`` of every batch (the dashboard consumer every collector runs);
- ``live view``: ``LivePublisher.ingest`` of every batch (the ``--live`` consumer);
- ``view message``: ``LivePublisher.messages()`` once, for 20 and for 2,000 symbols (it runs
  once per ``live_interval_s``, 1 s: its share of a core is its time per second).

Neither runs in the processor: each is a fan-out consumer with a drop policy, so these figures
are CPU taken beside the pipeline, not latency added to it.

    python benchmarks/live_view.py             # prints the table, updates BENCHMARKS.md
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

import frames as frames_mod
import report
import stages
from mdc.config.schema import Config, DistributedConfig
from mdc.distributed.live import LivePublisher
from mdc.domain.events import Event, Trade
from mdc.pipeline.runtime import Runtime
from mdc.web.live import LiveView

OUTPUT: Final = Path(__file__).resolve().parent / "BENCHMARKS.md"


class _NoStore:
    """The runtime's store is not touched here."""


class _NoSource:
    async def get(self) -> list[Event]:
        return []


def best(fn: Callable[[], Any], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def publisher(status: dict[str, Any]) -> LivePublisher:
    return LivePublisher(DistributedConfig(), "bench", _NoSource(), lambda: status)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()

    gen = frames_mod.generate("trades_quotes", args.events, 1000, 20)
    batches = [stages.make_collectors().process(b) for b in stages.parse(gen.frames)]
    events = sum(len(b) for b in batches)
    runtime = Runtime(Config(), store=_NoStore())  # type: ignore[arg-type]

    def dashboard() -> None:
        view = LiveView(runtime, None)  # type: ignore[arg-type]
        for batch in batches:
            view.ingest(batch)

    def live() -> None:
        pub = publisher({"events_in": events})
        for batch in batches:
            pub.ingest(batch)

    floor = best(dashboard, args.repeats)
    ours = best(live, args.repeats)

    rows = [
        [
            "dashboard live view (floor)",
            report.rate(events / floor),
            "1.00",
            f"{floor / events * 1e9:,.0f}",
        ],
        [
            "`--live` consumer",
            report.rate(events / ours),
            f"{floor / ours:.2f}",
            f"{ours / events * 1e9:,.0f}",
        ],
    ]
    view_rows = []
    for symbols in (20, 2000):
        pub = publisher({"events_in": events})
        pub.ingest(
            [
                Trade(
                    symbol=f"S{i}",
                    venue="V",
                    provider="p",
                    ts_event=i,
                    ts_recv=i,
                    price=1.0,
                    size=1.0,
                )
                for i in range(symbols)
            ]
            + batches[0]
        )
        seconds = best(pub.messages, args.repeats)
        size = sum(map(len, pub.messages()))
        view_rows.append(
            [
                f"{len(pub.symbols):,} symbols",
                f"{seconds * 1e3:,.2f}",
                f"{seconds * 100:.3f}",
                f"{size:,}",
            ]
        )

    body = (
        "## Live view on core NATS (`mdc collect --live`)\n\n"
        f"{report.machine()}\n\n"
        f"{events:,} collected events (simulated `trades_quotes`, batches of 1,000, "
        "20 symbols), "
        f"best of {args.repeats}, in one process (`benchmarks/live_view.py`). Both consumers "
        "run beside the pipeline (fan-out queues with a drop policy), not in it.\n\n"
        + report.table(["consumer", "events/s", "× floor", "ns/event"], rows)
        + "\nThe view itself, built once per `live_interval_s` (1 s):\n\n"
        + report.table(["view of", "ms per view", "% of a core at 1/s", "JSON bytes"], view_rows)
    )
    print(body)
    report.write(OUTPUT, "live_view", body)


if __name__ == "__main__":
    sys.exit(main())
