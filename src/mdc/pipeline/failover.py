"""Failover across streaming providers: one active feed, the others as ordered fallbacks.

``Config.provider`` followed by ``Config.failover`` is a priority list. The supervisor is itself
a :class:`StreamingProvider`, so the runtime runs it like any other. It runs the first provider;
when the active one has been unhealthy (not streaming, or stale) for
``pipeline.failover_after_s`` — or failed for good (bad key) — it starts the next one and makes
it active. Providers it left keep reconnecting in the background; with ``pipeline.failback``,
one of higher priority that stays healthy for ``pipeline.failback_after_s`` becomes active
again and the lower ones are stopped.

Only the active provider's events reach the pipeline; the others' are counted and dropped
(their raw frames are still captured). Every switch publishes, per subscribed symbol, a
``Status(kind="failover")`` and a ``Gap(reason="failover")`` from the last event published
before the switch to the first event of the new provider — so the archive says which span is
uncertain and the backfill scheduler can repair it.
"""

from __future__ import annotations

import asyncio
import collections
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar, Final

from mdc.config.schema import Config, SymbolConfig
from mdc.domain.capabilities import Capabilities
from mdc.domain.events import Event, Gap, Status
from mdc.domain.time import NS_PER_S, now_ns
from mdc.providers.base import (
    FeedCounter,
    ProviderError,
    ProviderSpec,
    StreamingProvider,
    StreamSink,
)
from mdc.providers.connection import WebSocketProvider
from mdc.providers.registry import get_spec, load_class

log = logging.getLogger(__name__)

CHECK_INTERVAL_MAX_S: Final = 0.5
"""Health is checked at least this often (and 4x per failover threshold when that is shorter)."""
NAME: Final = "failover"


@dataclass
class Member:
    """One provider of the priority list and what the supervisor knows about it."""

    name: str
    priority: int
    provider: StreamingProvider
    task: asyncio.Task[None] | None = None
    error: BaseException | None = None
    unhealthy_since: int | None = None
    healthy_since: int | None = None
    dropped: int = 0
    pending_gaps: dict[str, Gap] = field(default_factory=dict)
    """Gaps this provider closes with its first event per symbol, after becoming active."""

    @property
    def running(self) -> bool:
        return self.task is not None and not self.task.done()

    @property
    def failed(self) -> bool:
        return self.error is not None


class _MemberSink:
    """The sink each member publishes into: passes the active member's events only."""

    def __init__(self, supervisor: FailoverSupervisor, name: str) -> None:
        self.supervisor = supervisor
        self.name = name

    async def publish(self, events: list[Event]) -> None:
        await self.supervisor.deliver(self.name, events)

    def raw(self, provider: str, ts_recv: int, data: bytes | str) -> None:
        self.supervisor.sink.raw(provider, ts_recv, data)

    def bad_frame(self, provider: str, ts_recv: int, data: bytes | str, error: str) -> None:
        self.supervisor.sink.bad_frame(provider, ts_recv, data, error)


class FailoverSupervisor(StreamingProvider):
    """Runs a priority list of streaming providers and keeps exactly one active."""

    spec: ClassVar[ProviderSpec] = ProviderSpec(
        name=NAME,
        description="priority list of streaming providers with failover and failback",
        capabilities=Capabilities(),
        config=Config,
    )

    def __init__(self, config: Config, sink: StreamSink, names: Sequence[str]) -> None:
        super().__init__(config, sink)
        if len(set(names)) != len(names) or len(names) < 2:
            raise ProviderError(
                f"failover needs at least two different providers, got {', '.join(names)}"
            )
        self.members: list[Member] = []
        for priority, name in enumerate(names):
            spec = get_spec(name)
            if spec.streaming is None:
                raise ProviderError(f"failover: provider {name!r} has no live stream")
            provider = load_class(spec.streaming)(config, _MemberSink(self, name))
            self.members.append(Member(name, priority, provider))
        self.active: Member = self.members[0]
        self.switches = 0
        self._symbols: dict[str, SymbolConfig] = {}
        self._last: dict[str, tuple[int, str]] = {}
        """Per symbol: ``ts_event`` and venue of the last event published."""
        pipeline = config.pipeline
        self.failover_after_ns = int(pipeline.failover_after_s * NS_PER_S)
        self.failback_after_ns = int(pipeline.failback_after_s * NS_PER_S)
        self.stale_after_ns = int(pipeline.stale_after_s * NS_PER_S)
        self.check_interval_s = min(CHECK_INTERVAL_MAX_S, pipeline.failover_after_s / 4)
        self._sync_state()

    # -- StreamingProvider ------------------------------------------------------------------

    async def run(self, symbols: list[SymbolConfig]) -> None:
        self._symbols.update({s.symbol: s for s in symbols})
        self._start(self.active)
        try:
            while True:
                await asyncio.sleep(self.check_interval_s)
                await self.check()
        finally:
            running = [m.task for m in self.members if m.task is not None]
            for task in running:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)
            await self._publish_open_gaps()

    def counters(self) -> dict[FeedCounter, int]:
        """Switches, and the members' own counters summed."""
        total: collections.Counter[FeedCounter] = collections.Counter()
        for member in self.members:
            total.update(member.provider.counters())
        return dict(total) | {"failover_switches": self.switches}

    async def subscribe(self, symbols: list[SymbolConfig]) -> None:
        self._symbols.update({s.symbol: s for s in symbols})
        for member in self.members:
            if member.running:
                await member.provider.subscribe(symbols)

    async def unsubscribe(self, symbols: list[str]) -> None:
        for symbol in symbols:
            self._symbols.pop(symbol, None)
            self._last.pop(symbol, None)
        for member in self.members:
            for symbol in symbols:
                member.pending_gaps.pop(symbol, None)
            if member.running:
                await member.provider.unsubscribe(symbols)

    # -- events -----------------------------------------------------------------------------

    async def deliver(self, name: str, events: list[Event]) -> None:
        """Publish ``events`` from member ``name`` if it is the active one."""
        member = self.active
        if member.name != name:
            for m in self.members:
                if m.name == name:
                    m.dropped += len(events)
            return
        if any(isinstance(ev, Gap) for ev in events):
            events = [ev for ev in events if not self._superseded(ev)]
        if member.pending_gaps:
            closing: dict[str, Gap] = {}
            for ev in events:
                gap = member.pending_gaps.get(ev.symbol)
                if gap is not None and ev.symbol not in closing and not isinstance(ev, Gap):
                    gap.to_ts = max(ev.ts_event, gap.from_ts)
                    gap.ts_recv = now_ns()
                    closing[ev.symbol] = gap
            if closing:
                for symbol in closing:
                    del member.pending_gaps[symbol]
                events = [*closing.values(), *events]
        await self.sink.publish(events)
        last = self._last
        for ev in events:
            last[ev.symbol] = (ev.ts_event, ev.venue)

    def _superseded(self, event: Event) -> bool:
        """A member's own outage gap that began before data another provider delivered: that
        provider covered its start and the switch's failover gap covers the rest."""
        if not isinstance(event, Gap) or event.reason == "failover":
            return False
        last = self._last.get(event.symbol)
        return last is not None and event.from_ts < last[0]

    # -- health -----------------------------------------------------------------------------

    def healthy(self, member: Member, now: int) -> bool:
        """Streaming and not stale (market-hours aware for WebSocket providers)."""
        if not member.running:
            return False
        state = member.provider.state
        if not state.connected or state.state != "streaming":
            return False
        provider = member.provider
        if isinstance(provider, WebSocketProvider):
            return not provider.session.is_stale(now)
        return now - state.last_message_ns < self.stale_after_ns

    async def check(self) -> None:
        """One round: note failures, fail over, fail back."""
        now = now_ns()
        for member in self.members:
            self._note_exit(member)
            if self.healthy(member, now):
                member.unhealthy_since = None
                member.healthy_since = member.healthy_since or now
            else:
                member.healthy_since = None
                member.unhealthy_since = member.unhealthy_since or now
        self._sync_state()
        active = self.active
        if active.failed or (
            active.unhealthy_since is not None
            and now - active.unhealthy_since >= self.failover_after_ns
        ):
            target = self._fallback(active, now)
            if target is not None:
                await self.switch(target, self._why(active, now))
            elif all(m.failed for m in self.members):
                raise self.members[0].error or ProviderError("failover: every provider failed")
        elif self.config.pipeline.failback:
            for member in self.members[: active.priority]:
                since = member.healthy_since
                if since is not None and now - since >= self.failback_after_ns:
                    await self.switch(member, f"{member.name} healthy again")
                    break

    @staticmethod
    def _why(member: Member, now: int) -> str:
        if member.failed:
            return f"{member.name} failed: {member.error}"
        state = member.provider.state
        seconds = (now - (member.unhealthy_since or now)) / NS_PER_S
        return f"{member.name} unhealthy for {seconds:.1f}s ({state.last_error or state.state})"

    def _fallback(self, active: Member, now: int) -> Member | None:
        """The next member to try: in priority order after the active one, then wrapping;
        running ones only when healthy, failed ones never."""
        n = len(self.members)
        for step in range(1, n):
            member = self.members[(active.priority + step) % n]
            if member.failed:
                continue
            if member.running and not self.healthy(member, now):
                continue
            return member
        return None

    async def switch(self, target: Member, why: str) -> None:
        """Make ``target`` active: Status + pending Gap per symbol; stop lower priorities."""
        previous = self.active
        now = now_ns()
        log.warning("failover: %s -> %s (%s)", previous.name, target.name, why)
        self.active = target
        self.switches += 1
        target.pending_gaps = {}
        statuses: list[Event] = []
        for symbol in self._symbols:
            last_ts, venue = self._last.get(symbol, (now, ""))
            target.pending_gaps[symbol] = Gap(
                symbol=symbol,
                venue=venue,
                provider=target.name,
                ts_event=last_ts,
                ts_recv=now,
                from_ts=last_ts,
                to_ts=last_ts,
                reason="failover",
                detail=f"{previous.name} -> {target.name}: {why}",
            )
            statuses.append(
                Status(
                    symbol=symbol,
                    venue=venue,
                    provider=target.name,
                    ts_event=now,
                    ts_recv=now,
                    kind="failover",
                    state=target.name,
                    detail=f"{previous.name} -> {target.name}: {why}",
                )
            )
        if statuses:
            await self.sink.publish(statuses)
        if not target.running:
            self._start(target)
        if target.priority < previous.priority:
            await self._stop_below(target)
        self._sync_state()

    async def _publish_open_gaps(self) -> None:
        """Switch gaps the new provider never closed: data is missing up to now."""
        gaps: list[Event] = []
        now = now_ns()
        for gap in self.active.pending_gaps.values():
            gap.to_ts = max(now, gap.from_ts)
            gap.ts_recv = now
            gap.detail += "; still open when the stream ended"
            gaps.append(gap)
        self.active.pending_gaps = {}
        if gaps:
            await self.sink.publish(gaps)

    # -- members ----------------------------------------------------------------------------

    def _start(self, member: Member) -> None:
        member.error = None
        member.unhealthy_since = now_ns()
        member.healthy_since = None
        symbols = list(self._symbols.values())
        member.task = asyncio.create_task(member.provider.run(symbols), name=member.name)

    async def _stop_below(self, target: Member) -> None:
        for member in self.members[target.priority + 1 :]:
            if member.task is not None:
                member.task.cancel()
                await asyncio.gather(member.task, return_exceptions=True)
                member.task = None

    def _note_exit(self, member: Member) -> None:
        task = member.task
        if task is None or not task.done() or task.cancelled():
            return
        error = task.exception() or ProviderError(f"{member.name} stopped streaming")
        if member.error is None:
            log.error("failover: %s stopped: %s", member.name, error)
        member.error = error

    def _sync_state(self) -> None:
        """Mirror the active provider's connection into ours, for /status and metrics."""
        src = self.active.provider.state
        dst = self.state
        dst.connected = src.connected
        dst.state = f"{src.state} via {self.active.name}"
        dst.url = src.url
        dst.since_ns = src.since_ns
        dst.last_message_ns = src.last_message_ns
        dst.messages = sum(m.provider.state.messages for m in self.members)
        dst.reconnects = sum(m.provider.state.reconnects for m in self.members)
        dst.errors = sum(m.provider.state.errors for m in self.members)
        dst.bad_frames = sum(m.provider.state.bad_frames for m in self.members)
        dst.events = sum(m.provider.state.events for m in self.members)
        dst.gaps = sum(m.provider.state.gaps for m in self.members)
        dst.last_error = src.last_error
        dst.subscribed = set(self._symbols)
