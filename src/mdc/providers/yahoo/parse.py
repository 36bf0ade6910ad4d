"""Yahoo chart responses (typed msgspec decode) → events.

Shape (``/v8/finance/chart/<symbol>``, as the yahoo-finance2 client documents it at
https://github.com/gadicc/node-yahoo-finance2/blob/devel/docs/modules/chart.md):
``{"chart": {"result": [{"meta": {..., "gmtoffset", "exchangeTimezoneName"}, "timestamp": [...],
"events": {"dividends": {"<ts>": {"amount", "date"}}, "splits": {"<ts>": {"date", "numerator",
"denominator", "splitRatio"}}}, "indicators": {"quote": [{"open": [...], "high", "low", "close",
"volume"}], "adjclose": [{"adjclose": [...]}]}}], "error": null}}``. Timestamps are epoch
seconds; arrays hold ``null`` where no trade happened (those rows are skipped). ``close`` is
split-adjusted, ``adjclose`` split- and dividend-adjusted.
"""

from __future__ import annotations

from datetime import timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec

from mdc.domain.events import Bar, CorporateAction
from mdc.domain.interval import local_date, session_day_ns
from mdc.domain.time import NS_PER_S


class Meta(msgspec.Struct):
    gmtoffset: int = 0
    exchange_timezone: str = msgspec.field(name="exchangeTimezoneName", default="")
    currency: str | None = None


class QuoteArrays(msgspec.Struct):
    open: list[float | None] = []
    high: list[float | None] = []
    low: list[float | None] = []
    close: list[float | None] = []
    volume: list[float | None] = []


class AdjClose(msgspec.Struct):
    adjclose: list[float | None] = []


class Indicators(msgspec.Struct):
    quote: list[QuoteArrays] = []
    adjclose: list[AdjClose] = []


class DividendEvent(msgspec.Struct):
    amount: float
    date: int


class SplitEvent(msgspec.Struct):
    date: int
    numerator: float
    denominator: float


class Events(msgspec.Struct):
    dividends: dict[str, DividendEvent] = {}
    splits: dict[str, SplitEvent] = {}


class Result(msgspec.Struct):
    meta: Meta = msgspec.field(default_factory=Meta)
    timestamp: list[int] = []
    indicators: Indicators = msgspec.field(default_factory=Indicators)
    events: Events = msgspec.field(default_factory=Events)


class ChartError(msgspec.Struct):
    code: str = ""
    description: str = ""


class Chart(msgspec.Struct):
    result: list[Result] | None = None
    error: ChartError | None = None


class ChartResponse(msgspec.Struct):
    chart: Chart


def exchange_zone(meta: Meta) -> tzinfo:
    """The exchange's time zone (for session dates); the fixed ``gmtoffset`` if unknown."""
    try:
        return ZoneInfo(meta.exchange_timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return timezone(timedelta(seconds=meta.gmtoffset))


def bars(
    result: Result, symbol: str, interval: str, daily: bool, venue: str, ts_recv: int
) -> list[Bar]:
    """Daily and longer bars are fully adjusted with ``adjclose / close``; intraday bars are
    split-adjusted as Yahoo serves them. Rows with a ``null`` price are skipped."""
    if not result.timestamp:
        return []
    if len(result.indicators.quote) != 1:
        raise ValueError(f"expected one quote series, got {len(result.indicators.quote)}")
    q = result.indicators.quote[0]
    n = len(result.timestamp)
    if not (len(q.open) == len(q.high) == len(q.low) == len(q.close) == n):
        raise ValueError(f"price arrays differ in length from {n} timestamps")
    volumes = q.volume or [None] * n
    adj: list[float | None] = []
    if daily:
        if not result.indicators.adjclose or len(result.indicators.adjclose[0].adjclose) != n:
            raise ValueError("daily bars without a full adjclose series")
        adj = result.indicators.adjclose[0].adjclose
    zone = exchange_zone(result.meta)
    out = []
    for i, ts in enumerate(result.timestamp):
        o, h, lo, c = q.open[i], q.high[i], q.low[i], q.close[i]
        if o is None or h is None or lo is None or c is None:
            continue
        ts_event = ts * NS_PER_S
        if daily:
            adjusted_close = adj[i]
            if adjusted_close is None:
                raise ValueError(f"no adjclose at {ts}")
            factor = adjusted_close / c if c else 1.0
            o, h, lo, c = o * factor, h * factor, lo * factor, adjusted_close
            ts_event = session_day_ns(local_date(ts_event, zone))
        out.append(
            Bar(
                symbol=symbol,
                venue=venue,
                provider="yahoo",
                ts_event=ts_event,
                ts_recv=ts_recv,
                interval=interval,
                open=o,
                high=h,
                low=lo,
                close=c,
                volume=volumes[i] or 0.0,
                adjusted=True,
            )
        )
    return out


def corporate_actions(
    result: Result, symbol: str, venue: str, ts_recv: int
) -> list[CorporateAction]:
    """Dividends and splits on their session date (``ratio`` = numerator / denominator)."""
    zone = exchange_zone(result.meta)
    out = [
        CorporateAction(
            symbol=symbol,
            venue=venue,
            provider="yahoo",
            ts_event=session_day_ns(local_date(d.date * NS_PER_S, zone)),
            ts_recv=ts_recv,
            kind="dividend",
            amount=d.amount,
            currency=result.meta.currency,
        )
        for d in result.events.dividends.values()
    ]
    out += [
        CorporateAction(
            symbol=symbol,
            venue=venue,
            provider="yahoo",
            ts_event=session_day_ns(local_date(s.date * NS_PER_S, zone)),
            ts_recv=ts_recv,
            kind="split",
            ratio=s.numerator / s.denominator if s.denominator else None,
        )
        for s in result.events.splits.values()
    ]
    return out
