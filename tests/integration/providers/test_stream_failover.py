"""Failover between two real providers, each against its own local protocol server."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from collecting_sink import CollectingSink, eventually
from stream_servers import AlpacaServer, PolygonServer
from tests.support.metrics import exposition, promtool_verdict, samples

from mdc.config.schema import Config, PipelineConfig, SymbolConfig
from mdc.domain.events import Gap, Status, Trade
from mdc.domain.rfc3339 import rfc3339_ns
from mdc.monitoring.metrics import provider_families
from mdc.pipeline.failover import FailoverSupervisor
from mdc.pipeline.runtime import Runtime

FAST: dict[str, Any] = {
    "reconnect_initial_s": 0.01,
    "reconnect_max_s": 0.05,
    "stale_market_hours_only": False,
    "close_timeout_s": 0.2,
    "connect_timeout_s": 1.0,
}
AAPL = SymbolConfig(symbol="AAPL")
MS = 1_000_000

pytestmark = pytest.mark.usefixtures("registry_of_streaming_providers")


@pytest.fixture(autouse=True)
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALPACA_KEY_ID", "KEY")
    monkeypatch.setenv("ALPACA_SECRET_KEY", "SECRET")
    monkeypatch.setenv("POLYGON_API_KEY", "POLYKEY")


def alpaca_trade(second: int, i: int) -> dict[str, Any]:
    return {
        "T": "t",
        "S": "AAPL",
        "i": i,
        "x": "V",
        "p": 1.0,
        "s": 1,
        "t": f"2024-03-12T14:31:{second:02d}Z",
    }


def polygon_trade(second: int, q: int) -> dict[str, Any]:
    t = rfc3339_ns(f"2024-03-12T14:31:{second:02d}Z") // MS
    return {"ev": "T", "sym": "AAPL", "x": 4, "i": str(q), "z": 3, "p": 1.0, "s": 1, "t": t, "q": q}


def sec(second: int) -> int:
    return rfc3339_ns(f"2024-03-12T14:31:{second:02d}Z")


def test_fail_over_to_the_second_and_back_to_the_first() -> None:
    async def main() -> None:
        alpaca = await AlpacaServer().start()
        polygon = await PolygonServer().start()
        cfg = Config(
            provider="alpaca",
            failover=["polygon"],
            symbols=["AAPL"],
            pipeline=PipelineConfig(failover_after_s=0.3, failback_after_s=0.3),
            providers={
                "alpaca": {"stream_url": alpaca.url(), **FAST},
                "polygon": {"stream_url": polygon.url(), **FAST},
            },
        )
        sink = CollectingSink()
        supervisor = FailoverSupervisor(cfg, sink, ["alpaca", "polygon"])
        task = asyncio.create_task(supervisor.run([AAPL]))
        try:
            await alpaca.wait_for(lambda: alpaca.subscribed("trades", ["AAPL"]))
            assert polygon.connections == 0  # the fallback is started only when needed
            await alpaca.send([alpaca_trade(1, 1)])
            await sink.wait_count(Trade, 1)

            await alpaca.stop()  # the first provider dies
            await polygon.wait_for(lambda: polygon.subscribed("T", ["AAPL"]), timeout=5)
            assert supervisor.active.name == "polygon"
            await polygon.send([polygon_trade(5, 50)])
            await sink.wait_count(Trade, 2)

            await alpaca.start()  # back on the same port: reconnects, then takes over again
            await alpaca.wait_for(lambda: alpaca.subscribed("trades", ["AAPL"]), timeout=5)
            await eventually(lambda: supervisor.active.name == "alpaca", timeout=5)
            await polygon.wait_for(lambda: not polygon.clients, timeout=5)  # fallback stopped
            await alpaca.send([alpaca_trade(20, 2)])
            await sink.wait_count(Trade, 3)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await alpaca.stop()
            await polygon.stop()

        got = [
            (type(e).__name__, e.provider, e.ts_event if not isinstance(e, Status) else None)
            for e in sink.events
        ]
        assert got == [
            ("Trade", "alpaca", sec(1)),
            ("Status", "polygon", None),
            ("Gap", "polygon", sec(1)),
            ("Trade", "polygon", sec(5)),
            ("Status", "alpaca", None),
            ("Gap", "alpaca", sec(5)),
            ("Trade", "alpaca", sec(20)),
        ]
        gaps = sink.of(Gap)
        assert [(g.from_ts, g.to_ts, g.reason) for g in gaps] == [  # type: ignore[attr-defined]
            (sec(1), sec(5), "failover"),
            (sec(5), sec(20), "failover"),
        ]
        assert gaps[0].detail.startswith("alpaca -> polygon: alpaca unhealthy for")  # type: ignore[attr-defined]
        assert gaps[1].detail == "polygon -> alpaca: alpaca healthy again"  # type: ignore[attr-defined]
        statuses = sink.of(Status)
        assert [(s.kind, s.state) for s in statuses] == [  # type: ignore[attr-defined]
            ("failover", "polygon"),
            ("failover", "alpaca"),
        ]
        assert supervisor.switches == 2
        text = exposition(provider_families({"failover": supervisor}))
        got = samples(text)
        assert got[("mdc_failover_switches_total", (("provider", "failover"),))] == 2
        assert got[("mdc_failover_active", (("provider", "alpaca"),))] == 1
        assert got[("mdc_failover_active", (("provider", "polygon"),))] == 0
        assert promtool_verdict(text) == (0, "")

    asyncio.run(main())


def test_a_rejected_key_fails_over_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALPACA_SECRET_KEY", "WRONG")

    async def main() -> None:
        alpaca = await AlpacaServer().start()
        polygon = await PolygonServer().start()
        cfg = Config(
            provider="alpaca",
            failover=["polygon"],
            symbols=["AAPL"],
            providers={
                "alpaca": {"stream_url": alpaca.url(), **FAST},
                "polygon": {"stream_url": polygon.url(), **FAST},
            },
        )
        sink = CollectingSink()
        supervisor = FailoverSupervisor(cfg, sink, ["alpaca", "polygon"])
        task = asyncio.create_task(supervisor.run([AAPL]))
        try:
            await polygon.wait_for(lambda: polygon.subscribed("T", ["AAPL"]), timeout=5)
            assert supervisor.members[0].failed
            assert "402" in str(supervisor.members[0].error)
            await polygon.send([polygon_trade(5, 50)])
            await sink.wait_count(Trade, 1)
            await eventually(lambda: supervisor.state.state == "streaming via polygon")
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await alpaca.stop()
            await polygon.stop()

    asyncio.run(main())


class MemoryStore:
    """The EventStore contract, in memory."""

    def __init__(self) -> None:
        self.events: list[Any] = []

    def append(self, batch: list[Any]) -> None:
        self.events.extend(batch)

    def write_raw(self, provider: str, ts_recv: int, data: bytes | str) -> None:
        pass

    def write_bad_frame(self, provider: str, ts_recv: int, data: bytes | str, error: str) -> None:
        pass

    def close(self) -> None:
        pass

    def stats(self) -> dict[str, Any]:
        return {"events": len(self.events)}


def test_the_runtime_runs_the_supervisor_when_failover_is_configured() -> None:
    async def main() -> None:
        alpaca = await AlpacaServer().start()
        cfg = Config(
            provider="alpaca",
            failover=["polygon"],
            symbols=["AAPL"],
            providers={
                "alpaca": {"stream_url": alpaca.url(), **FAST},
                "polygon": {"stream_url": "ws://127.0.0.1:9/unused", **FAST},
            },
        )
        store = MemoryStore()
        runtime = Runtime(cfg, store=store)
        task = asyncio.create_task(runtime.run())
        try:
            await alpaca.wait_for(lambda: alpaca.subscribed("trades", ["AAPL"]))
            assert isinstance(runtime.providers["failover"], FailoverSupervisor)
            await alpaca.send([alpaca_trade(1, 1)])
            await eventually(lambda: len(store.events) == 1)
            await eventually(
                lambda: runtime.status()["providers"]["failover"]["state"] == "streaming via alpaca"
            )
        finally:
            runtime.stop()
            await task
            await alpaca.stop()
        assert [(type(e).__name__, e.provider) for e in store.events] == [("Trade", "alpaca")]

    asyncio.run(main())
