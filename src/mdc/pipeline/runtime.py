"""A running collector: providers → ingest queue → collectors → store (WAL) → live fan-out.

The providers' read loops only parse and ``publish`` into the bounded ingest queue; one processor
task takes batches off it, runs the collectors, appends to the store (the WAL makes them
acknowledged) and fans them out to live consumers. On stop, providers are cancelled first, the
ingest queue is drained through the same path, and the store is closed (flush, fsync,
checkpoint), so everything acknowledged is in the archive when ``run`` returns.
"""

from __future__ import annotations

import asyncio
import logging
import operator
from collections import Counter, deque
from collections.abc import Callable, Coroutine
from typing import Any, Final

from mdc import __version__
from mdc.collectors.chain import Collectors
from mdc.config.schema import Config, SymbolConfig
from mdc.domain import native
from mdc.domain.events import TYPE_NAMES, Event, Gap
from mdc.domain.time import NS_PER_S, now_ns
from mdc.pipeline import fastpath
from mdc.pipeline.failover import FailoverSupervisor
from mdc.pipeline.fanout import FanOut
from mdc.pipeline.frames import FrameEvents
from mdc.pipeline.storage_stats import StorageStats
from mdc.providers.base import StreamingProvider
from mdc.providers.registry import get_spec, load_class
from mdc.storage import StoragePaused, open_store
from mdc.storage.base import EventStore

log = logging.getLogger(__name__)

MAX_MERGE_EVENTS: Final = 65_536
"""The processor merges queued batches up to this many events per store append."""
RECENT_BAD_FRAMES: Final = 100
RECENT_RELOADS: Final = 20
STORAGE_TICK_S: Final = 0.1
RESYNC_CHECK_S: Final = 1.0
"""How often books reset after a gap are looked for, to ask their provider for a snapshot."""
RESYNC_RETRY_S: Final = 10.0
"""A book still waiting this long after a resync request is asked for again."""

ServiceFactory = Callable[[], Coroutine[Any, Any, None]]
_symbol = operator.attrgetter("symbol")


class Runtime:
    """Everything a running ``mdc collect`` holds; the web app and CLI read it."""

    def __init__(
        self,
        config: Config,
        store: EventStore | None = None,
    ) -> None:
        self.config = config
        self.symbols: dict[str, SymbolConfig] = {s.symbol: s for s in config.symbol_configs()}
        depth = max((s.depth_levels for s in self.symbols.values()), default=10)
        self.collectors = Collectors(
            depth_levels=depth, stale_after_ns=int(config.pipeline.stale_after_s * NS_PER_S)
        )
        self.store: EventStore = store if store is not None else open_store(config.storage)
        self.fanout = FanOut()
        self.ingest: asyncio.Queue[list[Event] | fastpath.WireBatch] = asyncio.Queue(
            config.pipeline.ingest_batches
        )
        self.providers: dict[str, StreamingProvider] = {}
        """Running streaming providers by key (the provider's name, or a route's label)."""
        self._routed: dict[str, str] = {}
        """Symbol → key of the provider of its route; other symbols go to the default."""
        self._route_keys: set[str] = set()
        self.started_ns = now_ns()
        self.events_in = 0
        """Events providers handed to the pipeline (counted before the ingest queue)."""
        self.events_stored = 0
        self.events_unacknowledged = 0
        """Events never acknowledged because the collector stopped while storage was paused."""
        self.events_by_type: Counter[str] = Counter()
        self.last_event_ns: dict[str, int] = {}
        self.symbol_counts: Counter[str] = Counter()
        self.bad_frames = 0
        self.stats_errors = 0
        self._stats_error = ""
        self.recent_bad_frames: deque[dict[str, Any]] = deque(maxlen=RECENT_BAD_FRAMES)
        self.accepting = False
        self._services: dict[str, ServiceFactory] = {}
        self._stop = asyncio.Event()
        self._provider_tasks: dict[str, asyncio.Task[None]] = {}
        self.fatal_error: str | None = None
        self.storage_paused: str | None = None
        """Why writing is paused (the disk guard's reason), for the stop log; None when writing."""
        self.gap_listeners: list[Callable[[Gap], None]] = []
        """Called with every stored ``Gap`` (e.g. the backfill scheduler's auto-repair)."""
        self.config_listeners: list[Callable[[Config], None]] = []
        """Called with the new config after a reload (scheduler, web state)."""
        self.live_keys: set[str] = set()
        """Config keys a service applies itself on a reload (its listener reads them)."""
        self.reloads: deque[dict[str, Any]] = deque(maxlen=RECENT_RELOADS)
        """The latest config reloads (``pipeline/reload.py``), newest last, for /status."""
        self._feeds_changed = asyncio.Event()
        self.wal_consumers: dict[str, Callable[[], dict[str, Any]]] = {}
        """Stats of the WAL's other consumers (a JetStream publisher, sinks) by name."""
        self.drains: list[Callable[[], Coroutine[Any, Any, None]]] = []
        """Awaited at stop once everything is stored, before the services are cancelled: a
        WAL consumer hands on what it still can (it goes on from its position next start)."""
        self.add_service("storage", self._maintain_storage)

    # -- StreamSink -------------------------------------------------------------------------
    async def publish(self, events: list[Event]) -> None:
        if events:
            # Counted at receipt: while storage is paused the backlog shows as received minus
            # stored (``mdc_events_received`` vs ``mdc_events_stored``).
            self.events_in += len(events)
            await self.ingest.put(events)

    async def publish_wire(self, batch: fastpath.WireBatch) -> None:
        """Queue a decoded frame of a provider on the compiled fast path."""
        self.events_in += len(batch.messages)
        await self.ingest.put(batch)

    def raw(self, provider: str, ts_recv: int, data: bytes | str) -> None:
        if self.config.storage.raw_capture:
            self.store.write_raw(provider, ts_recv, data)

    def bad_frame(self, provider: str, ts_recv: int, data: bytes | str, error: str) -> None:
        self.bad_frames += 1
        text = data if isinstance(data, str) else data.decode("utf-8", "replace")
        self.recent_bad_frames.append(
            {"provider": provider, "ts_recv": ts_recv, "error": error, "frame": text[:2000]}
        )
        self.store.write_bad_frame(provider, ts_recv, data, error)
        log.warning("bad frame from %s: %s", provider, error)

    # -- control ----------------------------------------------------------------------------
    def add_service(self, name: str, factory: ServiceFactory) -> None:
        """A long-running task (HTTP server, backfill scheduler) started and stopped with us."""
        self._services[name] = factory

    def stop(self) -> None:
        """Ask ``run`` to drain and return (safe from a signal handler)."""
        self._stop.set()

    async def add_symbols(self, symbols: list[SymbolConfig]) -> list[str]:
        new = [s for s in symbols if s.symbol not in self.symbols]
        for s in new:
            self.symbols[s.symbol] = s
        launched = None
        unrouted = any(s.symbol not in self._routed for s in new)
        if unrouted and self.accepting and not self._default_keys():
            launched = self._start_default()  # the default feed starts with its first symbol
            self._launch(launched)  # it subscribes everything it serves on start
        for key, provider in list(self.providers.items()):
            if key == launched:
                continue
            mine = [s for s in new if self._serves(key, s.symbol)]
            if mine:
                await provider.subscribe(mine)
        return [s.symbol for s in new]

    async def remove_symbols(self, symbols: list[str]) -> list[str]:
        gone = [s for s in symbols if s in self.symbols]
        for s in gone:
            del self.symbols[s]
        for key, provider in list(self.providers.items()):
            mine = [s for s in gone if self._serves(key, s)]
            if mine:
                await provider.unsubscribe(mine)
        return gone

    def _serves(self, key: str, symbol: str) -> bool:
        """Whether provider ``key`` streams ``symbol``: its route's symbols, or the unrouted."""
        owner = self._routed.get(symbol)
        return owner == key if owner is not None else key not in self._route_keys

    def _default_keys(self) -> list[str]:
        return [k for k in self.providers if k not in self._route_keys]

    def symbols_for(self, key: str) -> list[SymbolConfig]:
        """The symbols provider ``key`` streams."""
        return [s for name, s in self.symbols.items() if self._serves(key, name)]

    def start_provider(self, name: str, key: str | None = None) -> StreamingProvider:
        spec = get_spec(name)
        if spec.streaming is None:
            raise ValueError(f"provider {name!r} has no live stream (it is historical only)")
        cls = load_class(spec.streaming)
        provider: StreamingProvider = cls(self.config, self)
        self.collectors.register_provider(spec.name, spec.capabilities)
        fastpath.attach(provider, self.collectors, self.store, self.publish_wire)
        self.providers[key or spec.name] = provider
        return provider

    def start_failover(
        self, names: list[str] | None = None, key: str | None = None
    ) -> StreamingProvider:
        """A priority list (default ``provider`` then ``failover``): one supervisor keeps one
        of them active."""
        names = names or [self.config.provider, *self.config.failover]
        for name in names:
            spec = get_spec(name)
            self.collectors.register_provider(spec.name, spec.capabilities)
        supervisor = FailoverSupervisor(self.config, self, names)
        self.providers[key or supervisor.spec.name] = supervisor
        return supervisor

    def _start_default(self) -> str:
        """Start ``provider`` (or the ``failover`` supervisor); its key never replaces a
        route's provider of the same name."""
        base = "failover" if self.config.failover else self.config.provider
        key = base if base not in self.providers else f"{base}[default]"
        if self.config.failover:
            self.start_failover(key=key)
        else:
            self.start_provider(self.config.provider, key)
        return key

    def _start_routes(self) -> None:
        """One provider (or failover supervisor) per ``routes`` entry, keyed by a label."""
        for index, route in enumerate(self.config.routes):
            base = route.provider if not route.failover else "failover"
            key = base if base not in self.providers else f"{base}[{index}]"
            self._route_keys.add(key)
            if route.failover:
                self.start_failover([route.provider, *route.failover], key)
            else:
                self.start_provider(route.provider, key)
            self._routed.update(dict.fromkeys(route.symbols, key))

    def _start_feeds(self) -> None:
        routed = {s for route in self.config.routes for s in route.symbols}
        if not routed or any(s not in routed for s in self.symbols):
            self._start_default()
        self._start_routes()

    def _launch(self, key: str) -> None:
        provider = self.providers[key]
        task = asyncio.create_task(provider.run(self.symbols_for(key)), name=key)
        self._provider_tasks[key] = task
        self._feeds_changed.set()

    async def reconfigure(self, config: Config, *, restart_feeds: bool = False) -> None:
        """Run on ``config`` from now on (a hot reload, ``pipeline/reload.py``): symbols added,
        removed or resubscribed, storage budgets set, listeners told; with ``restart_feeds``
        the streaming providers stop and start again on the new routes and failover lists.
        What the old feeds published stays queued and is stored as usual."""
        wanted = {s.symbol: s for s in config.symbol_configs()}
        changed = [s for s, c in wanted.items() if s in self.symbols and self.symbols[s] != c]
        removed = [s for s in self.symbols if s not in wanted]
        self.config = config
        self.collectors.widen_depth(max((s.depth_levels for s in wanted.values()), default=1))
        self.store.set_budgets(
            config.storage.retention_days,
            config.storage.retention_max_mb,
            config.storage.min_free_mb,
        )
        if restart_feeds:
            await self._stop_feeds()
            self.symbols = dict(wanted)
            self.collectors.reset()  # new connections: fresh books and sequences
            if self.accepting:
                self._start_feeds()
                for key in self.providers:
                    self._launch(key)
        else:
            await self.remove_symbols(removed + changed)
            for symbol in changed:
                self.collectors.reset(symbol)  # resubscribed: its next snapshot starts afresh
            await self.add_symbols([c for s, c in wanted.items() if s not in self.symbols])
            self.symbols = {s: self.symbols[s] for s in wanted}  # the config's order
        for listener in self.config_listeners:
            listener(config)

    async def _stop_feeds(self) -> None:
        tasks = list(self._provider_tasks.values())
        self._provider_tasks.clear()
        self.providers.clear()
        self._routed.clear()
        self._route_keys.clear()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def run(self, duration: float | None = None) -> None:
        """Collect until :meth:`stop` or ``duration`` seconds, then drain and close the store."""
        if not self.providers:
            self._start_feeds()
        processor = asyncio.create_task(self._process(), name="processor")
        services = [asyncio.create_task(f(), name=n) for n, f in self._services.items()]
        services.append(asyncio.create_task(self._resync_books(), name="resync"))
        for key in self.providers:
            self._launch(key)
        self.accepting = True
        stopper = asyncio.create_task(self._stop.wait())
        changer = asyncio.create_task(self._feeds_changed.wait())
        finished: set[asyncio.Task[Any]] = set()
        loop = asyncio.get_running_loop()
        deadline = None if duration is None else loop.time() + duration
        try:
            while True:
                timeout = None if deadline is None else max(0.0, deadline - loop.time())
                # Provider tasks can be added while running (a default feed's first symbol, a
                # reload that restarts the feeds): ``changer`` wakes us to wait on them too.
                self._feeds_changed.clear()
                feeds = set(self._provider_tasks.values()) - finished
                done, _ = await asyncio.wait(
                    {stopper, processor, changer, *feeds},
                    timeout=timeout,
                    return_when=asyncio.FIRST_COMPLETED,
                )
                if not done or stopper in done:
                    break
                if changer in done:
                    done.discard(changer)
                    changer = asyncio.create_task(self._feeds_changed.wait())
                if not self._provider_tasks and processor not in done:
                    continue  # between a reload's stop and start of the feeds
                for task in done:
                    finished.add(task)
                    if task is processor or task.cancelled():
                        continue
                    error = task.exception()
                    if error is not None:
                        self.fatal_error = str(error)
                        log.error("%s stopped: %s", task.get_name(), error)
                if processor in done or finished.issuperset(self._provider_tasks.values()):
                    break  # nothing left that could produce data
        finally:
            self.accepting = False
            self._stop.set()  # --duration too: a paused store gives up waiting (see _store)
            changer.cancel()
            await self._shutdown(processor, services, stopper)
        if not processor.cancelled() and (error := processor.exception()) is not None:
            raise error

    async def _shutdown(
        self,
        processor: asyncio.Task[None],
        services: list[asyncio.Task[None]],
        stopper: asyncio.Task[Any],
    ) -> None:
        for task in self._provider_tasks.values():
            task.cancel()
        await asyncio.gather(*self._provider_tasks.values(), return_exceptions=True)
        self.fanout.close()  # live consumers stop waiting; storage still gets everything
        if not processor.done():
            # Sentinel: drain what is queued, then stop. The queue may be full while storage
            # is paused; the processor then gives up on its own (it sees the stop request).
            sentinel = asyncio.create_task(self.ingest.put([]))
            await asyncio.wait({sentinel, processor}, return_when=asyncio.FIRST_COMPLETED)
            await asyncio.wait({processor})
            sentinel.cancel()
        for drain in self.drains:
            await drain()
        for task in [*services, stopper]:
            task.cancel()
        await asyncio.gather(*services, stopper, return_exceptions=True)
        self.store.close()
        log.info("stopped: %d events stored, %d bad frames", self.events_stored, self.bad_frames)
        if self.events_unacknowledged:
            log.warning(
                "%d events received while storage was paused were never acknowledged and are "
                "not stored (the feed's gap is repaired by backfill)",
                self.events_unacknowledged,
            )

    async def _maintain_storage(self) -> None:
        """Checkpoints, the disk guard and retention also run while the feed is quiet."""
        while True:
            self.store.maintain()
            await asyncio.sleep(STORAGE_TICK_S)

    async def _resync_books(self) -> None:
        """Ask providers for snapshots of books the collectors reset (after a sequence gap)."""
        asked: dict[tuple[str, str], float] = {}
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(RESYNC_CHECK_S)
            now = loop.time()
            wanted: dict[str, list[SymbolConfig]] = {}
            for book in self.collectors.awaiting_snapshot():
                key = (book.provider, book.symbol)
                symbol = self.symbols.get(book.symbol)
                if symbol is None or book.provider not in self.providers:
                    continue
                if now - asked.get(key, -RESYNC_RETRY_S) >= RESYNC_RETRY_S:
                    asked[key] = now
                    wanted.setdefault(book.provider, []).append(symbol)
            for name, symbols in wanted.items():
                log.info(
                    "%s: asking for snapshots of %s", name, ",".join(s.symbol for s in symbols)
                )
                try:
                    await self.providers[name].resync(symbols)
                except Exception as exc:  # a failed request is retried on the next round
                    log.warning("%s: resync failed: %s", name, exc)

    async def _process(self) -> None:
        held: fastpath.WireBatch | None = None
        while True:
            item = held or await self.ingest.get()
            held = None
            if isinstance(item, fastpath.WireBatch):
                if not await self._process_wire(item):
                    return
                continue
            batch = item
            finished = not batch
            # Merge what else is waiting: fewer, larger store appends.
            if not finished and not self.ingest.empty():
                batch = list(batch)
                while len(batch) < MAX_MERGE_EVENTS and not self.ingest.empty():
                    more = self.ingest.get_nowait()
                    if isinstance(more, fastpath.WireBatch):
                        held = more  # after this batch: the order of the feed is kept
                        break
                    if not more:
                        finished = True
                        break
                    batch.extend(more)
            if batch:
                batch = self.collectors.process(batch)
                stored = await self._store(batch)
                acknowledged = batch if stored == len(batch) else batch[:stored]
                self._count(acknowledged)
                await self.fanout.publish(acknowledged)
                if stored < len(batch):  # stopped while paused: nothing more can be stored
                    self._give_up(len(batch) - stored)
                    return
            if finished:
                return

    async def _process_wire(self, wire: fastpath.WireBatch) -> bool:
        """A frame through the fast path: store its lines, count it from the kernel's
        aggregates, and hand the live consumers its events to make in their own tasks
        (``pipeline/frames.py``: O(1) here). False: stopped while paused, nothing more can be
        stored."""
        handled = wire.path.handle(wire.messages, wire.ts_recv)
        while True:
            try:
                self.store.append_lines(handled.lines)  # type: ignore[attr-defined]
                break
            except StoragePaused as exc:
                if not await self._paused(exc):
                    self._give_up(handled.count)
                    return False
        self.events_stored += handled.fast
        self.events_by_type.update(handled.by_type)
        self.symbol_counts.update(handled.symbols)
        self.last_event_ns.update(dict.fromkeys(handled.symbols, wire.ts_recv))
        if handled.events:
            self._count(handled.events)
        if self.fanout.consumers:
            await self.fanout.publish(FrameEvents(handled, wire))
        return True

    async def _store(self, batch: list[Event]) -> int:
        """Append; while storage is paused (disk full) wait, then write what it did not take.

        Returns how many events were acknowledged: all of them, unless a stop was asked for
        while paused (stop works in every state; what is acknowledged is in the WAL).
        """
        done = 0
        while done < len(batch):
            try:
                self.store.append(batch[done:] if done else batch)
                return len(batch)
            except StoragePaused as exc:
                done += exc.acknowledged
                if not await self._paused(exc):
                    return done
        return done

    async def _paused(self, exc: StoragePaused) -> bool:
        """Storage paused (disk full): wait until it is writable again (True) or a stop
        request comes (False), saying so in ``/status`` and the log."""
        self.storage_paused = str(exc)
        if self._stop.is_set():
            return False
        log.error("storage paused, collection waits: %s", exc)
        if not await self._wait_writable():
            return False
        self.storage_paused = None
        log.info("storage writable again; resuming")
        return True

    async def _wait_writable(self) -> bool:
        """Wait for the store to resume; False when a stop request comes first."""
        resumed = asyncio.create_task(self.store.wait_writable())
        stop = asyncio.create_task(self._stop.wait())
        await asyncio.wait({resumed, stop}, return_when=asyncio.FIRST_COMPLETED)
        for task in (resumed, stop):
            task.cancel()
        await asyncio.gather(resumed, stop, return_exceptions=True)
        return resumed.done() and not resumed.cancelled() and resumed.exception() is None

    def _give_up(self, unstored: int) -> None:
        """Stop while paused: count what was received but never acknowledged (not in the WAL:
        it is not replayed) and drop what is still queued."""
        while not self.ingest.empty():
            item = self.ingest.get_nowait()
            unstored += len(item.messages if isinstance(item, fastpath.WireBatch) else item)
        self.events_unacknowledged += unstored
        log.warning("stopping while storage is paused: %s", self.storage_paused)

    def _count(self, batch: list[Event]) -> None:
        """The counters of an acknowledged batch, from C-level passes over it (no Python code
        runs per event): counts by type and by symbol, each symbol's last event."""
        self.events_stored += len(batch)
        by_type = Counter(map(type, batch))
        for cls, count in by_type.items():
            self.events_by_type[TYPE_NAMES[cls]] += count
        if Gap in by_type and self.gap_listeners:
            for gap in batch:
                if type(gap) is Gap:
                    for listener in self.gap_listeners:
                        listener(gap)
        symbols = list(map(_symbol, batch))
        self.symbol_counts.update(symbols)
        last_ns = self.last_event_ns
        for symbol, event in dict(zip(symbols, batch, strict=True)).items():
            last_ns[symbol] = event.ts_recv

    def storage_stats(self) -> StorageStats:
        """``store.stats()``, or, when the store cannot report, why (instead of an exception:
        status, health and metrics stay up). A new kind of failure is logged once."""
        try:
            counters = dict(self.store.stats())
        except Exception as exc:
            self.stats_errors += 1
            error = f"store stats failed: {type(exc).__name__}: {exc}"
            if error != self._stats_error:
                log.error("%s (counted in mdc_storage_stats_errors_total)", error, exc_info=exc)
                self._stats_error = error
            return StorageStats(None, error, self.stats_errors)
        return StorageStats(counters, None, self.stats_errors)

    def status(self) -> dict[str, Any]:
        """Plain data for /status and `mdc` status output (no secrets)."""
        now = now_ns()
        return {
            "version": __version__,
            "uptime_s": round((now - self.started_ns) / NS_PER_S, 3),
            "accepting": self.accepting,
            "fatal_error": self.fatal_error,
            "providers": {
                name: {
                    "connected": p.state.connected,
                    "state": p.state.state,
                    "messages": p.state.messages,
                    "reconnects": p.state.reconnects,
                    "errors": p.state.errors,
                    "last_error": p.state.last_error,
                    "last_message_ns": p.state.last_message_ns,
                    "bad_frames": p.state.bad_frames,
                    "events": p.state.events,
                    "gaps": p.state.gaps,
                }
                for name, p in self.providers.items()
            },
            "symbols": {
                s: {
                    "events": self.symbol_counts.get(s, 0),
                    "last_event_ns": self.last_event_ns.get(s),
                }
                for s in self.symbols
            },
            "pipeline": {
                "events_in": self.events_in,
                "events_stored": self.events_stored,
                "events_unacknowledged": self.events_unacknowledged,
                "events_by_type": dict(self.events_by_type),
                "ingest_depth_batches": self.ingest.qsize(),
                "ingest_capacity_batches": self.ingest.maxsize,
                "bad_frames": self.bad_frames,
                "consumers": self.fanout.stats(),
            },
            "collectors": self.collectors.stats(),
            "kernels": native.status(),
            "storage": self.storage_stats().document(),
            "config": {"reloads": list(self.reloads)},
            "wal_consumers": {name: stats() for name, stats in self.wal_consumers.items()},
        }
