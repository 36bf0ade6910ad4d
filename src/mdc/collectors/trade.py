"""Trade aggressor inference: which side crossed the spread, when the feed does not say.

Quote rule first (Lee & Ready): a print at or above the prevailing ask was bought, at or below
the bid sold. The prevailing BBO is the stream's last ``Quote``, or its book's top when it has no
quotes; it is used only when both sides are present, not locked or crossed, and not older than
``stale_after_ns`` before the trade. Otherwise (or inside the spread) the tick rule: above the
previous trade price bought, below it sold, at the same price the direction of the last price
change. With no reference at all the side stays ``unknown``.
"""

from __future__ import annotations

from typing import Final

from mdc.collectors.emit import StreamKey
from mdc.domain.book import OrderBook
from mdc.domain.events import Quote, Side, Trade

_INF: Final = float("inf")
_NO_LIMIT: Final = 1 << 62


class _Tick:
    """The previous trade price of a stream and the direction of its last price change."""

    __slots__ = ("direction", "price")

    def __init__(self, price: float) -> None:
        self.price = price
        self.direction: Side = "unknown"


class TradeCollector:
    """Fills ``Trade.side`` where it is ``unknown``; tracks the tick state per stream."""

    def __init__(
        self,
        quotes: dict[StreamKey, Quote],
        books: dict[StreamKey, OrderBook],
        stale_after_ns: int,
    ) -> None:
        self._quotes = quotes
        self._books = books
        self.stale_ns = stale_after_ns if stale_after_ns > 0 else _NO_LIMIT
        self.ticks: dict[StreamKey, _Tick] = {}
        self.inferred = 0

    def on_trade(self, ev: Trade, key: StreamKey, in_order: bool) -> None:
        """Infer the side of ``ev``; ``in_order`` False (a duplicate or late print) leaves
        the tick state as it is."""
        price = ev.price
        tick = self.ticks.get(key)
        if ev.side == "unknown":
            side = self._by_quote(key, price, ev.ts_event)
            if side is None and tick is not None:
                if price > tick.price:
                    side = "buy"
                elif price < tick.price:
                    side = "sell"
                elif price == tick.price:
                    side = tick.direction
            if side is not None and side != "unknown":
                ev.side = side
                self.inferred += 1
        if in_order and -_INF < price < _INF:
            if tick is None:
                self.ticks[key] = _Tick(price)
            else:
                if price > tick.price:
                    tick.direction = "buy"
                elif price < tick.price:
                    tick.direction = "sell"
                tick.price = price

    def _by_quote(self, key: StreamKey, price: float, ts: int) -> Side | None:
        oldest = ts - self.stale_ns
        quote = self._quotes.get(key)
        if quote is not None and quote.ts_event >= oldest:
            if not (quote.bid_size > 0.0 and quote.ask_size > 0.0):
                return None
            bid = quote.bid_price
            ask = quote.ask_price
        else:
            book = self._books.get(key)
            if book is None or book.ts_event < oldest:
                return None
            best_bid = book.best_bid()
            best_ask = book.best_ask()
            if best_bid is None or best_ask is None:
                return None
            bid = best_bid[0]
            ask = best_ask[0]
        if not bid < ask:
            return None
        if price >= ask:
            return "buy"
        if price <= bid:
            return "sell"
        return None

    def forget(self, symbol: str | None = None, provider: str | None = None) -> None:
        """Drop tick state (all, one symbol's, one provider's)."""
        for key in list(self.ticks):
            if (symbol is None or key[0] == symbol) and (provider is None or key[2] == provider):
                del self.ticks[key]
