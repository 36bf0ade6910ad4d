"""Yahoo Finance chart API history: daily and intraday bars, dividends and splits.

Yahoo has no official documentation for ``/v8/finance/chart/<symbol>``; the request parameters
(``period1``/``period2`` epoch seconds, ``interval`` 1m 2m 5m 15m 30m 60m 90m 1h 1d 5d 1wk 1mo 3mo,
``events=div|split``, ``includeAdjustedClose``) are the ones its public clients use, as described
in https://github.com/gadicc/node-yahoo-finance2/blob/devel/docs/modules/chart.md and
https://www.educative.io/courses/getting-financial-data-using-yh-finance-api-in-javascript/chart-data;
the cookie + crumb handshake every request needs is in ``session.py`` (checked against yfinance's
source on 2026-12-02). A 401 (stale crumb) is answered with one new handshake and one retry; a
429 or 403 is "Yahoo blocked this client", never a rate limit to wait out.

Yahoo's prices are always split-adjusted, so only ``adjusted=True`` is served: daily and longer
bars are also dividend-adjusted through ``adjclose``; intraday bars are split-adjusted as served.
Intraday history comes in windows (one request = one page) because the API caps each request's
range.
"""

from __future__ import annotations

import importlib.util
from collections.abc import AsyncIterator
from datetime import date
from functools import partial
from typing import Final
from urllib.parse import quote

import httpx

from mdc.config.load import ConfigError, provider_section
from mdc.config.schema import Config
from mdc.domain.events import Bar, CorporateAction
from mdc.domain.interval import Interval, IntervalError, day_range_ns
from mdc.domain.time import NS_PER_S, now_ns
from mdc.providers.base import NotFound, ProviderError, UnsupportedRequest
from mdc.providers.paging import date_windows, in_time_order, within
from mdc.providers.ratelimit import RateLimiter
from mdc.providers.rest_provider import RestHistorical
from mdc.providers.symbols import to_provider
from mdc.providers.yahoo import SPEC, parse
from mdc.providers.yahoo.config import YahooConfig
from mdc.providers.yahoo.session import (
    BLOCK_STATUSES,
    Blocked,
    CrumbSession,
    StaleCrumb,
    blocked_message,
)

MINUTES: Final = frozenset({1, 2, 5, 15, 30, 60, 90})
LONG: Final[dict[str, str]] = {
    "1h": "1h",
    "1d": "1d",
    "5d": "5d",
    "1w": "1wk",
    "1mo": "1mo",
    "3mo": "3mo",
}


def yahoo_interval(interval: str) -> tuple[str, Interval]:
    """Yahoo's ``interval`` value and the parsed interval, or ``UnsupportedRequest``."""
    try:
        iv = Interval.parse(interval)
    except IntervalError as exc:
        raise UnsupportedRequest(f"yahoo: {exc}") from None
    if iv.unit == "m" and iv.count in MINUTES:
        return f"{iv.count}m", iv
    if str(iv) in LONG:
        return LONG[str(iv)], iv
    raise UnsupportedRequest(
        f"yahoo: no {interval} bars (1m 2m 5m 15m 30m 60m 90m 1h 1d 5d 1w 1mo 3mo)"
    )


def classify(response: httpx.Response, *, browser_tls: bool) -> ProviderError | None:
    """401 → a stale crumb (one new handshake); 429/403 → Yahoo blocked this client."""
    status = response.status_code
    if status == 401:
        return StaleCrumb(f"HTTP 401{_detail(response)}")
    if status in BLOCK_STATUSES:
        return Blocked(blocked_message(f"HTTP {status}{_detail(response)}", browser_tls))
    return None


def _detail(response: httpx.Response) -> str:
    text = " ".join(response.text[:120].split())
    return f": {text}" if text and not text.startswith(("{", "<")) else ""


def browser_transport(settings: YahooConfig) -> httpx.AsyncBaseTransport | None:
    """curl_cffi's browser TLS when chosen or available (``browser_tls``), else ``None``."""
    available = importlib.util.find_spec("curl_cffi") is not None
    if settings.browser_tls == "off" or (settings.browser_tls == "auto" and not available):
        return None
    if not available:
        raise ConfigError(
            "providers.yahoo.browser_tls = \"on\" needs curl_cffi: pip install 'mdc[yahoo]'"
        )
    from mdc.providers.yahoo.transport import CurlCffiTransport

    return CurlCffiTransport(settings.impersonate, settings.rest.timeout_s)


class YahooHistorical(RestHistorical):
    spec = SPEC
    serves = frozenset({"bars", "corporate_actions"})
    raw_bars = False

    def __init__(self, config: Config, limiter: RateLimiter | None = None) -> None:
        self.settings = provider_section(config, "yahoo", YahooConfig)
        transport = browser_transport(self.settings)
        tls = transport is not None
        super().__init__(
            config,
            limiter,
            self.settings.rest,
            classify=partial(classify, browser_tls=tls),
            transport=transport,
        )
        self.session = CrumbSession(self.client, self.settings, browser_tls=tls)

    def check_bars(self, interval: str, adjusted: bool | None) -> None:
        yahoo_interval(interval)

    async def bars(
        self, symbol: str, start: date, end: date, interval: str, adjusted: bool = True
    ) -> AsyncIterator[list[Bar]]:
        value, iv = yahoo_interval(interval)
        if not adjusted:
            raise UnsupportedRequest("yahoo: prices are split-adjusted; raw bars are not served")
        daily = not iv.intraday
        if daily:
            windows = [(start, end)]
        else:
            days = (
                self.settings.minute_window_days
                if value == "1m"
                else (self.settings.intraday_window_days)
            )
            windows = date_windows(start, end, days)
        start_ns, end_ns = day_range_ns(start, end)
        for first, last in windows:
            response, result = await self._chart(symbol, first, last, value, events=False)
            with self.client.reading(response, "chart"):
                out = parse.bars(result, symbol, str(iv), daily, self.settings.venue, now_ns())
            yield within(in_time_order(out), start_ns, end_ns)

    async def corporate_actions(
        self, symbol: str, start: date, end: date
    ) -> AsyncIterator[list[CorporateAction]]:
        response, result = await self._chart(symbol, start, end, "1d", events=True)
        with self.client.reading(response, "chart events"):
            out = parse.corporate_actions(result, symbol, self.settings.venue, now_ns())
        start_ns, end_ns = day_range_ns(start, end)
        yield within(in_time_order(out), start_ns, end_ns)

    async def _chart(
        self, symbol: str, first: date, last: date, interval: str, *, events: bool
    ) -> tuple[httpx.Response, parse.Result]:
        period1, period2 = (ns // NS_PER_S for ns in day_range_ns(first, last))
        params: dict[str, str | int | float] = {
            "period1": period1,
            "period2": period2,
            "interval": interval,
            "includeAdjustedClose": "true",
            "includePrePost": "true",
        }
        if events:
            params["events"] = "div|split"
        ticker = quote(
            to_provider(symbol, self.spec.symbol_style, self.settings.symbol_map), safe=""
        )
        url = f"{self.settings.base_url.rstrip('/')}/v8/finance/chart/{ticker}"
        crumb = await self.session.current()
        try:
            response = await self.client.get(url, {**params, "crumb": crumb})
        except StaleCrumb:
            crumb = await self.session.refresh()
            try:
                response = await self.client.get(url, {**params, "crumb": crumb})
            except StaleCrumb as again:
                raise self.session.blocked(
                    f"a fresh cookie and crumb were refused too, {again}"
                ) from None
        chart = self.client.decode(response, parse.ChartResponse, "chart").chart
        if chart.error is not None:
            message = f"yahoo: {chart.error.code}: {chart.error.description}"
            if chart.error.code.lower() == "not found":
                raise NotFound(message)
            raise ProviderError(message)
        return response, chart.result[0] if chart.result else parse.Result()
