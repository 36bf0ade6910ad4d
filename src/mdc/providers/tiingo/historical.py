"""Tiingo REST history: end-of-day bars (raw or adjusted) with dividends and splits, and IEX
intraday bars.

Docs used:
https://api.tiingo.com/documentation/end-of-day
(``/tiingo/daily/<ticker>/prices?startDate&endDate&resampleFreq=daily|weekly|monthly|annually``,
fields, CRSP adjustment),
https://api.tiingo.com/documentation/iex
(``/iex/<ticker>/prices?startDate&endDate&resampleFreq=5min``, intraday OHLC),
https://api.tiingo.com/docs/general/overview (token authentication); all read again 2026-12-03.

The token goes in the ``Authorization: Token`` header. IEX intraday bars are unadjusted and come
from IEX alone (``iex_venue``; without an IEX market-data agreement, Tiingo's reference price
derived from IEX, since 2025-02-01); they are fetched in windows of ``iex_window_days`` (one
page per window), each request padded by a day on both sides and clipped to the UTC range, so
bars near midnight UTC are neither lost nor duplicated between adjacent requests.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Final, TypeVar
from urllib.parse import quote

import httpx

from mdc.config.load import provider_section
from mdc.config.schema import Config
from mdc.domain.events import Bar, CorporateAction
from mdc.domain.interval import Interval, IntervalError, day_range_ns
from mdc.domain.time import now_ns
from mdc.providers.base import NotFound, ProviderError, RateLimited, UnsupportedRequest
from mdc.providers.paging import date_windows, in_time_order, within
from mdc.providers.ratelimit import RateLimiter
from mdc.providers.rest import Params
from mdc.providers.rest_provider import RestHistorical
from mdc.providers.symbols import to_provider
from mdc.providers.tiingo import SPEC, parse
from mdc.providers.tiingo.config import TiingoConfig

DAILY_FREQ: Final[dict[str, str]] = {
    "1d": "daily",
    "1w": "weekly",
    "1mo": "monthly",
    "1y": "annually",
}
QUOTA_WORDS: Final = ("allocation", "rate limit", "too many requests")
R = TypeVar("R")


def resample(interval: str, adjusted: bool) -> tuple[str, bool]:
    """``(resampleFreq, is_daily)`` for an interval, or ``UnsupportedRequest``."""
    try:
        iv = Interval.parse(interval)
    except IntervalError as exc:
        raise UnsupportedRequest(f"tiingo: {exc}") from None
    if str(iv) in DAILY_FREQ:
        return DAILY_FREQ[str(iv)], True
    if iv.unit in ("m", "h") and iv.intraday:
        if adjusted:
            raise UnsupportedRequest("tiingo: IEX intraday bars are unadjusted only")
        return (f"{iv.count}min" if iv.unit == "m" else f"{iv.count}hour"), False
    raise UnsupportedRequest(f"tiingo: no {interval} bars (1m..23h intraday, 1d, 1w, 1mo, 1y)")


class TiingoHistorical(RestHistorical):
    spec = SPEC
    serves = frozenset({"bars", "corporate_actions"})

    def __init__(self, config: Config, limiter: RateLimiter | None = None) -> None:
        self.settings = provider_section(config, "tiingo", TiingoConfig)
        super().__init__(config, limiter, self.settings.rest)

    def check_bars(self, interval: str, adjusted: bool | None) -> None:
        resample(interval, bool(adjusted))

    async def bars(
        self, symbol: str, start: date, end: date, interval: str, adjusted: bool = True
    ) -> AsyncIterator[list[Bar]]:
        freq, daily = resample(interval, adjusted)
        canonical = str(Interval.parse(interval))
        start_ns, end_ns = day_range_ns(start, end)
        ticker = self._ticker(symbol)
        if daily:
            params: Params = {
                "startDate": start.isoformat(),
                "endDate": end.isoformat(),
                "resampleFreq": freq,
                "format": "json",
            }
            response, rows = await self._rows(
                f"/tiingo/daily/{ticker}/prices", params, list[parse.DailyRow], "daily prices"
            )
            with self.client.reading(response, "daily prices"):
                out = parse.daily_bars(
                    rows, symbol, canonical, adjusted, self.settings.venue, now_ns()
                )
            yield within(in_time_order(out), start_ns, end_ns)
            return
        padded = (start - timedelta(days=1), end + timedelta(days=1))
        for first, last in date_windows(*padded, self.settings.iex_window_days):
            params = {
                "startDate": first.isoformat(),
                "endDate": last.isoformat(),
                "resampleFreq": freq,
                "columns": "open,high,low,close,volume",
                "format": "json",
            }
            response, iex_rows = await self._rows(
                f"/iex/{ticker}/prices", params, list[parse.IexRow], "IEX prices"
            )
            with self.client.reading(response, "IEX prices"):
                out = parse.iex_bars(iex_rows, symbol, canonical, self.settings.iex_venue, now_ns())
            window_start, window_end = day_range_ns(first, last)
            yield within(in_time_order(out), max(start_ns, window_start), min(end_ns, window_end))

    async def corporate_actions(
        self, symbol: str, start: date, end: date
    ) -> AsyncIterator[list[CorporateAction]]:
        """Dividends and splits read off the raw daily rows (``divCash``, ``splitFactor``)."""
        start_ns, end_ns = day_range_ns(start, end)
        params: Params = {
            "startDate": start.isoformat(),
            "endDate": end.isoformat(),
            "resampleFreq": "daily",
            "format": "json",
        }
        response, rows = await self._rows(
            f"/tiingo/daily/{self._ticker(symbol)}/prices",
            params,
            list[parse.DailyRow],
            "daily prices",
        )
        with self.client.reading(response, "daily prices"):
            out = parse.corporate_actions(rows, symbol, self.settings.venue, now_ns())
        yield within(in_time_order(out), start_ns, end_ns)

    async def _rows(
        self, path: str, params: Params, row_type: type[list[R]], what: str
    ) -> tuple[httpx.Response, list[R]]:
        """One request; a ``{"detail": ...}`` body instead of rows becomes the matching error."""
        token = self.credential("TIINGO_API_KEY")
        response = await self.client.get(
            self.settings.base_url.rstrip("/") + path,
            params,
            headers={"Authorization": f"Token {token}"},
        )
        if response.content.lstrip()[:1] == b"{":
            detail = self.client.redact(self.client.decode(response, parse.Detail, what).detail)
            lowered = detail.lower()
            if "not found" in lowered:
                raise NotFound(f"tiingo: {detail}")
            if any(word in lowered for word in QUOTA_WORDS):
                raise RateLimited(f"tiingo: {detail}")
            raise ProviderError(f"tiingo: {detail}")
        rows = self.client.decode(response, row_type, what)
        return response, rows

    def _ticker(self, symbol: str) -> str:
        return quote(to_provider(symbol, self.spec.symbol_style, self.settings.symbol_map), safe="")
