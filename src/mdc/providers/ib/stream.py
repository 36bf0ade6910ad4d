"""``mdc collect --provider ib``: tick-by-tick trades and quotes and L2 depth from TWS / IB Gateway.

Sources (read 2026-12-02): https://interactivebrokers.github.io/tws-api/tick_data.html
(``reqTickByTickData`` ``AllLast``/``BidAsk``; lines = market-data lines / 100, at least 3;
error 10190 when they run out), https://interactivebrokers.github.io/tws-api/market_depth.html
(``reqMktDepth``, SmartDepth), https://interactivebrokers.github.io/tws-api/top_data.html
(``reqMktData``: 250 ms snapshots for stocks), https://interactivebrokers.github.io/tws-api/message_codes.html
(1100/1101/1102, farm notices 2103-2158); ib_async 2.1.0 ``ib.py``, ``wrapper.py`` and
``ticker.py`` for how ticks reach ``Ticker.tickByTicks``/``domTicks``/``ticks`` and
``IB.pendingTickersEvent`` once per TCP read.

Connection life (ib_async has none of its own: when the socket closes it drops every ticker):
connect with backoff, qualify every symbol's contract, request its streams, and on a drop do it
all again. Each outage — the socket closing, or TWS reporting 1100 (its link to IB lost) — opens
one ``Gap`` per symbol, published with the symbol's first event after it, like every other
provider's. On 1101 (restored, data lost) every stream is requested again; on 1102 (restored,
data kept) nothing is. An unknown symbol (error 200) is reported once and left out; the others
stream on. When tick-by-tick lines run out a symbol falls back to ``reqMktData`` (counted).

Times: ib_async stamps tick-by-tick and depth ticks with the arrival time of their TCP read (its
author's choice — the wire time has one-second resolution), and that is ``ts_event`` here.
Depth starts from an empty ``BookSnapshot`` on every subscription (TWS then inserts each row), so
the collectors' book is rebuilt from scratch after each outage or depth reset (317).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Any, Final

from mdc.config import provider_section
from mdc.config.schema import Config, SymbolConfig
from mdc.domain.backoff import backoff_delay
from mdc.domain.events import BookDelta, BookSnapshot, Event, Gap, Quote, Status, Trade
from mdc.domain.time import now_ns
from mdc.providers.base import ProviderError, StreamingProvider, StreamSink
from mdc.providers.ib import SPEC
from mdc.providers.ib import errors as codes
from mdc.providers.ib.book import RowBook
from mdc.providers.ib.client import TwsUnavailable, connect, load_ib_async
from mdc.providers.ib.config import IbConfig
from mdc.providers.ib.contracts import ContractKey, contract_for, parse_key
from mdc.providers.ib.ticks import last_trade, to_ns

log = logging.getLogger(__name__)

QUOTE_TICKS: Final = frozenset({0, 1, 2, 3})
"""reqMktData tick types of the top of book: bid size, bid, ask, ask size."""
LAST_TICK: Final = 4
FARM_STATES: Final[dict[int, str]] = {
    2103: "broken",
    2105: "broken",
    2157: "broken",
    2104: "ok",
    2106: "ok",
    2158: "ok",
    2107: "inactive",
    2108: "inactive",
}
CONNECTION_STATES: Final[dict[int, str]] = {
    codes.CONNECTIVITY_LOST: "lost",
    codes.RESTORED_DATA_LOST: "restored_data_lost",
    codes.RESTORED_DATA_KEPT: "restored",
}
"""TWS ↔ IB connectivity codes → the ``Status(kind="connection")`` state they publish."""
MARKET_DATA_STATES: Final[dict[int, str]] = {
    codes.COMPETING_SESSION: "competing_session",
    codes.NOT_SUBSCRIBED: "not_subscribed",
}


class _Feed:
    """One symbol's requests on the current connection."""

    __slots__ = ("contract", "depth", "mkt_data", "tick_by_tick")

    def __init__(self, contract: Any) -> None:
        self.contract = contract
        self.tick_by_tick: list[str] = []
        self.depth = False
        self.mkt_data = False


class IbStream(StreamingProvider):
    spec = SPEC

    def __init__(self, config: Config, sink: StreamSink) -> None:
        super().__init__(config, sink)
        self.options = provider_section(config, SPEC.name, IbConfig)
        load_ib_async()  # the install hint now, not at the first connection
        self.ib: Any = None
        self._subs: dict[str, SymbolConfig] = {}
        self._keys: dict[str, ContractKey] = {}
        self._feeds: dict[str, _Feed] = {}
        self._by_con_id: dict[int, str] = {}
        self._books: dict[str, RowBook] = {}
        self._unknown: set[str] = set()
        self._fallback: set[str] = set()
        self._since: dict[str, int] = {}
        self._last_ts: dict[str, int] = {}
        self._outages: dict[str, tuple[int, str, str]] = {}
        self._queue: asyncio.Queue[list[Event]] = asyncio.Queue()
        self._lost: asyncio.Event = asyncio.Event()
        self.state.url = f"{self.options.host}:{self.options.port}"
        self.details: dict[str, Any] = self.state.details
        self.details.update(server_version=None, farms={}, fallbacks=0, unknown=[])
        self._count_lines()

    # -- StreamingProvider ------------------------------------------------------------------
    async def run(self, symbols: list[SymbolConfig]) -> None:
        for s in symbols:
            self._add(s)
        publisher = asyncio.create_task(self._publish_loop(), name="ib-publish")
        failures = 0
        try:
            while True:
                try:
                    await self._connection()
                    failures = 0
                    reason, detail = "disconnect", "TWS closed the API connection"
                except TwsUnavailable as exc:
                    reason, detail = "disconnect", str(exc)
                failures += 1
                self._mark_outage(reason, detail)
                delay = self._backoff(failures)
                self.state.state = "backoff"
                self.state.errors += 1
                self.state.last_error = detail[:300]
                log.warning("ib: %s; retrying in %.1fs", detail, delay)
                await asyncio.sleep(delay)
                self.state.reconnects += 1
        except asyncio.CancelledError:
            self.state.state = "stopped"
            self._publish_open_gaps()
            raise
        finally:
            self.state.connected = False
            if self.ib is not None:
                self.ib.disconnect()
            await self._drain()
            publisher.cancel()

    async def subscribe(self, symbols: list[SymbolConfig]) -> None:
        added = [s for s in symbols if self._add(s)]
        if self.ib is not None and self.ib.isConnected():
            await self._start(added)

    async def unsubscribe(self, symbols: list[str]) -> None:
        for symbol in symbols:
            self._subs.pop(symbol, None)
            self._since.pop(symbol, None)
            self._outages.pop(symbol, None)
            self._cancel(symbol)
            self._feeds.pop(symbol, None)
        self.state.subscribed = set(self._subs)
        self._count_lines()

    # -- one connection ----------------------------------------------------------------------
    async def _connection(self) -> None:
        """Connect, subscribe everything, and return when the connection is gone."""
        opts = self.options
        self.state.state = "connecting"
        self._feeds.clear()
        self._by_con_id.clear()
        ib = await connect(opts, opts.client_id, self._on_error)
        self.ib = ib
        self._lost.clear()
        ib.pendingTickersEvent += self._on_tickers
        ib.disconnectedEvent += self._lost.set
        self.state.connected = True
        self.state.since_ns = now_ns()
        self.details["server_version"] = ib.client.serverVersion()
        try:
            await self._start(list(self._subs.values()))
            self.state.state = "streaming"
            await self._lost.wait()
        finally:
            ib.errorEvent -= self._on_error
            ib.pendingTickersEvent -= self._on_tickers
            ib.disconnect()
            self.ib = None
            self.state.connected = False
            self._feeds.clear()
            self._count_lines()

    async def _start(self, subs: list[SymbolConfig]) -> None:
        """Qualify the contracts (concurrently), then request every stream of each symbol."""
        now = now_ns()
        for s in subs:
            self._since.setdefault(s.symbol, now)
        wanted = [s for s in subs if s.symbol not in self._unknown]
        contracts = await asyncio.gather(*(self._qualify(s.symbol) for s in wanted))
        for sub, contract in zip(wanted, contracts, strict=True):
            if contract is not None and sub.symbol in self._subs:
                self._feeds[sub.symbol] = _Feed(contract)
                self._by_con_id[contract.conId] = sub.symbol
                self._request(sub)
        self.state.subscribed = set(self._subs) - self._unknown
        self._count_lines()

    async def _qualify(self, symbol: str) -> Any:
        """The qualified contract, or None (reported) when IB does not know it."""
        ib_async = load_ib_async()
        try:
            async with asyncio.timeout(self.options.request_timeout_s):
                details = await self.ib.reqContractDetailsAsync(contract_for(self._keys[symbol]))
        except ib_async.RequestError as exc:
            if exc.code != codes.NO_SECURITY:
                raise ProviderError(
                    f"ib {symbol}: {codes.describe(exc.code, exc.message)}"
                ) from None
            details = []
        if not details:
            self._unknown.add(symbol)
            self.details["unknown"] = sorted(self._unknown)
            message = f"ib {symbol}: {codes.describe(codes.NO_SECURITY, 'no security definition')}"
            self.state.last_error = message[:300]
            log.error("%s; the other symbols keep streaming", message)
            self._status([symbol], "contract", "unknown", message)
            return None
        return details[0].contract

    def _request(self, sub: SymbolConfig) -> None:
        ib = self.ib
        feed = self._feeds[sub.symbol]
        if self.options.tick_by_tick and sub.symbol not in self._fallback:
            for tick_type, wanted in (("AllLast", sub.trades), ("BidAsk", sub.quotes)):
                if wanted:
                    ib.reqTickByTickData(feed.contract, tick_type)
                    feed.tick_by_tick.append(tick_type)
        elif sub.trades or sub.quotes:
            ib.reqMktData(feed.contract)
            feed.mkt_data = True
        if sub.depth:
            rows = min(self.options.depth_rows, sub.depth_levels)
            self._books[sub.symbol] = RowBook(rows)
            self._emit([self._empty_book(sub.symbol)])
            ib.reqMktDepth(feed.contract, rows, isSmartDepth=self.options.smart_depth)
            feed.depth = True

    def _cancel(self, symbol: str) -> None:
        feed = self._feeds.get(symbol)
        if feed is None or self.ib is None or not self.ib.isConnected():
            return
        for tick_type in feed.tick_by_tick:
            self.ib.cancelTickByTickData(feed.contract, tick_type)
        if feed.mkt_data:
            self.ib.cancelMktData(feed.contract)
        if feed.depth:
            self.ib.cancelMktDepth(feed.contract, isSmartDepth=self.options.smart_depth)
        feed.tick_by_tick, feed.mkt_data, feed.depth = [], False, False

    def _resubscribe(self) -> None:
        for symbol in list(self._feeds):
            self._cancel(symbol)
            self._request(self._subs[symbol])
        self._count_lines()

    # -- ib_async callbacks (synchronous, on the event loop) -------------------------------------
    def _on_tickers(self, tickers: Iterable[Any]) -> None:
        ts_recv = now_ns()
        events: list[Event] = []
        for ticker in tickers:
            symbol = self._by_con_id.get(ticker.contract.conId)
            if symbol is None:
                continue
            self.state.messages += len(ticker.tickByTicks) + len(ticker.domTicks)
            for tick in ticker.tickByTicks:
                events.append(self._tick(symbol, tick, ts_recv))
            book = self._books.get(symbol)
            if book is not None:
                for row in ticker.domTicks:
                    events += self._depth(symbol, book, row, ts_recv)
            feed = self._feeds.get(symbol)
            if feed is not None and feed.mkt_data and ticker.ticks:
                self.state.messages += len(ticker.ticks)
                events += self._snapshot_ticks(symbol, ticker, ts_recv)
        if events:
            self.state.last_message_ns = ts_recv
            self._emit(events)

    def _tick(self, symbol: str, tick: Any, ts_recv: int) -> Event:
        venue = self._keys[symbol].exchange
        if hasattr(tick, "bidPrice"):
            return Quote(
                symbol=symbol,
                venue=venue,
                provider=SPEC.name,
                ts_event=to_ns(tick.time),
                ts_recv=ts_recv,
                bid_price=tick.bidPrice,
                bid_size=float(tick.bidSize),
                ask_price=tick.askPrice,
                ask_size=float(tick.askSize),
            )
        return last_trade(symbol, venue, tick, ts_recv)

    def _depth(self, symbol: str, book: RowBook, row: Any, ts_recv: int) -> list[Event]:
        venue = self._keys[symbol].exchange
        ts = to_ns(row.time)
        changes = book.apply(row.position, row.operation, row.side, row.price, float(row.size))
        return [
            BookDelta(
                symbol=symbol,
                venue=venue,
                provider=SPEC.name,
                ts_event=ts,
                ts_recv=ts_recv,
                side=side,
                price=price,
                size=size,
            )
            for side, price, size in changes
        ]

    def _snapshot_ticks(self, symbol: str, ticker: Any, ts_recv: int) -> list[Event]:
        """reqMktData ticks: a last-price tick is a trade; a top-of-book tick, one quote."""
        venue = self._keys[symbol].exchange
        out: list[Event] = []
        quoted = 0
        for tick in ticker.ticks:
            if tick.tickType == LAST_TICK:
                out.append(
                    Trade(
                        symbol=symbol,
                        venue=venue,
                        provider=SPEC.name,
                        ts_event=to_ns(tick.time),
                        ts_recv=ts_recv,
                        price=tick.price,
                        size=float(tick.size),
                    )
                )
            elif tick.tickType in QUOTE_TICKS:
                quoted = to_ns(tick.time)
        if quoted and ticker.bid == ticker.bid and ticker.ask == ticker.ask:  # both not NaN
            out.append(
                Quote(
                    symbol=symbol,
                    venue=venue,
                    provider=SPEC.name,
                    ts_event=quoted,
                    ts_recv=ts_recv,
                    bid_price=ticker.bid,
                    bid_size=float(ticker.bidSize),
                    ask_price=ticker.ask,
                    ask_size=float(ticker.askSize),
                )
            )
        return out

    def _on_error(self, req_id: int, code: int, text: str, contract: Any) -> None:
        symbol = self._by_con_id.get(contract.conId) if contract is not None else None
        message = codes.describe(code, text)
        if code in FARM_STATES:
            farm = text.rpartition(":")[2] or text
            self.details["farms"][farm] = FARM_STATES[code]
            self._status(self._live(), "ib_farm", FARM_STATES[code], message)
            return
        if code == codes.NO_SECURITY:
            return  # reported by _qualify, with the symbol
        self.state.errors += 1
        self.state.last_error = (f"{symbol}: {message}" if symbol else message)[:300]
        where = f"ib {symbol}" if symbol else "ib"
        if code in CONNECTION_STATES:
            log.warning("%s: %s", where, message)
            if code == codes.CONNECTIVITY_LOST:
                self._mark_outage("ib_connectivity_lost", message)
            self._status(self._live(), "connection", CONNECTION_STATES[code], message)
            if code == codes.RESTORED_DATA_LOST:
                self._resubscribe()
        elif code == codes.TICK_BY_TICK_LINES and symbol is not None:
            self._fall_back(symbol)
        elif code == codes.DEPTH_RESET and symbol is not None:
            self._books[symbol].clear()
            self._emit([self._empty_book(symbol)])
        else:
            log.error("%s: %s", where, message)
            if code in MARKET_DATA_STATES:
                affected = [symbol] if symbol else self._live()
                self._status(affected, "market_data", MARKET_DATA_STATES[code], message)

    def _fall_back(self, symbol: str) -> None:
        """No tick-by-tick line for ``symbol``: cancel those requests, use reqMktData."""
        feed = self._feeds.get(symbol)
        if feed is None or symbol in self._fallback:
            return
        self._fallback.add(symbol)
        self.details["fallbacks"] += 1
        log.warning("ib %s: %s", symbol, codes.describe(codes.TICK_BY_TICK_LINES, "no lines"))
        for tick_type in feed.tick_by_tick:
            self.ib.cancelTickByTickData(feed.contract, tick_type)
        feed.tick_by_tick = []
        self.ib.reqMktData(feed.contract)
        feed.mkt_data = True
        self._count_lines()

    # -- events out ----------------------------------------------------------------------------
    def _emit(self, events: list[Event]) -> None:
        """Queue a batch, with the Gap of any outage its symbols' data now ends."""
        closing: list[Event] = []
        for ev in events:
            outage = self._outages.pop(ev.symbol, None)
            if outage is not None and not isinstance(ev, Status | BookSnapshot):
                from_ts, reason, detail = outage
                closing.append(self._gap(ev.symbol, from_ts, ev.ts_event, reason, detail))
            elif outage is not None:
                self._outages[ev.symbol] = outage  # not data: the outage goes on
        for ev in events:
            if not isinstance(ev, Status):
                self._last_ts[ev.symbol] = ev.ts_event
        self.state.events += len(events)
        self.state.gaps += len(closing)
        self._queue.put_nowait([*closing, *events])

    def _gap(self, symbol: str, from_ts: int, to_ts: int, reason: str, detail: str) -> Gap:
        return Gap(
            symbol=symbol,
            venue=self._keys[symbol].exchange,
            provider=SPEC.name,
            ts_event=from_ts,
            ts_recv=now_ns(),
            from_ts=from_ts,
            to_ts=max(to_ts, from_ts),
            reason=reason,
            detail=detail[:300],
        )

    def _status(self, symbols: Iterable[str], kind: str, state: str, detail: str) -> None:
        now = now_ns()
        events: list[Event] = [
            Status(
                symbol=s,
                venue=self._keys[s].exchange,
                provider=SPEC.name,
                ts_event=now,
                ts_recv=now,
                kind=kind,
                state=state,
                detail=detail[:300],
            )
            for s in symbols
        ]
        if events:
            self._emit(events)

    def _empty_book(self, symbol: str) -> BookSnapshot:
        now = now_ns()
        venue = self._keys[symbol].exchange
        return BookSnapshot(
            symbol=symbol,
            venue=venue,
            provider=SPEC.name,
            ts_event=now,
            ts_recv=now,
            bids=[],
            asks=[],
        )

    async def _publish_loop(self) -> None:
        while True:
            batch = await self._queue.get()
            await self.sink.publish(batch)
            self._queue.task_done()

    async def _drain(self) -> None:
        """Publish what is queued (shutdown: nothing received may be lost)."""
        while not self._queue.empty():
            await self.sink.publish(self._queue.get_nowait())
            self._queue.task_done()

    # -- bookkeeping -------------------------------------------------------------------------
    def _add(self, sub: SymbolConfig) -> bool:
        if self._subs.get(sub.symbol) == sub:
            return False
        self._keys[sub.symbol] = parse_key(
            sub.symbol, self.options.default_exchange, self.options.default_currency
        )
        self._subs[sub.symbol] = sub
        self.state.subscribed = set(self._subs)
        return True

    def _live(self) -> list[str]:
        return [s for s in self._subs if s not in self._unknown]

    def _mark_outage(self, reason: str, detail: str) -> None:
        """Open an outage for every live symbol not already in one."""
        for symbol in self._live():
            if symbol in self._since and symbol not in self._outages:
                start = self._last_ts.get(symbol, self._since[symbol])
                self._outages[symbol] = (start, reason, detail)

    def _publish_open_gaps(self) -> None:
        now = now_ns()
        gaps: list[Event] = [
            self._gap(sym, start, now, reason, detail + "; still open when the stream ended")
            for sym, (start, reason, detail) in self._outages.items()
        ]
        self._outages.clear()
        if gaps:
            self.state.gaps += len(gaps)
            self._queue.put_nowait(gaps)

    def _count_lines(self) -> None:
        feeds = self._feeds.values()
        self.details["lines"] = {
            "tick_by_tick": sum(len(f.tick_by_tick) for f in feeds),
            "depth": sum(f.depth for f in feeds),
            "mkt_data": sum(f.mkt_data for f in feeds),
        }

    def _backoff(self, failures: int) -> float:
        opts = self.options
        return backoff_delay(failures, opts.reconnect_initial_s, opts.reconnect_max_s)
