"""What the dashboard shows of the live stream, kept from its own fan-out consumer.

The consumer's queue has the ``pipeline.dashboard_policy`` (drop by default), so a slow browser
or a burst never slows the pipeline; the view keeps bounded recent history (one shared tape of
trades; per symbol its counts, price path and last quote) and the recent ``Gap``/``Integrity``
events, each taken per batch, never with Python code per trade or quote. Order books and BBOs are
read from the collectors, which own that state. Once a second :meth:`LiveView.tick` records
throughput for the Overview chart.
"""

from __future__ import annotations

import asyncio
import operator
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import compress, islice, repeat
from operator import contains, is_
from typing import TYPE_CHECKING, Any, Final

import msgspec

from mdc.domain.events import Event, Gap, Integrity, Quote, Trade
from mdc.domain.time import NS_PER_MS, NS_PER_S, now_ns
from mdc.pipeline.queues import BatchQueue

if TYPE_CHECKING:
    from mdc.pipeline.runtime import Runtime

CONSUMER_NAME: Final = "dashboard"
TAPE_TRADES: Final = 20_000
"""The shared tape: the last trades of all symbols together (a symbol's recent trades are read
from it when a page asks, not sorted out per event)."""
PRICE_POINTS: Final = 1200
PRICE_STEP_NS: Final = 250 * NS_PER_MS
"""One price point per this interval (the last trade in it): 5 minutes of path at 4 per second."""
QUALITY_EVENTS: Final = 5000
THROUGHPUT_POINTS: Final = 600
BOOK_LEVELS: Final = 10
_symbol = operator.attrgetter("symbol")
_QUALITY_TYPES: Final = frozenset((Gap, Integrity))
_VIEWED: Final[frozenset[type[Event]]] = frozenset((Trade, Quote, Gap, Integrity))
"""What the view takes from the fan-out (a fast-path frame's book deltas are never made for it)."""


@dataclass
class SymbolView:
    prices: deque[tuple[int, float]] = field(default_factory=lambda: deque(maxlen=PRICE_POINTS))
    quote: Quote | None = None
    trade_count: int = 0
    version: int = 0
    """Bumped on every change, so streams send only what changed."""


class LiveView:
    def __init__(self, runtime: Runtime, queue: BatchQueue) -> None:
        self.runtime = runtime
        self.queue = queue
        self.symbols: dict[str, SymbolView] = {}
        self.tape: deque[Trade] = deque(maxlen=TAPE_TRADES)
        self.quality: deque[dict[str, Any]] = deque(maxlen=QUALITY_EVENTS)
        self.quality_version = 0
        self.gap_reasons: Counter[str] = Counter()
        self.integrity_kinds: Counter[str] = Counter()
        self.throughput: deque[tuple[float, float, dict[str, float]]] = deque(
            maxlen=THROUGHPUT_POINTS
        )
        self._last_tick: tuple[int, int, dict[str, int]] | None = None

    @classmethod
    def attach(cls, runtime: Runtime) -> LiveView:
        pipeline = runtime.config.pipeline
        queue = runtime.fanout.add(
            CONSUMER_NAME, pipeline.capacity, pipeline.dashboard_policy, _VIEWED
        )
        return cls(runtime, queue)

    async def run(self) -> None:
        """Consume until the fan-out closes."""
        while True:
            batch = await self.queue.get()
            if not batch:
                return
            self.ingest(batch)
            await asyncio.sleep(0)  # let the processor and the server run between batches

    def ingest(self, batch: list[Any]) -> None:
        """Take one batch as aggregates, from C-level passes over it (no Python code runs per
        trade or quote): per symbol its trade and quote counts, its last quote and the price of
        its last trade; the trades go to one shared tape. Only the rare ``Gap``/``Integrity``
        events are looked at one by one."""
        types = list(map(type, batch))
        present = set(types)
        if Trade in present:
            self._trades(list(compress(batch, map(is_, types, repeat(Trade)))))
        if Quote in present:
            self._quotes(list(compress(batch, map(is_, types, repeat(Quote)))))
        if not present.isdisjoint(_QUALITY_TYPES):  # in batch order, as the page lists them
            for event in compress(batch, map(contains, repeat(_QUALITY_TYPES), types)):
                if type(event) is Gap:
                    self.gap_reasons[event.reason] += 1
                    self._quality(event, "gap", event.reason)
                else:
                    self.integrity_kinds[event.kind] += 1
                    self._quality(event, "integrity", event.kind)

    def _trades(self, trades: list[Trade]) -> None:
        """The price path takes each symbol's last trade of the batch: one point per
        ``PRICE_STEP_NS`` (batches are a frame or a few, far shorter than the step, except a
        backlog merged into one batch, whose path is then coarser)."""
        self.tape.extend(trades)
        symbols = list(map(_symbol, trades))
        last = dict(zip(symbols, trades, strict=True))
        counts = Counter(symbols) if len(last) > 1 else {symbols[0]: len(symbols)}
        for symbol, trade in last.items():
            view = self._view(symbol)
            view.trade_count += counts[symbol]
            view.version += counts[symbol]
            prices = view.prices
            if prices and trade.ts_event - prices[-1][0] < PRICE_STEP_NS:
                prices[-1] = (prices[-1][0], trade.price)
            else:
                prices.append((trade.ts_event, trade.price))

    def _quotes(self, quotes: list[Quote]) -> None:
        symbols = list(map(_symbol, quotes))
        last = dict(zip(symbols, quotes, strict=True))
        counts = Counter(symbols) if len(last) > 1 else {symbols[0]: len(symbols)}
        for symbol, quote in last.items():
            view = self._view(symbol)
            view.quote = quote
            view.version += counts[symbol]

    def _view(self, symbol: str) -> SymbolView:
        view = self.symbols.get(symbol)
        if view is None:
            view = self.symbols[symbol] = SymbolView()
        return view

    def _quality(self, event: Gap | Integrity, type_: str, reason: str) -> None:
        record = msgspec.to_builtins(event)
        record["type"] = type_
        record["reason"] = reason
        self.quality.append(record)
        self.quality_version += 1

    def tallies(self) -> dict[str, dict[str, int]]:
        return {"gaps": dict(self.gap_reasons), "integrity": dict(self.integrity_kinds)}

    def tick(self) -> None:
        """Record events/s since the last tick (called once a second)."""
        rt = self.runtime
        now = now_ns()
        by_type = dict(rt.events_by_type)
        if self._last_tick is not None:
            t0, n0, types0 = self._last_tick
            dt = max((now - t0) / NS_PER_S, 1e-9)
            rates = {k: round((v - types0.get(k, 0)) / dt, 1) for k, v in by_type.items()}
            self.throughput.append((now / NS_PER_S, round((rt.events_in - n0) / dt, 1), rates))
        self._last_tick = (now, rt.events_in, by_type)

    # -- what the API serves --------------------------------------------------------------------
    def snapshot(self, symbol: str, trades: int = 50, levels: int = BOOK_LEVELS) -> dict[str, Any]:
        """Everything the Live page shows for one symbol."""
        view = self.symbols.get(symbol) or SymbolView()
        recent = list(islice(filter(_of_symbol(symbol), reversed(self.tape)), trades))
        return {
            "symbol": symbol,
            "version": view.version,
            "trade_count": view.trade_count,
            "trades": [
                {
                    "ts_event": t.ts_event,
                    "price": t.price,
                    "size": t.size,
                    "side": t.side,
                    "venue": t.venue,
                }
                for t in recent
            ],
            "prices": [[ts, px] for ts, px in view.prices],
            "bbo": self.bbo(symbol, view),
            "book": self.book(symbol, levels),
        }

    def bbo(self, symbol: str, view: SymbolView | None = None) -> dict[str, Any] | None:
        quote: Any = None
        reader = getattr(self.runtime.collectors, "bbo", None)
        if reader is not None:
            quote = reader(symbol)
        if quote is None:
            quote = (view or self.symbols.get(symbol) or SymbolView()).quote
        if quote is None:
            return None
        return {
            "bid_price": quote.bid_price,
            "bid_size": quote.bid_size,
            "ask_price": quote.ask_price,
            "ask_size": quote.ask_size,
            "ts_event": quote.ts_event,
        }

    def book(self, symbol: str, levels: int) -> dict[str, Any] | None:
        """Top ``levels`` of the collectors' order book, or None when it keeps none."""
        reader = getattr(self.runtime.collectors, "book", None)
        if reader is None:
            return None
        book = reader(symbol)
        if book is None:
            return None
        bids, asks = book.top(levels)
        return {
            "bids": [[float(p), float(s)] for p, s in bids],
            "asks": [[float(p), float(s)] for p, s in asks],
        }

    def quality_events(
        self,
        type_: str | None = None,
        symbol: str | None = None,
        reason: str | None = None,
        since_ns: int | None = None,
        limit: int = 500,
    ) -> list[dict[str, Any]]:
        """Newest first, filtered."""
        out: list[dict[str, Any]] = []
        for record in reversed(self.quality):
            if since_ns is not None and record["ts_recv"] < since_ns:
                break
            if type_ and record["type"] != type_:
                continue
            if symbol and record["symbol"] != symbol:
                continue
            if reason and record["reason"] != reason:
                continue
            out.append(record)
            if len(out) >= limit:
                break
        return out


def _of_symbol(symbol: str) -> Callable[[Trade], bool]:
    return lambda trade: trade.symbol == symbol
