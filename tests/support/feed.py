"""Config and events for tests that drive the scripted provider."""

from __future__ import annotations

import time
from pathlib import Path

from mdc.config import Config, load_config
from mdc.domain.events import Event, Trade
from mdc.domain.time import now_ns
from tests.support.collector import CollectorThread, provider_of

SYMBOLS = ["AAA", "BBB"]


def scripted_config(root: Path, **env: str) -> Config:
    base = {
        "MDC_STORAGE__ROOT": str(root),
        "MDC_SYMBOLS": ",".join(SYMBOLS),
        "MDC_STORAGE__RAW_CAPTURE": "false",
    }
    return load_config(env=base | env)


def trades(symbols: list[str], n: int = 1, at: int | None = None) -> list[Event]:
    """``n`` trades per symbol, 1 ns apart from ``at`` (default: now)."""
    now = now_ns() if at is None else at
    return [
        Trade(
            symbol=s,
            venue="X",
            provider="scripted",
            ts_event=now + i,
            ts_recv=now + i,
            price=10.0,
            size=1.0,
        )
        for s in symbols
        for i in range(n)
    ]


def push(collector: CollectorThread, events: list[Event]) -> None:
    """Publish through the scripted provider and wait until the processor has taken it."""
    collector.call(lambda: provider_of(collector, "scripted").push(events))
    assert collector.runtime is not None
    deadline = time.monotonic() + 5
    while collector.runtime.ingest.qsize() and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.02)  # the processor's handle + fan-out of the last batch
