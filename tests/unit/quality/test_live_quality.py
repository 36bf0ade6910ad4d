"""The live detectors judge what ``mdc collect`` streams, and their findings are stored: the same
findings the batch report finds in the day afterwards."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from tests.support.quality_day import FRIDAY, TUESDAY, faulty_week

from mdc.config import Config, SymbolConfig, load_config
from mdc.domain.events import Event, Integrity
from mdc.pipeline.runtime import Runtime
from mdc.providers.base import StreamingProvider
from mdc.quality.live import LiveQuality
from mdc.quality.report import build_report
from mdc.quality.source import ArchiveEvents
from mdc.storage.archive import open_archive


class DayProvider(StreamingProvider):
    """Streams a recorded day in receive order, 100 events a batch, then idles."""

    def __init__(self, config: Config, sink: Any, events: list[Event]) -> None:
        super().__init__(config, sink)
        self.events = sorted(events, key=lambda e: e.ts_recv)

    async def run(self, symbols: list[SymbolConfig]) -> None:
        for i in range(0, len(self.events), 100):
            await self.sink.publish(self.events[i : i + 100])
        await asyncio.Event().wait()

    async def subscribe(self, symbols: list[SymbolConfig]) -> None:
        pass

    async def unsubscribe(self, symbols: list[str]) -> None:
        pass


def test_live_findings_are_stored_and_match_the_report(tmp_path: Path) -> None:
    config = load_config(env={"MDC_STORAGE__ROOT": str(tmp_path), "MDC_SYMBOLS": "AAPL"})
    events = faulty_week()
    runtime = Runtime(config)
    runtime.providers["day"] = DayProvider(config, runtime, events)
    live = LiveQuality.attach(runtime)
    assert live is not None
    runtime.add_service("quality", live.run)

    async def scenario() -> None:
        task = asyncio.create_task(runtime.run())
        for _ in range(3000):  # at most ~30 s, then the counts below say what is missing
            if runtime.events_stored >= len(events) + 4:
                break
            await asyncio.sleep(0.01)
        runtime.stop()
        await task

    asyncio.run(scenario())
    stored = open_archive(tmp_path).events("integrity", "AAPL")
    assert all(isinstance(e, Integrity) for e in stored)
    found = sorted((e.kind, e.ts_event) for e in stored if isinstance(e, Integrity))
    assert [k for k, _ in found] == ["crossed_quote"] * 2 + ["price_spike"] * 2
    assert live.counts["price_spike"] == 2 and live.counts["crossed_quote"] == 2
    report = build_report(config, ["AAPL"], TUESDAY, FRIDAY, ["trades"])
    assert sorted((f.kind, f.ts_event) for f in report.findings) == found
    # The replay source skips the stored findings: it judges the market data only.
    assert not any(
        isinstance(e, Integrity) for e in ArchiveEvents(tmp_path).replay("AAPL", 0, 2**62)
    )
