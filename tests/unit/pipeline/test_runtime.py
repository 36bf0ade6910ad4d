from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from mdc.config import Config, ConfigError, SymbolConfig, load_config
from mdc.domain.events import BookSnapshot, Event, Gap, Trade
from mdc.pipeline.runtime import Runtime
from mdc.providers.base import StreamingProvider
from mdc.providers.simulated.stream import SimulatedProvider


class RecordingStore:
    """An EventStore that keeps what it is given (the runtime's contract with storage)."""

    def __init__(self) -> None:
        self.batches: list[list[Event]] = []
        self.raw: list[tuple[str, int, bytes | str]] = []
        self.bad: list[tuple[str, str]] = []
        self.closed = 0

    def append(self, batch: list[Event]) -> None:
        self.batches.append(list(batch))

    def write_raw(self, provider: str, ts_recv: int, data: bytes | str) -> None:
        self.raw.append((provider, ts_recv, data))

    def write_bad_frame(self, provider: str, ts_recv: int, data: bytes | str, error: str) -> None:
        self.bad.append((provider, error))

    def close(self) -> None:
        self.closed += 1

    def stats(self) -> dict[str, Any]:
        return {"batches": len(self.batches)}


def trades(symbol: str, start: int, n: int) -> list[Event]:
    return [
        Trade(
            symbol=symbol,
            venue="V",
            provider="list",
            ts_event=i,
            ts_recv=i,
            seq=i,
            price=1.0,
            size=1.0,
        )
        for i in range(start, start + n)
    ]


class ListProvider(StreamingProvider):
    """Publishes fixed batches, one bad frame, then idles like a quiet live feed."""

    def __init__(self, config: Config, sink: Any, batches: list[list[Event]]) -> None:
        super().__init__(config, sink)
        self.batches = batches
        self.subscribed: list[str] = []

    async def run(self, symbols: list[SymbolConfig]) -> None:
        self.subscribed = [s.symbol for s in symbols]
        self.sink.raw("list", 1, b"frame")
        self.sink.bad_frame("list", 2, b"{garbage", "unexpected end of JSON")
        for batch in self.batches:
            await self.sink.publish(batch)
        await asyncio.Event().wait()

    async def subscribe(self, symbols: list[SymbolConfig]) -> None:
        self.subscribed += [s.symbol for s in symbols]

    async def unsubscribe(self, symbols: list[str]) -> None:
        self.subscribed = [s for s in self.subscribed if s not in symbols]


def make_runtime(batches: list[list[Event]], tmp_path: Path) -> tuple[Runtime, RecordingStore]:
    config = load_config(env={"MDC_STORAGE__ROOT": str(tmp_path)})
    store = RecordingStore()
    runtime = Runtime(config, store=store)
    runtime.providers["list"] = ListProvider(config, runtime, batches)
    return runtime, store


def test_everything_published_is_stored_once_then_the_store_closes(tmp_path: Path) -> None:
    batches = [trades("SPY", i * 100, 100) for i in range(50)]
    runtime, store = make_runtime(batches, tmp_path)

    async def scenario() -> None:
        live = runtime.fanout.add("dashboard", 1_000_000, "drop_oldest")
        task = asyncio.create_task(runtime.run())
        while runtime.events_stored < 5000:
            await asyncio.sleep(0.01)
        runtime.stop()
        await task
        assert live.published == 5000

    asyncio.run(scenario())
    stored = [e.seq for b in store.batches for e in b]
    assert stored == list(range(5000))
    assert store.closed == 1
    assert runtime.events_by_type == {"trades": 5000}
    assert runtime.symbol_counts["SPY"] == 5000
    assert runtime.bad_frames == 1 and store.bad == [("list", "unexpected end of JSON")]
    assert store.raw == [("list", 1, b"frame")]


def test_stop_drains_what_is_queued(tmp_path: Path) -> None:
    batches = [trades("AAPL", i * 10, 10) for i in range(100)]
    runtime, store = make_runtime(batches, tmp_path)

    async def scenario() -> None:
        task = asyncio.create_task(runtime.run())
        while runtime.ingest.qsize() < 100 and runtime.events_stored < 1000:
            await asyncio.sleep(0)
        runtime.stop()
        await task

    asyncio.run(scenario())
    assert sum(len(b) for b in store.batches) == 1000


def test_duration_bounds_the_run_and_symbols_change_live(tmp_path: Path) -> None:
    runtime, _ = make_runtime([trades("SPY", 0, 1)], tmp_path)

    async def scenario() -> list[str]:
        task = asyncio.create_task(runtime.run(duration=0.3))
        await asyncio.sleep(0.1)
        added = await runtime.add_symbols([SymbolConfig(symbol="QQQ")])
        removed = await runtime.remove_symbols(["AAPL", "NOPE"])
        assert (added, removed) == (["QQQ"], ["AAPL"])
        await task
        provider = runtime.providers["list"]
        assert isinstance(provider, ListProvider)
        return provider.subscribed

    assert asyncio.run(scenario()) == ["SPY", "MSFT", "QQQ"]
    status = runtime.status()
    assert set(status["symbols"]) == {"SPY", "MSFT", "QQQ"}
    assert status["pipeline"]["events_stored"] == 1


def test_a_failing_provider_is_reported_not_hidden(tmp_path: Path) -> None:
    class Broken(ListProvider):
        async def run(self, symbols: list[SymbolConfig]) -> None:
            raise RuntimeError("credentials rejected")

    config = load_config(env={"MDC_STORAGE__ROOT": str(tmp_path)})
    store = RecordingStore()
    runtime = Runtime(config, store=store)
    runtime.providers["broken"] = Broken(config, runtime, [])
    asyncio.run(asyncio.wait_for(runtime.run(), 5))
    assert runtime.fatal_error == "credentials rejected"
    assert store.closed == 1


def test_a_book_reset_by_a_gap_gets_a_fresh_snapshot(tmp_path: Path) -> None:
    config = load_config(
        env={
            "MDC_STORAGE__ROOT": str(tmp_path),
            "MDC_SYMBOLS": "SPY",
            "MDC_PROVIDERS__SIMULATED__RATE": "5000",
        }
    )
    store = RecordingStore()
    runtime = Runtime(config, store=store)
    provider = runtime.start_provider("simulated")
    assert isinstance(provider, SimulatedProvider)

    async def scenario() -> None:
        task = asyncio.create_task(runtime.run())
        while runtime.events_stored < 500:
            await asyncio.sleep(0.05)
        provider.inject_gap("SPY", 3)
        while not any(isinstance(e, Gap) for b in store.batches for e in b):
            await asyncio.sleep(0.05)
        await asyncio.sleep(2.5)  # the resync check runs every second
        runtime.stop()
        await task

    asyncio.run(asyncio.wait_for(scenario(), 20))
    events = [e for b in store.batches for e in b]
    gap_at = next(i for i, e in enumerate(events) if isinstance(e, Gap))
    assert any(isinstance(e, BookSnapshot) for e in events[gap_at:])
    assert runtime.collectors.awaiting_snapshot() == []


def test_routes_give_each_symbol_set_its_own_provider(tmp_path: Path) -> None:
    config = load_config(
        env={"MDC_STORAGE__ROOT": str(tmp_path), "MDC_SYMBOLS": "SPY,AAPL"},
        overrides={"routes": [{"symbols": ["QQQ", "AAPL"], "provider": "simulated"}]},
    )
    store = RecordingStore()
    runtime = Runtime(config, store=store)

    async def scenario() -> dict[str, set[str]]:
        task = asyncio.create_task(runtime.run())
        while {e.symbol for b in store.batches for e in b} != {"SPY", "AAPL", "QQQ"}:
            await asyncio.sleep(0.05)
        await runtime.add_symbols([SymbolConfig(symbol="IWM")])
        await runtime.remove_symbols(["AAPL"])
        subscribed = {k: set(p.state.subscribed) for k, p in runtime.providers.items()}
        runtime.stop()
        await task
        return subscribed

    subscribed = asyncio.run(asyncio.wait_for(scenario(), 20))
    # The route's provider and the default one are two instances of the simulated feed.
    assert subscribed == {"simulated": {"SPY", "IWM"}, "simulated[0]": {"QQQ"}}


def test_a_symbol_in_two_routes_is_a_config_error() -> None:
    routes = [{"symbols": ["A"], "provider": "x"}, {"symbols": ["A"], "provider": "y"}]
    with pytest.raises(ConfigError, match=r"^routes: symbol 'A' is in more than one route$"):
        load_config(env={}, overrides={"routes": routes})


def test_with_every_symbol_routed_the_default_feed_starts_on_demand(tmp_path: Path) -> None:
    config = load_config(
        env={"MDC_STORAGE__ROOT": str(tmp_path), "MDC_SYMBOLS": "QQQ"},
        overrides={"routes": [{"symbols": ["QQQ"], "provider": "simulated"}]},
    )
    runtime = Runtime(config, store=RecordingStore())

    async def scenario() -> dict[str, set[str]]:
        task = asyncio.create_task(runtime.run())
        while not runtime.accepting:
            await asyncio.sleep(0.01)
        assert list(runtime.providers) == ["simulated"]  # the route only
        await runtime.remove_symbols(["QQQ"])
        await runtime.add_symbols([SymbolConfig(symbol="QQQ"), SymbolConfig(symbol="SPY")])
        await asyncio.sleep(0.2)
        subscribed = {k: set(p.state.subscribed) for k, p in runtime.providers.items()}
        runtime.stop()
        await task
        return subscribed

    subscribed = asyncio.run(asyncio.wait_for(scenario(), 20))
    assert subscribed == {"simulated": {"QQQ"}, "simulated[default]": {"SPY"}}
