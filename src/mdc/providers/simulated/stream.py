"""The live side of the simulated feed: frames paced at the configured rate, in real time.

Every ``batch_ms`` the provider generates the messages due since the last frame (``rate`` per
second across all symbols), encodes them in the wire format, hands the raw frame to the sink,
parses it and publishes the events — the same path a network provider takes after its socket.
When generation cannot keep up with ``rate`` it runs flat out and counts the shortfall in
``behind_events`` instead of building an ever-growing backlog.

For exercising the rest of the system it can also break things on purpose: ``inject_gap`` skips
sequence numbers (the collectors must report a ``Gap``), ``halt``/``resume`` emit trading status
changes, and ``gap_every_s``/``halt_every_s`` do both on a timer.

Pacing and timers read an injected monotonic clock and sleep through an injected sleep, so tests
drive the feed in virtual time (exact counts, no dependence on how loaded the machine is).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from typing import ClassVar, Final, TypeAlias

import msgspec

from mdc.config import Config, SymbolConfig
from mdc.domain.time import Clock, Sleep, now_ns
from mdc.providers.base import ProviderSpec, StreamingProvider, StreamSink
from mdc.providers.simulated import SPEC
from mdc.providers.simulated.config import simulated_config
from mdc.providers.simulated.market import Market, symbol_seed
from mdc.providers.simulated.parse import PROVIDER, parse_frame
from mdc.providers.simulated.wire import WireMessage, decode_frame, encode_frame

MAX_FRAME_MESSAGES: Final = 5_000
"""Larger bursts are split into several frames, like a real feed's maximum message size."""
MAX_BACKLOG_S: Final = 0.25
"""At most this much generation debt is kept, and one tick generates for at most this long;
beyond it the shortfall is dropped and counted."""
MAX_AUTO_GAP: Final = 20
"""Automatic gaps skip 1..MAX_AUTO_GAP sequence numbers."""
URL: Final = "simulated://local"

WireSink: TypeAlias = Callable[[list[WireMessage], int], Awaitable[None]]
"""Takes a decoded frame and its receive time (see ``SimulatedProvider.wire_sink``)."""


class SimulatedProvider(StreamingProvider):
    """``run`` streams until cancelled; the other methods act on the running market."""

    spec: ClassVar[ProviderSpec] = SPEC

    def __init__(
        self,
        config: Config,
        sink: StreamSink,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        super().__init__(config, sink)
        self.clock = clock
        self.sleep = sleep
        self.settings = simulated_config(config)
        self.market: Market | None = None
        self.frames = 0
        self.behind_events = 0
        self.wire_sink: WireSink | None = None
        """Set by a pipeline that runs the compiled fast path: decoded frames go there instead
        of being parsed into events here (``pipeline/fastpath.py``)."""
        self._chaos = random.Random(symbol_seed(self.settings.seed, "", "chaos"))
        self._resume_at: dict[str, float] = {}

    async def run(self, symbols: list[SymbolConfig]) -> None:
        clock = self.clock
        settings = self.settings
        self.market = market = Market(settings, ts=now_ns())
        await self.subscribe(symbols)
        self.state.url = URL
        self.state.connected = True
        self.state.state = "streaming"
        self.state.since_ns = now_ns()
        rate = settings.rate
        interval = settings.batch_ms / 1000
        start = next_tick = clock()
        next_gap = start + settings.gap_every_s if settings.gap_every_s else None
        next_halt = start + settings.halt_every_s if settings.halt_every_s else None
        sent = 0
        try:
            while True:
                next_tick += interval
                await self.sleep(max(0.0, next_tick - clock()))
                now = clock()
                next_tick = max(next_tick, now - interval)
                if next_gap is not None and now >= next_gap:
                    next_gap += settings.gap_every_s
                    self._random_gap()
                if next_halt is not None and now >= next_halt:
                    next_halt += settings.halt_every_s
                    self._random_halt(now)
                self._due_resumes(now)
                due = int(rate * (now - start)) - sent
                backlog = int(rate * MAX_BACKLOG_S)
                if due > backlog:
                    self.behind_events += due - backlog
                    sent += due - backlog
                    due = backlog
                deadline = now + MAX_BACKLOG_S
                while (due > 0 or market.pending) and clock() < deadline:
                    messages = market.messages(min(due, MAX_FRAME_MESSAGES), now_ns())
                    if not messages:  # nothing trades (no symbols, or all halted): no debt
                        sent += due
                        break
                    due -= len(messages)
                    sent += len(messages)
                    await self._deliver(encode_frame(messages))
                    await asyncio.sleep(0)
        finally:
            self.state.connected = False
            self.state.state = "stopped"

    async def _deliver(self, frame: bytes) -> None:
        """Raw capture, parse, publish: what every streaming provider does with a frame."""
        ts_recv = now_ns()
        self.sink.raw(PROVIDER, ts_recv, frame)
        try:
            if self.wire_sink is not None:
                messages = decode_frame(frame)
                self.frames += 1
                self.state.messages += len(messages)
                self.state.last_message_ns = ts_recv
                await self.wire_sink(messages, ts_recv)
                return
            events = parse_frame(frame, ts_recv, self.settings.venue)
        except msgspec.DecodeError as exc:
            self.state.errors += 1
            self.state.last_error = f"bad frame: {exc}"
            self.sink.bad_frame(PROVIDER, ts_recv, frame, str(exc))
            return
        self.frames += 1
        self.state.messages += len(events)
        self.state.last_message_ns = ts_recv
        await self.sink.publish(events)

    async def subscribe(self, symbols: list[SymbolConfig]) -> None:
        """Start symbols: each begins with a book snapshot and a quote in the next frame. A
        symbol already streaming just gets a fresh snapshot (how a consumer whose book was
        reset after a gap gets it back); its ``seq`` continues."""
        market = self._running()
        ts = now_ns()
        for symbol in symbols:
            market.add(symbol, ts)
            self.state.subscribed.add(symbol.symbol)

    async def unsubscribe(self, symbols: list[str]) -> None:
        market = self._running()
        for symbol in symbols:
            market.remove(symbol)
            self.state.subscribed.discard(symbol)
            self._resume_at.pop(symbol, None)

    def inject_gap(self, symbol: str, n_messages: int) -> None:
        """Skip ``n_messages`` sequence numbers of ``symbol`` (its next message shows the hole)."""
        self._running().inject_gap(self._known(symbol), n_messages)

    def halt(self, symbol: str) -> None:
        """Halt trading in ``symbol``: a ``Status(kind="trading", state="halted")``, then
        silence until :meth:`resume`."""
        self._running().halt(self._known(symbol), now_ns())

    def resume(self, symbol: str) -> None:
        self._resume_at.pop(symbol, None)
        self._running().resume(self._known(symbol), now_ns())

    def _random_gap(self) -> None:
        market = self._running()
        if market.active:
            model = self._chaos.choice(market.active)
            market.inject_gap(model.symbol, self._chaos.randint(1, MAX_AUTO_GAP))

    def _random_halt(self, now: float) -> None:
        market = self._running()
        candidates = [m.symbol for m in market.active if m.symbol not in self._resume_at]
        if candidates:
            symbol = self._chaos.choice(candidates)
            market.halt(symbol, now_ns())
            self._resume_at[symbol] = now + self.settings.halt_duration_s

    def _due_resumes(self, now: float) -> None:
        for symbol, at in list(self._resume_at.items()):
            if now >= at:
                self.resume(symbol)

    def _running(self) -> Market:
        if self.market is None:
            raise RuntimeError("the simulated feed is not running")
        return self.market

    def _known(self, symbol: str) -> str:
        if symbol not in self.state.subscribed:
            known = ", ".join(sorted(self.state.subscribed)) or "none"
            raise ValueError(f"{symbol!r} is not subscribed (subscribed: {known})")
        return symbol
