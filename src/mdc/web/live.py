"""What the dashboard shows of the live stream, kept from its own fan-out consumer.

The consumer's queue has the ``pipeline.dashboard_policy`` (drop by default), so a slow browser
or a burst never slows the pipeline; the view keeps bounded recent history per symbol (trades,
price path, last quote) and the recent ``Gap``/``Integrity`` events. Order books and BBOs are
read from the collectors, which own that state. Once a second :meth:`LiveView.tick` records
throughput for the Overview chart.
"""

from __future__ import annotations

import asyncio
import operator
from collections import Counter, deque
from dataclasses import dataclass, field
from itertools import compress, groupby, repeat
from operator import contains, floordiv, is_
from typing import TYPE_CHECKING, Any, Final

import msgspec

from mdc.domain.events import Gap, Integrity, Quote, Trade
from mdc.domain.time import NS_PER_MS, NS_PER_S, now_ns
from mdc.pipeline.queues import BatchQueue

if TYPE_CHECKING:
    from mdc.pipeline.runtime import Runtime

CONSUMER_NAME: Final = "dashboard"
TRADES_PER_SYMBOL: Final = 200
PRICE_POINTS: Final = 1200
PRICE_STEP_NS: Final = 250 * NS_PER_MS
"""One price point per this interval of ``ts_event`` (the last trade in it, at its time): 5
minutes of path at 4 per second."""
QUALITY_EVENTS: Final = 5000
THROUGHPUT_POINTS: Final = 600
BOOK_LEVELS: Final = 10
_symbol = operator.attrgetter("symbol")
_ts_event = operator.attrgetter("ts_event")
_QUALITY_TYPES: Final = frozenset((Gap, Integrity))


@dataclass
class SymbolView:
    trades: deque[Trade] = field(default_factory=lambda: deque(maxlen=TRADES_PER_SYMBOL))
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
        queue = runtime.fanout.add(CONSUMER_NAME, pipeline.capacity, pipeline.dashboard_policy)
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
        """Take one batch as aggregates: per symbol its trade count, last trades, price points
        and last quote, each computed by C-level passes over the batch (no Python code runs
        per event); only the rare ``Gap``/``Integrity`` events are looked at one by one."""
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
        """Trades grouped by symbol (a stable sort keeps each symbol's order)."""
        trades.sort(key=_symbol)
        for symbol, grouped in groupby(trades, _symbol):
            group = list(grouped)
            view = self._view(symbol)
            view.trades.extend(group[-TRADES_PER_SYMBOL:])
            view.trade_count += len(group)
            view.version += len(group)
            # The last trade of each PRICE_STEP_NS interval: later trades overwrite earlier
            # ones of their interval in the dict, which keeps the intervals' first-seen order.
            steps = map(floordiv, map(_ts_event, group), repeat(PRICE_STEP_NS))
            last = dict(zip(steps, group, strict=True))
            prices = view.prices
            if prices and prices[-1][0] // PRICE_STEP_NS in last:
                prices.pop()  # the interval the previous batch ended in goes on
            prices.extend((t.ts_event, t.price) for t in list(last.values())[-PRICE_POINTS:])

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
        recent = list(view.trades)[-trades:]
        recent.reverse()
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
