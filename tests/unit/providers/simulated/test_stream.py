"""The live simulated feed: pacing, raw frames, gaps and halts on demand and on a timer.

Every test drives the feed in virtual time (``FakeTime``): counts are exact and nothing depends
on how fast or loaded the machine is."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from mdc.config import Config, SymbolConfig, load_config
from mdc.domain.events import BookSnapshot, Event, Quote, Status
from mdc.providers.simulated.parse import parse_frame
from mdc.providers.simulated.stream import MAX_BACKLOG_S, MAX_FRAME_MESSAGES, SimulatedProvider
from tests.support.clock import FakeTime


class CollectingSink:
    """The StreamSink protocol, keeping everything it is given."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.frames: list[tuple[str, int, bytes | str]] = []
        self.bad: list[str] = []

    async def publish(self, events: list[Event]) -> None:
        self.events.extend(events)

    def raw(self, provider: str, ts_recv: int, data: bytes | str) -> None:
        self.frames.append((provider, ts_recv, data))

    def bad_frame(self, provider: str, ts_recv: int, data: bytes | str, error: str) -> None:
        self.bad.append(error)


def config(**simulated: object) -> Config:
    env = {f"MDC_PROVIDERS__SIMULATED__{k.upper()}": str(v) for k, v in simulated.items()}
    return load_config(env=env)


def simulated(time: FakeTime, **settings: object) -> tuple[SimulatedProvider, CollectingSink]:
    sink = CollectingSink()
    return SimulatedProvider(config(**settings), sink, time.clock, time.sleep), sink


async def run_for(
    provider: SimulatedProvider,
    time: FakeTime,
    seconds: float,
    symbols: list[str] = ["SPY", "AAPL", "MSFT"],  # noqa: B006 - never mutated
    during: Callable[[], Awaitable[None]] | None = None,
) -> None:
    """Run the provider until its virtual clock reaches ``seconds``, ``during`` alongside."""
    task = asyncio.create_task(provider.run([SymbolConfig(symbol=s) for s in symbols]))
    if during is not None:
        await during()
    await time.reach(seconds)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


def seq_holes(events: list[Event]) -> dict[str, list[int]]:
    """Per symbol, the size of every jump in ``seq``."""
    last: dict[str, int] = {}
    holes: dict[str, list[int]] = {}
    for event in events:
        assert event.seq is not None
        previous = last.get(event.symbol)
        if previous is not None and event.seq != previous + 1:
            holes.setdefault(event.symbol, []).append(event.seq - previous - 1)
        last[event.symbol] = event.seq
    return holes


def test_rate_is_paced_and_frames_are_captured_raw() -> None:
    asyncio.run(_test_rate_is_paced_and_frames_are_captured_raw())


async def _test_rate_is_paced_and_frames_are_captured_raw() -> None:
    time = FakeTime()
    provider, sink = simulated(time, rate=5000, batch_ms=20)
    await run_for(provider, time, 1.2)
    # The cancel came as the tick at 1.2 s woke: 59 ticks of 20 ms ran, one frame each, and
    # together they sent 5000/s (the 3 snapshots and 3 first quotes included), overshooting by at
    # most one market step.
    covered = time.now - time.sleeps[-1]
    assert covered == pytest.approx(1.18)
    assert len(sink.frames) == 59
    assert int(5000 * covered) <= len(sink.events) <= int(5000 * covered) + 10
    assert provider.behind_events == 0
    assert sink.bad == []
    reparsed = [e for _, ts, data in sink.frames for e in parse_frame(data, ts, "SIM")]
    assert reparsed == sink.events
    assert {p for p, _, _ in sink.frames} == {"simulated"}
    assert [type(e) for e in sink.events[:6]] == [BookSnapshot, Quote] * 3
    assert seq_holes(sink.events) == {}
    assert provider.state.connected is False
    assert provider.state.messages == len(sink.events)


def test_inject_gap_halt_and_resume_on_demand() -> None:
    asyncio.run(_test_inject_gap_halt_and_resume_on_demand())


async def _test_inject_gap_halt_and_resume_on_demand() -> None:
    time = FakeTime()
    provider, sink = simulated(time, rate=3000, batch_ms=10)

    async def chaos() -> None:
        await time.reach(0.2)
        provider.inject_gap("AAPL", 5)
        provider.halt("MSFT")
        await time.elapse(0.2)
        halted_at = len(sink.events)
        await time.elapse(0.1)
        assert not [e for e in sink.events[halted_at:] if e.symbol == "MSFT"]
        provider.resume("MSFT")
        await time.elapse(0.2)

    await run_for(provider, time, 0.7, during=chaos)
    assert seq_holes(sink.events) == {"AAPL": [5]}
    statuses = [(e.symbol, e.kind, e.state) for e in sink.events if isinstance(e, Status)]
    assert statuses == [("MSFT", "trading", "halted"), ("MSFT", "trading", "trading")]
    subscribed = r"'TSLA' is not subscribed \(subscribed: AAPL, MSFT, SPY\)"
    with pytest.raises(ValueError, match=subscribed):
        provider.inject_gap("TSLA", 1)


def test_subscribe_and_unsubscribe_while_running() -> None:
    asyncio.run(_test_subscribe_and_unsubscribe_while_running())


async def _test_subscribe_and_unsubscribe_while_running() -> None:
    time = FakeTime()
    provider, sink = simulated(time, rate=3000, batch_ms=10)

    async def change() -> None:
        await time.reach(0.15)
        await provider.subscribe([SymbolConfig(symbol="TSLA", depth=False)])
        await time.elapse(0.15)
        await provider.unsubscribe(["SPY"])
        sink.events.clear()
        await time.elapse(0.15)

    await run_for(provider, time, 0.5, symbols=["SPY"], during=change)
    assert {e.symbol for e in sink.events} == {"TSLA"}
    assert provider.state.subscribed == {"TSLA"}


def test_gaps_and_halts_on_a_timer() -> None:
    asyncio.run(_test_gaps_and_halts_on_a_timer())


async def _test_gaps_and_halts_on_a_timer() -> None:
    time = FakeTime()
    provider, sink = simulated(
        time, rate=4000, batch_ms=10, gap_every_s=0.2, halt_every_s=0.3, halt_duration_s=0.1
    )
    await run_for(provider, time, 1.0)
    holes = seq_holes(sink.events)
    assert sum(len(h) for h in holes.values()) == 4  # at 0.2, 0.4, 0.6 and 0.8 s
    assert all(1 <= n <= 20 for h in holes.values() for n in h)
    states = [e.state for e in sink.events if isinstance(e, Status)]
    # Halts at 0.3, 0.6 and 0.9 s, each resumed 0.1 s later (the last one after the run).
    assert states == ["halted", "trading", "halted", "trading", "halted"]


def test_a_rate_beyond_generation_speed_counts_the_shortfall() -> None:
    asyncio.run(_test_a_rate_beyond_generation_speed_counts_the_shortfall())


async def _test_a_rate_beyond_generation_speed_counts_the_shortfall() -> None:
    time = FakeTime(read_cost_s=0.05)  # each frame costs 50 ms of generation
    provider, sink = simulated(time, rate=10_000_000, batch_ms=50)
    await run_for(provider, time, 2.0)
    assert provider.behind_events > 0
    # What was sent plus what was given up is the configured rate, give or take what was still
    # owed when the run stopped: the kept debt plus one tick's generation (MAX_BACKLOG_S each).
    accounted = len(sink.events) + provider.behind_events
    assert 10_000_000 * (time.now - 2 * MAX_BACKLOG_S - 0.05) < accounted
    assert accounted < 10_000_000 * time.now + MAX_FRAME_MESSAGES
    # A tick generates for at most MAX_BACKLOG_S: here 5 frames of 50 ms, then it moves on.
    assert len(sink.frames) <= 5 * len(time.sleeps)


def test_config_errors_name_the_key() -> None:
    from mdc.config import ConfigError

    with pytest.raises(ConfigError, match=r"providers\.simulated\.rate: must be at most 10000000"):
        SimulatedProvider(config(rate=20_000_000), CollectingSink())
    with pytest.raises(ConfigError, match=r"providers\.simulated\.sede: unknown key"):
        SimulatedProvider(config(sede=1), CollectingSink())
