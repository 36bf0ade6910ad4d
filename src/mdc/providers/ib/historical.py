"""``mdc backfill --provider ib``: bars from 1 second to 1 month, and historical ticks.

Sources (read 2026-12-02): https://interactivebrokers.github.io/tws-api/historical_bars.html
(``reqHistoricalData``: bar sizes, ``whatToShow`` TRADES / MIDPOINT / BID_ASK / ADJUSTED_LAST —
the last needs an empty end time —, ``formatDate`` 2 for epoch seconds), the "Valid Duration
and Bar Size Settings" table on the same site (how long one request may span per bar size),
https://interactivebrokers.github.io/tws-api/historical_time_and_sales.html (``reqHistoricalTicks``:
at most 1000 ticks per request) and https://interactivebrokers.github.io/tws-api/historical_limitations.html
(pacing, ``pacing.py``); ib_async 2.1.0 ``ib.py`` (``reqHistoricalDataAsync`` returns an empty
list on its timeout, so a timeout is reported as one here) and ``util.py`` (``formatIBDatetime``
writes ``YYYYMMDD HH:MM:SS UTC``).

``adjusted=True`` asks for ``ADJUSTED_LAST`` (split and dividend adjusted trades); IB's plain
``TRADES`` bars are split-adjusted but not dividend-adjusted and are served for ``adjusted=False``,
as are ``what_to_show = "MIDPOINT"``/``"BID_ASK"`` (which have no adjusted form).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any, Final

from mdc.config import provider_section
from mdc.config.schema import Config
from mdc.domain.events import Bar, Quote, Trade
from mdc.domain.interval import Interval, IntervalError, day_range_ns, session_day_ns
from mdc.domain.time import now_ns
from mdc.providers.base import (
    DataKind,
    HistoricalProvider,
    NotFound,
    ProviderError,
    RateLimited,
    UnsupportedRequest,
)
from mdc.providers.ib import SPEC
from mdc.providers.ib import errors as codes
from mdc.providers.ib.client import HISTORY_CLIENT, connect, load_ib_async
from mdc.providers.ib.config import IbConfig
from mdc.providers.ib.contracts import contract_for, parse_key
from mdc.providers.ib.pacing import SMALL_BAR_S, Pacing
from mdc.providers.ib.ticks import last_trade, to_ns
from mdc.providers.ratelimit import RateLimiter

BAR_SIZES: Final[dict[str, tuple[str, int]]] = {
    # interval: (IB barSizeSetting, longest span of one request in seconds)
    "1s": ("1 secs", 1800),
    "5s": ("5 secs", 3600),
    "10s": ("10 secs", 14_400),
    "15s": ("15 secs", 14_400),
    "30s": ("30 secs", 28_800),
    "1m": ("1 min", 86_400),
    "2m": ("2 mins", 2 * 86_400),
    "3m": ("3 mins", 7 * 86_400),
    "5m": ("5 mins", 7 * 86_400),
    "10m": ("10 mins", 14 * 86_400),
    "15m": ("15 mins", 14 * 86_400),
    "20m": ("20 mins", 14 * 86_400),
    "30m": ("30 mins", 28 * 86_400),
    "1h": ("1 hour", 28 * 86_400),
    "2h": ("2 hours", 28 * 86_400),
    "3h": ("3 hours", 28 * 86_400),
    "4h": ("4 hours", 28 * 86_400),
    "8h": ("8 hours", 28 * 86_400),
    "1d": ("1 day", 30 * 365 * 86_400),
    "1w": ("1 week", 30 * 365 * 86_400),
    "1mo": ("1 month", 30 * 365 * 86_400),
}
YEAR_DAYS: Final = 365
TICKS_PER_REQUEST: Final = 1000


def duration(seconds: int) -> str:
    """IB's ``durationStr`` covering ``seconds``: ``"N S"`` below a day, whole days up to a
    year, whole years beyond (TWS refuses more than 365 days written in days)."""
    if seconds < 86_400:
        return f"{seconds} S"
    days = -(-seconds // 86_400)
    return f"{days} D" if days <= YEAR_DAYS else f"{-(-days // YEAR_DAYS)} Y"


class IbHistorical(HistoricalProvider):
    spec = SPEC

    def __init__(self, config: Config, limiter: RateLimiter | None = None) -> None:
        super().__init__(config, limiter)
        self.options = provider_section(config, SPEC.name, IbConfig)
        self.pacing = Pacing(self.limiter, self.options)
        self._ib: Any = None
        self._contracts: dict[str, Any] = {}

    def supports(
        self, kind: DataKind, interval: str | None = None, adjusted: bool | None = None
    ) -> bool:
        if kind == "bars":
            if interval is not None and interval not in BAR_SIZES:
                return False
            return not (adjusted and self.options.what_to_show != "TRADES")
        return kind in ("trades", "quotes")

    async def bars(
        self, symbol: str, start: date, end: date, interval: str, adjusted: bool = True
    ) -> AsyncIterator[list[Bar]]:
        try:
            canonical = str(Interval.parse(interval))
        except IntervalError as exc:
            raise UnsupportedRequest(f"ib: {exc}") from None
        if canonical not in BAR_SIZES:
            raise UnsupportedRequest(f"ib: no {interval} bars (sizes: {', '.join(BAR_SIZES)})")
        what: str = self.options.what_to_show
        if adjusted:
            if what != "TRADES":
                raise UnsupportedRequest(f"ib: {what} bars have no adjusted form")
            what = "ADJUSTED_LAST"
        bar_size, span = BAR_SIZES[canonical]
        small = Interval.parse(canonical).seconds <= SMALL_BAR_S
        lo, hi = day_range_ns(start, end)
        contract = await self._contract(symbol)
        cursor = hi
        pages: list[list[Bar]] = []
        while cursor > lo:
            chunk = min(span, (cursor - lo) // 1_000_000_000)
            end_at: datetime | None = datetime.fromtimestamp(cursor // 1_000_000_000, UTC)
            if what == "ADJUSTED_LAST":
                # IB refuses an end time for adjusted bars: ask back from now to the start.
                end_at, chunk = None, int(datetime.now(UTC).timestamp() - lo // 1_000_000_000)
                if chunk > span:
                    raise UnsupportedRequest(
                        f"ib: adjusted {canonical} bars reach back {span // 86_400} days from now "
                        "(ADJUSTED_LAST takes no end time); ask for unadjusted bars instead"
                    )
            rows = await self._bars(
                contract, symbol, end_at, duration(chunk), bar_size, what, small
            )
            page = [
                b
                for b in (self._bar(symbol, canonical, row, adjusted) for row in rows)
                if lo <= b.ts_event < hi
            ]
            if page:
                pages.append(page)
            if end_at is None:
                break
            cursor -= chunk * 1_000_000_000
        for page in reversed(pages):  # oldest first
            yield page

    async def trades(self, symbol: str, start: date, end: date) -> AsyncIterator[list[Trade]]:
        venue = parse_key(symbol).exchange
        async for ticks in self._ticks(symbol, start, end, "TRADES"):
            ts_recv = now_ns()
            yield [last_trade(symbol, venue, t, ts_recv) for t in ticks]

    async def quotes(self, symbol: str, start: date, end: date) -> AsyncIterator[list[Quote]]:
        venue = parse_key(symbol).exchange
        async for ticks in self._ticks(symbol, start, end, "BID_ASK"):
            ts_recv = now_ns()
            yield [
                Quote(
                    symbol=symbol,
                    venue=venue,
                    provider=SPEC.name,
                    ts_event=to_ns(t.time),
                    ts_recv=ts_recv,
                    bid_price=t.priceBid,
                    bid_size=float(t.sizeBid),
                    ask_price=t.priceAsk,
                    ask_size=float(t.sizeAsk),
                )
                for t in ticks
            ]

    async def aclose(self) -> None:
        if self._ib is not None:
            self._ib.disconnect()
            self._ib = None

    # -- requests ------------------------------------------------------------------------------
    async def _connection(self) -> Any:
        if self._ib is None or not self._ib.isConnected():
            self._contracts.clear()
            self._ib = await connect(self.options, self.options.client_id + HISTORY_CLIENT)
        return self._ib

    async def _contract(self, symbol: str) -> Any:
        if symbol in self._contracts:
            return self._contracts[symbol]
        ib = await self._connection()
        key = parse_key(symbol, self.options.default_exchange, self.options.default_currency)
        details = await self._call(symbol, ib.reqContractDetailsAsync(contract_for(key)))
        if not details:
            raise NotFound(f"ib {symbol}: {codes.HINTS[codes.NO_SECURITY]}")
        contract = self._contracts[symbol] = details[0].contract
        return contract

    async def _bars(
        self,
        contract: Any,
        symbol: str,
        end_at: datetime | None,
        span: str,
        bar_size: str,
        what: str,
        small: bool,
    ) -> list[Any]:
        ib = await self._connection()
        ident = f"{contract.conId}|{end_at}|{span}|{bar_size}|{what}|{self.options.use_rth}"
        await self.pacing.wait(f"{contract.conId}@{contract.exchange}", what, ident, small)
        rows: list[Any] = await self._call(
            symbol,
            ib.reqHistoricalDataAsync(
                contract,
                end_at or "",
                span,
                bar_size,
                what,
                self.options.use_rth,
                formatDate=2,
                timeout=0,  # ours below: ib_async's own timeout returns [] as if no data
            ),
        )
        return rows

    async def _ticks(self, symbol: str, start: date, end: date, what: str) -> AsyncIterator[Any]:
        """Pages of up to 1000 ticks from ``start``. Each request begins at the previous page's
        last second, whose ticks IB sends again: that many are skipped."""
        lo, hi = day_range_ns(start, end)
        contract = await self._contract(symbol)
        ib = await self._connection()
        cursor = datetime.fromtimestamp(lo // 1_000_000_000, UTC)
        skip = 0
        while True:
            ident = f"{contract.conId}|{cursor}|{what}|{self.options.use_rth}"
            await self.pacing.wait(f"{contract.conId}@{contract.exchange}", what, ident, True)
            ticks = await self._call(
                symbol,
                ib.reqHistoricalTicksAsync(
                    contract, cursor, "", TICKS_PER_REQUEST, what, self.options.use_rth
                ),
            )
            page = [t for t in ticks[skip:] if to_ns(t.time) < hi]
            if page:
                yield page
            if len(ticks) < TICKS_PER_REQUEST or to_ns(ticks[-1].time) >= hi:
                return
            last = ticks[-1].time
            skip = sum(t.time == last for t in ticks)
            if skip == len(ticks):
                raise ProviderError(
                    f"ib {symbol}: more than {TICKS_PER_REQUEST} ticks in the second {last}"
                )
            cursor = last

    async def _call(self, symbol: str, request: Any) -> Any:
        """Await an ib_async request with our timeout; IB errors become provider errors."""
        ib_async = load_ib_async()
        try:
            async with asyncio.timeout(self.options.request_timeout_s):
                return await request
        except TimeoutError:
            raise ProviderError(
                f"ib {symbol}: no reply within {self.options.request_timeout_s:g}s"
            ) from None
        except ib_async.RequestError as exc:
            code, text = exc.code, exc.message
            if code == codes.NO_SECURITY:
                raise NotFound(f"ib {symbol}: {codes.describe(code, text)}") from None
            if codes.is_no_data(code, text):
                return []
            if codes.is_pacing(code, text):
                raise RateLimited(f"ib {symbol}: {codes.describe(code, text)}", 15.0) from None
            raise ProviderError(f"ib {symbol}: {codes.describe(code, text)}") from None

    def _bar(self, symbol: str, interval: str, row: Any, adjusted: bool) -> Bar:
        stamp = row.date
        ts = to_ns(stamp) if isinstance(stamp, datetime) else session_day_ns(stamp)
        return Bar(
            symbol=symbol,
            venue=parse_key(symbol).exchange,
            provider=SPEC.name,
            ts_event=ts,
            ts_recv=now_ns(),
            interval=interval,
            open=row.open,
            high=row.high,
            low=row.low,
            close=row.close,
            volume=float(row.volume),
            vwap=row.average or None,
            trades=row.barCount or None,
            adjusted=adjusted,
        )
