"""Trade and quote bars from ticks, the way Lean's sample data was built (when the archive holds
ticks but no bars of the wanted resolution).

Rules observed in Lean's sample data (``../shared/research/lean-format.md`` §5, 2026-12-03):
bars are stamped at their start and empty bars are absent; suspicious ticks are dropped; a
quote bar ignores zero prices, keeps the last non-zero size per side, and seeds each side's open
with the previous bar's close; equity hour and daily bars cover the regular session
(09:30-16:00 New York) only, and a daily bar is stamped at midnight UTC of its session date (the
mdc convention for ``1d``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import time, tzinfo
from typing import Final

from mdc.domain.events import Bar, Quote, QuoteBar, Trade
from mdc.domain.time import NS_PER_S, date_to_ns
from mdc.integrations.lean.codec import SUSPICIOUS, Day, header_like, local_date
from mdc.integrations.lean.paths import BAR_INTERVALS, Resolution, SecurityType

SECONDS: Final[dict[Resolution, int]] = {"second": 1, "minute": 60, "hour": 3600, "daily": 86400}
REGULAR_OPEN: Final = time(9, 30)
REGULAR_CLOSE: Final = time(16, 0)


class Bucketer:
    """Which bar a tick belongs to, and whether it counts at all."""

    def __init__(self, resolution: Resolution, security_type: SecurityType, zone: tzinfo) -> None:
        self.resolution = resolution
        self.step = SECONDS[resolution] * NS_PER_S
        self.zone = zone
        self.regular_only = security_type == "equity" and resolution in ("hour", "daily")
        self._days: dict[object, Day] = {}

    def bucket(self, ts: int) -> int | None:
        """The bar start (int ns) of ``ts``, or ``None`` when the tick is outside the bars."""
        if self.regular_only:
            d = local_date(ts, self.zone)
            day = self._days.get(d)
            if day is None:
                day = self._days[d] = Day(d, self.zone)
            wall = day.wall(ts)
            lo = (REGULAR_OPEN.hour * 60 + REGULAR_OPEN.minute) * 60 * NS_PER_S
            hi = (REGULAR_CLOSE.hour * 60) * 60 * NS_PER_S
            if not lo <= wall < hi:
                return None
            if self.resolution == "daily":
                return date_to_ns(d)
            return day.ns(wall - wall % self.step)
        if self.resolution == "daily":
            return date_to_ns(local_date(ts, self.zone))
        return ts - ts % self.step


def trade_bars(trades: Iterable[Trade], bucketer: Bucketer) -> list[Bar]:
    """OHLCV bars of ``trades`` (time order) by ``bucketer``; suspicious prints dropped."""
    prints = (
        (t, t.price, t.price, t.price, t.price, t.size)
        for t in trades
        if SUSPICIOUS not in t.conditions
    )
    return _aggregate(prints, bucketer)


def rollup_bars(bars: Iterable[Bar], bucketer: Bucketer) -> list[Bar]:
    """Coarser bars from finer ones (time order): first open, highest high, lowest low, last
    close, summed volume; for equity hour/daily only the bars starting in the regular session."""
    return _aggregate(((b, b.open, b.high, b.low, b.close, b.volume) for b in bars), bucketer)


def _aggregate(
    rows: Iterable[tuple[Trade | Bar, float, float, float, float, float]], bucketer: Bucketer
) -> list[Bar]:
    """Bars of ``(source, open, high, low, close, volume)`` rows in time order."""
    interval = BAR_INTERVALS[bucketer.resolution]
    out: list[Bar] = []
    cur: Bar | None = None
    for src, o, h, low, c, v in rows:
        start = bucketer.bucket(src.ts_event)
        if start is None:
            continue
        if cur is None or cur.ts_event != start:
            cur = Bar(
                **header_like(src, start),
                interval=interval,
                open=o,
                high=h,
                low=low,
                close=c,
                volume=0.0,
            )
            out.append(cur)
        cur.high = max(cur.high, h)
        cur.low = min(cur.low, low)
        cur.close = c
        cur.volume += v
    return out


class _Side:
    __slots__ = ("close", "high", "low", "open", "size")

    def __init__(self) -> None:
        self.open: float | None = None
        self.high: float | None = None
        self.low: float | None = None
        self.close: float | None = None
        self.size = 0.0

    def seed(self, previous: _Side | None) -> None:
        if previous is not None and previous.close is not None:
            self.open = self.high = self.low = self.close = previous.close

    def update(self, price: float, size: float) -> None:
        if price <= 0:
            return
        if self.open is None or self.high is None or self.low is None:
            self.open = self.high = self.low = price
        self.high = max(self.high, price)
        self.low = min(self.low, price)
        self.close = price
        if size > 0:
            self.size = size


def quote_bars(quotes: Iterable[Quote], bucketer: Bucketer) -> list[QuoteBar]:
    """Bid/ask OHLC bars of ``quotes`` (time order); see the module doc for the rules."""
    interval = BAR_INTERVALS[bucketer.resolution]
    out: list[QuoteBar] = []
    start: int | None = None
    bid: _Side | None = None
    ask: _Side | None = None
    first: Quote | None = None

    def flush() -> None:
        if start is None or bid is None or ask is None or first is None:
            return
        if bid.close is None and ask.close is None:
            return
        out.append(
            QuoteBar(
                **header_like(first, start),
                interval=interval,
                bid_open=bid.open,
                bid_high=bid.high,
                bid_low=bid.low,
                bid_close=bid.close,
                bid_size=bid.size,
                ask_open=ask.open,
                ask_high=ask.high,
                ask_low=ask.low,
                ask_close=ask.close,
                ask_size=ask.size,
            )
        )

    for q in quotes:
        if SUSPICIOUS in q.conditions:
            continue
        b = bucketer.bucket(q.ts_event)
        if b is None:
            continue
        if b != start:
            flush()
            new_bid, new_ask = _Side(), _Side()
            new_bid.seed(bid)
            new_ask.seed(ask)
            start, bid, ask, first = b, new_bid, new_ask, q
        assert bid is not None and ask is not None
        bid.update(q.bid_price, q.bid_size)
        ask.update(q.ask_price, q.ask_size)
    flush()
    return out


def rollup_quote_bars(bars: Iterable[QuoteBar], bucketer: Bucketer) -> list[QuoteBar]:
    """Coarser quote bars from finer ones, side by side (an absent side stays absent)."""
    interval = BAR_INTERVALS[bucketer.resolution]
    out: list[QuoteBar] = []
    cur: QuoteBar | None = None
    for b in bars:
        start = bucketer.bucket(b.ts_event)
        if start is None:
            continue
        if cur is None or cur.ts_event != start:
            cur = QuoteBar(**header_like(b, start), interval=interval)
            out.append(cur)
        for side in ("bid", "ask"):
            o, h, low, c = (getattr(b, f"{side}_{k}") for k in ("open", "high", "low", "close"))
            if c is None:
                continue
            if getattr(cur, f"{side}_open") is None:
                setattr(cur, f"{side}_open", o)
            ch, cl = getattr(cur, f"{side}_high"), getattr(cur, f"{side}_low")
            setattr(cur, f"{side}_high", h if ch is None else max(ch, h))
            setattr(cur, f"{side}_low", low if cl is None else min(cl, low))
            setattr(cur, f"{side}_close", c)
            size = getattr(b, f"{side}_size")
            if size > 0:
                setattr(cur, f"{side}_size", size)
    return out
