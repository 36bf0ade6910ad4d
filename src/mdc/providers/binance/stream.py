"""Binance spot live feed on the shared connection layer, over as many connections as needed.

Checked 2026-12-02 against
https://developers.binance.com/docs/binance-spot-api-docs/web-socket-streams (``SUBSCRIBE``
requests on the combined-stream endpoint; at most 1024 streams per connection; 5 incoming
messages per second per connection, pings and pongs included, or the connection is dropped;
24 h connection lifetime; ``serverShutdown`` before a server goes down; the market-data-only
endpoint ``wss://data-stream.binance.vision``) and
https://developers.binance.com/docs/binance-spot-api-docs/rest-api/market-data-endpoints#order-book
(the depth snapshot, whose HTTP errors :mod:`.rest` classifies). Binance.US
(``stream.binance.us:9443``, ``api.binance.us``) speaks the same protocol with the same stream
limits, per its official docs (https://docs.binance.us, github.com/binance-us/binance-us-api-docs
``web-socket-streams.md``, read 2026-12-03); its REST weights differ (:mod:`.rest`).

- **Pacing**: streams go out in ``SUBSCRIBE`` requests of 200, and the session spaces every
  request it sends by ``subscribe_interval_s`` (0.25 s: 4 a second, under the limit of 5 with
  room for a pong).
- **Several connections**: symbols are packed into shards of at most
  ``max_streams_per_connection`` streams; each shard is one :class:`StreamSession` with its own
  protocol (its own book sync). A symbol added while running joins a shard with room or a new one.
- **serverShutdown** is a planned hand-over, not an outage: a replacement connection subscribes
  the same symbols while the old one still streams; the old one is closed as soon as the new one
  delivers, and trades the new one repeats (trade id not above the last one published) are
  dropped. No data is lost, so no ``Gap``; the archive gets no duplicate trade.
- **Snapshots** go through the shared REST client (request weights, Retry-After on 429/418,
  exponential backoff on the rest); a 4xx such as 451 (restricted location) ends the stream
  with the fix, since asking again cannot help. Binance ends a connection after 24 hours, so the
  protocol asks for a planned reconnect shortly before (``max_connection_age_s``).
"""

from __future__ import annotations

import asyncio
import collections
import itertools
import logging
from collections.abc import Callable, Sequence
from typing import Final

import httpx
import msgspec

from mdc.config import provider_section
from mdc.config.schema import Config, SymbolConfig
from mdc.domain.backoff import backoff_delay
from mdc.domain.events import Event, Gap, Trade
from mdc.domain.time import now_ns
from mdc.providers.base import (
    FeedCounter,
    ProviderError,
    RateLimited,
    StreamingProvider,
    StreamSink,
)
from mdc.providers.binance import SPEC
from mdc.providers.binance.config import BinanceConfig
from mdc.providers.binance.parse import VENUE, BinanceParser
from mdc.providers.binance.rest import (
    EXCHANGE_INFO_WEIGHT,
    BinanceRejected,
    binance_client,
    depth_weight,
)
from mdc.providers.binance.symbols import parse_exchange_info, venue_symbol
from mdc.providers.connection import Frame, StreamSession, WireProtocol
from mdc.providers.instruments import InstrumentCache, check_symbols
from mdc.providers.rest import RestClient

log = logging.getLogger(__name__)

STREAMS_PER_REQUEST: Final = 200
"""Streams named in one SUBSCRIBE request."""
SNAPSHOT_RETRY_S: Final = 0.5
"""First delay before fetching a snapshot again (doubles per attempt)."""
SNAPSHOT_RETRY_MAX_S: Final = 30.0

_encode = msgspec.json.Encoder().encode


def exchange_info_cache(config: BinanceConfig, rest: RestClient) -> InstrumentCache:
    """The product list, fetched through ``rest`` (weight 20; 10 on Binance.US)."""
    url = config.rest_base() + "/api/v3/exchangeInfo"

    async def fetch() -> httpx.Response:
        return await rest.get(
            url, endpoint="exchangeInfo", weight=EXCHANGE_INFO_WEIGHT[config.site]
        )

    return InstrumentCache(VENUE, url, parse_exchange_info, config.exchange_info_ttl_s, fetch)


def stream_names(config: BinanceConfig, symbol: SymbolConfig) -> list[str]:
    """The streams one symbol needs (per its flags and the configured bars)."""
    name = venue_symbol(symbol.symbol).lower()
    depth = "depth@100ms" if config.depth_speed == "100ms" else "depth"
    streams: list[str] = []
    if symbol.depth:
        streams.append(f"{name}@{depth}")
    if symbol.trades:
        streams.append(f"{name}@{config.trades}")
    if symbol.quotes:
        streams.append(f"{name}@bookTicker")
    streams += [f"{name}@kline_{interval}" for interval in config.bars]
    return streams


class BinanceProtocol(WireProtocol):
    """Binance wire format plus the REST snapshot side of the book sync (one connection)."""

    provider = VENUE

    def __init__(self, config: BinanceConfig, rest: RestClient | None = None) -> None:
        self.config = config
        self.max_connection_age_s = config.max_connection_age_s
        self.send_interval_s = config.subscribe_interval_s
        self.parser = BinanceParser({}, VENUE)
        self.rest = rest if rest is not None else binance_client(config)
        self.instruments = exchange_info_cache(config, self.rest)
        self.on_shutdown: Callable[[], None] | None = None
        """Called once when the server announces ``serverShutdown`` on this connection."""
        self._ids = itertools.count(1)
        self._snapshots_wanted = asyncio.Event()
        self._failures = 0

    def url(self) -> str:
        return self.config.stream_url()

    def _streams(self, symbols: Sequence[SymbolConfig]) -> list[str]:
        streams: list[str] = []
        for s in symbols:
            self.parser.symbols[venue_symbol(s.symbol)] = s.symbol
            streams += stream_names(self.config, s)
        return streams

    def _requests(self, method: str, streams: list[str]) -> list[Frame]:
        return [
            _encode({"method": method, "params": streams[i : i + STREAMS_PER_REQUEST], "id": n})
            for i, n in zip(range(0, len(streams), STREAMS_PER_REQUEST), self._ids, strict=False)
        ]

    def subscribe_messages(self, symbols: Sequence[SymbolConfig]) -> list[Frame]:
        return self._requests("SUBSCRIBE", self._streams(symbols))

    def unsubscribe_messages(self, symbols: Sequence[SymbolConfig]) -> list[Frame]:
        for s in symbols:
            self.parser.depth.forget(s.symbol)
        return self._requests("UNSUBSCRIBE", self._streams(symbols))

    def parse(self, frame: Frame, ts_recv: int) -> list[Event]:
        parser = self.parser
        events = parser.parse(frame, ts_recv)
        if parser.depth.pending:
            self._snapshots_wanted.set()
        if parser.shutdown_announced:
            parser.shutdown_announced = False
            log.info("binance: serverShutdown announced; moving to a new connection")
            if self.on_shutdown is not None:
                self.on_shutdown()
        return events

    def reset(self) -> None:
        self.parser.reset()
        self._snapshots_wanted.clear()

    def restart_sync(self, symbols: list[str]) -> None:
        """Start these books' sync over: the next depth event triggers a new snapshot."""
        for symbol in symbols:
            self.parser.depth.forget(symbol)

    async def on_connected(self, session: StreamSession) -> None:
        """Check the symbols, then fetch every depth snapshot the book sync asks for."""
        await check_symbols(self.instruments, [s.symbol for s in session.subscriptions])
        while True:
            await self._snapshots_wanted.wait()
            self._snapshots_wanted.clear()
            for symbol in sorted(self.parser.depth.pending):
                await self._sync(session, symbol)

    async def _sync(self, session: StreamSession, symbol: str) -> None:
        depth = self.parser.depth
        attempts = depth.snapshots_fetched(symbol)
        if attempts:  # the last snapshot was older than the stream: wait for a newer one
            await asyncio.sleep(
                backoff_delay(attempts, SNAPSHOT_RETRY_S, SNAPSHOT_RETRY_MAX_S, jitter=0.0)
            )
            if symbol not in depth.pending:
                return
        limit = self.config.snapshot_limit
        url = f"{self.config.rest_base()}/api/v3/depth"
        params = {"symbol": venue_symbol(symbol), "limit": str(limit)}
        try:
            response = await self.rest.get(
                url, params, endpoint="depth", weight=depth_weight(limit, self.config.site)
            )
        except BinanceRejected:
            raise  # 451, 403, 400…: asking again cannot help
        except ProviderError as exc:  # retries used up, or a Retry-After too long to sleep in
            self._failures += 1
            wait = self._retry_delay(exc)
            log.warning("binance: depth snapshot for %s: %s; retrying in %.1fs", symbol, exc, wait)
            await asyncio.sleep(wait)
            self._snapshots_wanted.set()
            return
        self._failures = 0
        await session.publish(self.parser.snapshot(symbol, response.content, now_ns()))
        if symbol in depth.pending:
            self._snapshots_wanted.set()

    def _retry_delay(self, exc: ProviderError) -> float:
        if isinstance(exc, RateLimited) and exc.retry_after is not None:
            return exc.retry_after
        return backoff_delay(self._failures, SNAPSHOT_RETRY_S, SNAPSHOT_RETRY_MAX_S)


class _Shard:
    """One connection's worth of symbols: a protocol, its session and the task running it."""

    def __init__(self, protocol: BinanceProtocol, session: StreamSession) -> None:
        self.protocol = protocol
        self.session = session
        self.task: asyncio.Task[None] | None = None
        self.streams = 0

    @property
    def symbols(self) -> dict[str, SymbolConfig]:
        return {s.symbol: s for s in self.session.subscriptions}

    def counters(self) -> dict[FeedCounter, int]:
        parser = self.protocol.parser
        return {
            "book_sync_restarts": parser.depth.restarts,
            "book_updates_stale": parser.depth.stale,
            "messages_ignored": parser.ignored,
        }


class _Handover:
    """The sink of an old and a new connection while the new one takes over.

    The old one publishes until the new one first delivers; then the old one is cancelled and
    the new one's trades that the old one already published are dropped."""

    def __init__(self, sink: StreamSink, old: _Shard, new: _Shard) -> None:
        self.sink = sink
        self.old = old
        self.new = new
        self.taken_over = False
        self.last_trade: dict[str, int] = {}

    def old_sink(self) -> StreamSink:
        return _Side(self, old=True)

    def new_sink(self) -> StreamSink:
        return _Side(self, old=False)

    async def publish_old(self, events: list[Event]) -> None:
        if self.taken_over:
            events = [e for e in events if isinstance(e, Gap)]
        last = self.last_trade
        for e in events:
            if isinstance(e, Trade) and e.trade_id is not None:
                last[e.symbol] = int(e.trade_id)
        if events:
            await self.sink.publish(events)

    async def publish_new(self, events: list[Event]) -> None:
        if not self.taken_over:
            self.taken_over = True
            if self.old.task is not None:
                self.old.task.cancel()
            self.new.session.sink = self.sink  # from now on the new one publishes directly
        last = self.last_trade
        kept = [
            e
            for e in events
            if not (
                isinstance(e, Trade)
                and e.trade_id is not None
                and int(e.trade_id) <= last.get(e.symbol, -1)
            )
        ]
        if kept:
            await self.sink.publish(kept)


class _Side:
    """One side of a :class:`_Handover`, as a :class:`StreamSink`."""

    def __init__(self, handover: _Handover, old: bool) -> None:
        self.handover = handover
        self.old = old

    async def publish(self, events: list[Event]) -> None:
        if self.old:
            await self.handover.publish_old(events)
        else:
            await self.handover.publish_new(events)

    def raw(self, provider: str, ts_recv: int, data: bytes | str) -> None:
        self.handover.sink.raw(provider, ts_recv, data)

    def bad_frame(self, provider: str, ts_recv: int, data: bytes | str, error: str) -> None:
        self.handover.sink.bad_frame(provider, ts_recv, data, error)


class BinanceStream(StreamingProvider):
    """``mdc collect --provider binance``: keyless trades, best bid/offer and synced L2 books,
    over as many connections as the streams need."""

    spec = SPEC

    def __init__(self, config: Config, sink: StreamSink) -> None:
        super().__init__(config, sink)
        self.settings = provider_section(config, SPEC.name, BinanceConfig)
        self.rest = binance_client(self.settings)
        self.shards: list[_Shard] = []
        self.handovers = 0
        self._retired: collections.Counter[FeedCounter] = collections.Counter()
        """Parser counters of connections closed since (their parsers are gone)."""
        self._changed = asyncio.Event()
        self._running = False

    @property
    def protocol(self) -> BinanceProtocol:
        """The first connection's protocol (the only one below 1024 streams)."""
        if not self.shards:
            self.shards.append(self._new_shard())
        return self.shards[0].protocol

    def _new_shard(self, sink: StreamSink | None = None) -> _Shard:
        protocol = BinanceProtocol(self.settings, self.rest)
        session = StreamSession(
            protocol,
            sink or self.sink,
            self.settings,
            stale_after_s=self.config.pipeline.stale_after_s,
            state=self.state,
        )
        shard = _Shard(protocol, session)
        protocol.on_shutdown = lambda: self._server_shutdown(shard)
        return shard

    def _start(self, shard: _Shard, symbols: list[SymbolConfig]) -> None:
        shard.task = asyncio.create_task(shard.session.run(symbols), name="binance-connection")
        self._changed.set()

    def _place(self, symbols: Sequence[SymbolConfig]) -> dict[int, list[SymbolConfig]]:
        """Shard index → symbols to add there: existing symbols stay where they are, new ones
        fill shards with room, then new shards."""
        limit = self.settings.max_streams_per_connection
        where = {sym: i for i, shard in enumerate(self.shards) for sym in shard.symbols}
        plan: dict[int, list[SymbolConfig]] = {}
        for s in symbols:
            count = len(stream_names(self.settings, s))
            if count > limit:
                raise ProviderError(
                    f"binance: {s.symbol} needs {count} streams, more than "
                    f"max_streams_per_connection={limit}; configure fewer bar intervals"
                )
            index = where.get(s.symbol)
            if index is None:
                index = next(
                    (i for i, sh in enumerate(self.shards) if sh.streams + count <= limit), None
                )
                if index is None:
                    self.shards.append(self._new_shard())
                    index = len(self.shards) - 1
                self.shards[index].streams += count
            plan.setdefault(index, []).append(s)
        return plan

    async def run(self, symbols: list[SymbolConfig]) -> None:
        self._running = True
        plan = self._place(symbols)
        for index, shard in enumerate(self.shards):
            if shard.task is None:  # symbols added before run are already in its session
                self._start(shard, plan.get(index, []))
        try:
            await self._supervise()
        finally:
            self._running = False
            tasks = [s.task for s in self.shards if s.task is not None]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await self.rest.aclose()

    async def _supervise(self) -> None:
        """Wait on every connection; the first fatal error ends them all."""
        while True:
            self._changed.clear()
            tasks = {s.task for s in self.shards if s.task is not None}
            changed = asyncio.create_task(self._changed.wait())
            try:
                done, _ = await asyncio.wait({*tasks, changed}, return_when="FIRST_COMPLETED")
            finally:
                changed.cancel()
            for task in done - {changed}:
                error = None if task.cancelled() else task.exception()
                if error is not None:
                    raise error
            live = [s for s in self.shards if s.task is None or not s.task.done()]
            for shard in self.shards:
                if shard not in live:
                    self._retired.update(shard.counters())
            self.shards = live

    def counters(self) -> dict[FeedCounter, int]:
        total = self._retired.copy()
        for shard in self.shards:
            total.update(shard.counters())
        return dict(total) | {"connection_handovers": self.handovers}

    async def subscribe(self, symbols: list[SymbolConfig]) -> None:
        for index, chunk in self._place(symbols).items():
            shard = self.shards[index]
            if self._running and shard.task is None:
                self._start(shard, chunk)
            else:
                await shard.session.subscribe(chunk)

    async def unsubscribe(self, symbols: list[str]) -> None:
        for shard in self.shards:
            mine = [s for s in symbols if s in shard.symbols]
            if not mine:
                continue
            shard.streams -= sum(len(stream_names(self.settings, shard.symbols[s])) for s in mine)
            await shard.session.unsubscribe(mine)
            if not shard.session.subscriptions and shard.task is not None:
                shard.task.cancel()  # an empty connection: nothing is lost by closing it

    async def resync(self, symbols: list[SymbolConfig]) -> None:
        """Sync the books again from a new REST snapshot (the documented procedure)."""
        wanted = {s.symbol for s in symbols if s.depth}
        for shard in self.shards:
            shard.protocol.restart_sync([s for s in shard.symbols if s in wanted])

    def _server_shutdown(self, old: _Shard) -> None:
        """Open a replacement connection for ``old``'s symbols; it takes over when it delivers."""
        if not self._running or old.task is None or old.task.done():
            return
        if old.protocol.on_shutdown is None:
            return  # a hand-over is already under way
        old.protocol.on_shutdown = None
        new = self._new_shard()
        new.streams = old.streams
        handover = _Handover(self.sink, old, new)
        old.session.sink = handover.old_sink()
        new.session.sink = handover.new_sink()
        self.handovers += 1
        self.shards.append(new)
        self._start(new, old.session.subscriptions)
