"""ccxt's unified structures → events (https://docs.ccxt.com/#/README?id=trade-structure,
https://docs.ccxt.com/#/README?id=order-book-structure,
https://docs.ccxt.com/#/README?id=ticker-structure).

``watch_order_book`` returns the whole book after each update, so :class:`BookDiff` turns
consecutive books into ``BookDelta``s (the first one, and any after a reconnect, into a
``BookSnapshot``). ccxt times are milliseconds.

One venue quirk is corrected from the raw message: for Coinbase Exchange public ``match``
messages ccxt passes the raw ``side`` through, which Coinbase defines as the *maker's* side
(https://docs.cdp.coinbase.com/exchange/websocket-feed/channels#match), so the aggressor is
the opposite one — what the native Coinbase provider reports.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from mdc.domain.events import BookDelta, BookSide, BookSnapshot, Event, Quote, Side, Trade

NS_PER_MS: Final = 1_000_000
_OPPOSITE: Final[dict[str, Side]] = {"buy": "sell", "sell": "buy"}


def _coinbase_aggressor(trade: Mapping[str, Any]) -> Side | None:
    info = trade.get("info") or {}
    raw = info.get("side")
    if info.get("maker_order_id") and raw in _OPPOSITE:
        return _OPPOSITE[raw]
    return None


AGGRESSOR_FROM_INFO: Final[dict[str, Callable[[Mapping[str, Any]], Side | None]]] = {
    "coinbaseexchange": _coinbase_aggressor,
}


def to_symbol(ccxt_symbol: str) -> str:
    """``BTC/USD`` → ``BTC-USD``."""
    return ccxt_symbol.replace("/", "-")


def to_ccxt(symbol: str) -> str:
    """``BTC-USD`` → ``BTC/USD``."""
    return symbol.replace("-", "/", 1)


def _ts(value: Any, default: int) -> int:
    return int(value) * NS_PER_MS if value is not None else default


class CcxtMapper:
    """Maps one exchange's ccxt results; keeps the last book per symbol for diffs."""

    def __init__(self, exchange: str, provider: str = "ccxt") -> None:
        self.venue = exchange
        self.provider = provider
        self._aggressor = AGGRESSOR_FROM_INFO.get(exchange)
        self._books: dict[str, tuple[dict[float, float], dict[float, float]]] = {}

    def forget_book(self, symbol: str) -> None:
        """The next book for ``symbol`` is a snapshot (after an outage)."""
        self._books.pop(symbol, None)

    def trades(self, symbol: str, trades: list[Mapping[str, Any]], ts_recv: int) -> list[Event]:
        events: list[Event] = []
        for t in trades:
            side = self._aggressor(t) if self._aggressor else None
            if side is None:
                raw = t.get("side")
                side = raw if raw in _OPPOSITE else "unknown"
            events.append(
                Trade(
                    symbol=symbol,
                    venue=self.venue,
                    provider=self.provider,
                    ts_event=_ts(t.get("timestamp"), ts_recv),
                    ts_recv=ts_recv,
                    price=float(t["price"]),
                    size=float(t["amount"]),
                    side=side,
                    trade_id=None if t.get("id") is None else str(t["id"]),
                )
            )
        return events

    def quote(self, symbol: str, ticker: Mapping[str, Any], ts_recv: int) -> list[Event]:
        bid, ask = ticker.get("bid"), ticker.get("ask")
        if bid is None or ask is None:
            return []
        return [
            Quote(
                symbol=symbol,
                venue=self.venue,
                provider=self.provider,
                ts_event=_ts(ticker.get("timestamp"), ts_recv),
                ts_recv=ts_recv,
                bid_price=float(bid),
                bid_size=float(ticker.get("bidVolume") or 0.0),
                ask_price=float(ask),
                ask_size=float(ticker.get("askVolume") or 0.0),
            )
        ]

    def book(
        self, symbol: str, book: Mapping[str, Any], ts_recv: int, levels: int | None = None
    ) -> list[Event]:
        """``levels``: keep only the best this many per side (the venue may send more than
        asked for when it accepts only a few depths)."""
        bids = {float(level[0]): float(level[1]) for level in book["bids"][:levels]}
        asks = {float(level[0]): float(level[1]) for level in book["asks"][:levels]}
        ts = _ts(book.get("timestamp"), ts_recv)
        previous = self._books.get(symbol)
        self._books[symbol] = (bids, asks)
        if previous is None:
            return [
                BookSnapshot(
                    symbol=symbol,
                    venue=self.venue,
                    provider=self.provider,
                    ts_event=ts,
                    ts_recv=ts_recv,
                    bids=sorted(bids.items(), reverse=True),
                    asks=sorted(asks.items()),
                )
            ]
        events: list[Event] = []
        self._diff(events, symbol, "bid", previous[0], bids, ts, ts_recv)
        self._diff(events, symbol, "ask", previous[1], asks, ts, ts_recv)
        return events

    def _diff(
        self,
        out: list[Event],
        symbol: str,
        side: BookSide,
        old: dict[float, float],
        new: dict[float, float],
        ts: int,
        ts_recv: int,
    ) -> None:
        changed = [(p, s) for p, s in new.items() if old.get(p) != s]
        changed.extend((p, 0.0) for p in old if p not in new)
        changed.sort(reverse=side == "bid")
        out.extend(
            BookDelta(
                symbol=symbol,
                venue=self.venue,
                provider=self.provider,
                ts_event=ts,
                ts_recv=ts_recv,
                side=side,
                price=price,
                size=size,
            )
            for price, size in changed
        )
