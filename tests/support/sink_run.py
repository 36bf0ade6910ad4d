"""Driving a sink in a test: events to append, and a run through an outage of its server."""

from __future__ import annotations

import asyncio
from typing import Any

from mdc.config.schema import SinkConfig
from mdc.domain.events import Event, Trade
from mdc.sinks.base import Sink
from mdc.storage import Store

T = 1_709_303_400_000_000_000


def trades(
    start: int, n: int, symbol: str = "AAPL", venue: str = "XNAS", **extra: Any
) -> list[Event]:
    return [
        Trade(
            symbol=symbol, venue=venue, provider="sim", ts_event=T + i, ts_recv=T + i, seq=i,
            price=100.0 + i / 8, size=1.0, **extra,
        )
        for i in range(start, start + n)
    ]  # fmt: skip


async def through_outage(
    sink: Sink, store: Store, up: SinkConfig, first: list[Event], second: list[Event]
) -> None:
    """``first`` appended while the sink's server is unreachable (its config points nowhere):
    it fails, retries and hands nothing on; then the server is reachable (``up``), ``second``
    is appended, and the sink catches up with both."""
    task = asyncio.create_task(sink.run())
    store.append(first)
    while sink.errors < 2:
        await asyncio.sleep(0.05)
    assert sink.position == 0 and not sink.connected
    sink.cfg = up
    store.append(second)
    while sink.position < store.wal_lsn:
        await asyncio.sleep(0.05)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
