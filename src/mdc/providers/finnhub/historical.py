"""Finnhub REST candles: intraday bars (1, 5, 15, 30, 60 minutes; unadjusted) and daily, weekly,
monthly bars (split-adjusted).

Docs used (read 2026-12-02): https://finnhub.io/docs/api/stock-candles
(``/stock/candle?symbol&resolution&from&to``, resolutions 1 5 15 30 60 D W M, "daily data will be
adjusted for splits, intraday data will remain unadjusted"), https://finnhub.io/docs/api/authentication
(``X-Finnhub-Token`` header; the official client ``finnhub/client.py`` of
https://github.com/Finnhub-Stock-API/finnhub-python sends the same key as the ``token`` query
parameter instead, which would put it in URLs), https://finnhub.io/docs/api/rate-limit.

Stock candles are a paid-plan endpoint: "free plan never allowed access to /stock/candle"
(Finnhub's maintainers, https://github.com/finnhubio/Finnhub-API/issues/546, 2025-04), and a free
key gets HTTP 403 ``{"error": "You don't have access to this resource."}``, reported as
``NotInPlan`` saying so; a rejected key is HTTP 401, a ``CredentialsError``.

So intraday requests must ask for raw bars and daily-and-longer ones for adjusted bars; the
other combinations raise ``UnsupportedRequest``. Intraday history comes in windows of
``intraday_window_days`` (one request = one page).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import date
from typing import Final

import httpx
import msgspec

from mdc.config.load import provider_section
from mdc.config.schema import Config
from mdc.domain.events import Bar
from mdc.domain.interval import Interval, IntervalError, day_range_ns
from mdc.domain.time import NS_PER_S, now_ns
from mdc.providers.base import NotInPlan, ProviderError, UnsupportedRequest
from mdc.providers.finnhub import SPEC, parse
from mdc.providers.finnhub.config import FinnhubConfig
from mdc.providers.paging import date_windows, in_time_order, within
from mdc.providers.ratelimit import RateLimiter
from mdc.providers.rest_provider import RestHistorical
from mdc.providers.symbols import to_provider

RESOLUTIONS: Final[dict[str, str]] = {
    "1m": "1",
    "5m": "5",
    "15m": "15",
    "30m": "30",
    "60m": "60",
    "1h": "60",
    "1d": "D",
    "1w": "W",
    "1mo": "M",
}


PAID_ONLY: Final = (
    "finnhub: stock candles are paid-only on Finnhub, and this key's plan does not include them "
    "(HTTP 403{detail}); subscribe at https://finnhub.io/pricing or use another provider"
)


def classify(response: httpx.Response) -> ProviderError | None:
    """403 on candles: a valid key on a plan without them (Finnhub's free plan)."""
    if response.status_code != 403:
        return None
    text = " ".join(response.text[:160].split())
    with contextlib.suppress(msgspec.DecodeError, msgspec.ValidationError):
        text = msgspec.json.decode(response.content, type=dict[str, str]).get("error", text)
    return NotInPlan(PAID_ONLY.format(detail=f": {text}" if text else ""))


def resolution(interval: str, adjusted: bool) -> tuple[str, Interval]:
    try:
        iv = Interval.parse(interval)
    except IntervalError as exc:
        raise UnsupportedRequest(f"finnhub: {exc}") from None
    if str(iv) not in RESOLUTIONS:
        raise UnsupportedRequest(f"finnhub: no {interval} bars (1m 5m 15m 30m 1h 1d 1w 1mo)")
    if iv.intraday and adjusted:
        raise UnsupportedRequest("finnhub: intraday candles are unadjusted only")
    if not iv.intraday and not adjusted:
        raise UnsupportedRequest("finnhub: daily and longer candles are split-adjusted only")
    return RESOLUTIONS[str(iv)], iv


class FinnhubHistorical(RestHistorical):
    spec = SPEC
    serves = frozenset({"bars"})

    def __init__(self, config: Config, limiter: RateLimiter | None = None) -> None:
        self.settings = provider_section(config, "finnhub", FinnhubConfig)
        super().__init__(config, limiter, self.settings.rest, classify=classify)

    def check_bars(self, interval: str, adjusted: bool | None) -> None:
        """Without an ``adjusted`` preference, the adjustment the interval comes in."""
        iv = Interval.parse(interval)
        resolution(interval, not iv.intraday if adjusted is None else adjusted)

    async def bars(
        self, symbol: str, start: date, end: date, interval: str, adjusted: bool = True
    ) -> AsyncIterator[list[Bar]]:
        code, iv = resolution(interval, adjusted)
        daily = not iv.intraday
        windows = (
            [(start, end)]
            if daily
            else date_windows(start, end, self.settings.intraday_window_days)
        )
        start_ns, end_ns = day_range_ns(start, end)
        ticker = to_provider(symbol, self.spec.symbol_style, self.settings.symbol_map)
        url = self.settings.base_url.rstrip("/") + "/stock/candle"
        for first, last in windows:
            window_start, window_end = day_range_ns(first, last)
            token = self.credential("FINNHUB_API_KEY")
            response = await self.client.get(
                url,
                {
                    "symbol": ticker,
                    "resolution": code,
                    "from": window_start // NS_PER_S,
                    "to": window_end // NS_PER_S - 1,
                },
                headers={"X-Finnhub-Token": token},
            )
            candles = self.client.decode(response, parse.Candles, "candles")
            with self.client.reading(response, "candles"):
                out = parse.bars(candles, symbol, str(iv), daily, self.settings.venue, now_ns())
            yield within(in_time_order(out), start_ns, end_ns)
