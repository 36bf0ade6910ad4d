"""Massive (formerly Polygon.io) REST history: aggregates at any multiplier/timespan, v3 trades and
quotes, splits, dividends — every list followed through ``next_url``.

Docs used (read 2026-12-02):
https://polygon.io/docs/stocks/getting-started (auth: ``Authorization: Bearer``, range filters),
https://polygon.io/docs/stocks/get_v2_aggs_ticker__stocksticker__range__multiplier___timespan___from___to,
https://polygon.io/docs/stocks/get_v3_trades__stockticker,
https://polygon.io/docs/stocks/get_v3_quotes__stockticker,
https://massive.com/docs/rest/stocks/corporate-actions/splits (``/stocks/v1/splits``:
``execution_date.gte/.lte``, ``sort=execution_date.asc``, ``limit`` ≤ 5,000),
https://massive.com/docs/rest/stocks/corporate-actions/dividends (``/stocks/v1/dividends``:
``ex_dividend_date.gte/.lte``), https://massive.com/blog/new-splits-and-dividends-endpoints (the
``/v3/reference/splits`` and ``/v3/reference/dividends`` endpoints deprecated 2026-02-18; the new
ones on every plan), https://polygon.io/blog/api-pagination-patterns (``next_url``), and
``massive/rest/__init__.py`` (``BASE = "https://api.massive.com"``) and ``massive/rest/
reference.py`` (``list_stocks_splits``, ``list_stocks_dividends``) of
https://github.com/massive-com/client-python.

A 403 ``NOT_AUTHORIZED`` ("You are not entitled to this data. Please upgrade your plan …") is
``NotInPlan``, a 401 (unknown key) ``CredentialsError``. The key goes in a header, never in the
URL. ``next_url`` points at Polygon's public host; its path
and cursor are replayed on the configured ``rest.url`` so proxies and local test servers work.
``adjusted`` maps to Polygon's ``adjusted`` flag (split adjustment).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Final, TypeVar
from urllib.parse import quote

import httpx
import msgspec

from mdc.config.load import provider_section
from mdc.config.schema import Config
from mdc.domain.events import Bar, CorporateAction, Quote, Trade
from mdc.domain.interval import Interval, IntervalError, day_range_ns
from mdc.domain.time import NS_PER_MS, now_ns
from mdc.providers.base import NotInPlan, ProviderError, UnsupportedRequest
from mdc.providers.paging import in_time_order, within
from mdc.providers.polygon import SPEC
from mdc.providers.polygon import rest_parse as parse
from mdc.providers.polygon.config import PolygonConfig
from mdc.providers.ratelimit import RateLimiter
from mdc.providers.rest import Params
from mdc.providers.rest_provider import RestHistorical
from mdc.providers.symbols import to_provider

T = TypeVar("T")

TIMESPANS: Final[dict[str, str]] = {
    "s": "second",
    "m": "minute",
    "h": "hour",
    "d": "day",
    "w": "week",
    "mo": "month",
    "q": "quarter",
    "y": "year",
}


NOT_AUTHORIZED: Final = "NOT_AUTHORIZED"
PRICING: Final = "https://massive.com/pricing"


def classify(response: httpx.Response) -> ProviderError | None:
    """403 ``NOT_AUTHORIZED``: the key is good, its plan lacks the data (or its history)."""
    if response.status_code != 403:
        return None
    try:
        body = msgspec.json.decode(response.content, type=parse.Page[msgspec.Raw])
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    if body.status != NOT_AUTHORIZED:
        return None
    said = (body.message or "").split(" Please upgrade")[0]
    return NotInPlan(
        f"polygon: not included in your plan (HTTP 403 {NOT_AUTHORIZED}: {said}); ask for data "
        f"your plan has, or upgrade at {PRICING}"
    )


class PolygonHistorical(RestHistorical):
    spec = SPEC
    serves = frozenset({"bars", "trades", "quotes", "corporate_actions"})

    def __init__(self, config: Config, limiter: RateLimiter | None = None) -> None:
        self.settings = provider_section(config, "polygon", PolygonConfig).rest
        super().__init__(config, limiter, self.settings, classify=classify)

    def check_bars(self, interval: str, adjusted: bool | None) -> None:
        Interval.parse(interval)

    async def bars(
        self, symbol: str, start: date, end: date, interval: str, adjusted: bool = True
    ) -> AsyncIterator[list[Bar]]:
        try:
            iv = Interval.parse(interval)
        except IntervalError as exc:
            raise UnsupportedRequest(f"polygon: {exc}") from None
        start_ns, end_ns = day_range_ns(start, end)
        daily = not iv.intraday
        if daily:
            window = f"{start.isoformat()}/{end.isoformat()}"
        else:
            window = f"{start_ns // NS_PER_MS}/{end_ns // NS_PER_MS - 1}"
        path = (
            f"/v2/aggs/ticker/{self._ticker(symbol)}/range/{iv.count}/{TIMESPANS[iv.unit]}/{window}"
        )
        params: Params = {
            "adjusted": "true" if adjusted else "false",
            "sort": "asc",
            "limit": self.settings.page_limit,
        }
        async for response, page in self._pages(
            path, params, "bars", parse.Page[parse.Agg], "aggregates"
        ):
            with self.client.reading(response, "aggregates page"):
                out = parse.bars(
                    page.results or [],
                    symbol,
                    str(iv),
                    daily,
                    adjusted,
                    self.settings.venue,
                    now_ns(),
                )
            yield within(in_time_order(out), start_ns, end_ns)

    async def trades(self, symbol: str, start: date, end: date) -> AsyncIterator[list[Trade]]:
        start_ns, end_ns = day_range_ns(start, end)
        path = f"/v3/trades/{self._ticker(symbol)}"
        params = self._tick_params(start_ns, end_ns)
        venue = self.settings.venue
        async for response, page in self._pages(
            path, params, "trades", parse.Page[parse.V3Trade], "trades"
        ):
            with self.client.reading(response, "trades page"):
                out = parse.trades(page.results or [], symbol, venue, now_ns())
            yield within(in_time_order(out), start_ns, end_ns)

    async def quotes(self, symbol: str, start: date, end: date) -> AsyncIterator[list[Quote]]:
        start_ns, end_ns = day_range_ns(start, end)
        path = f"/v3/quotes/{self._ticker(symbol)}"
        params = self._tick_params(start_ns, end_ns)
        venue = self.settings.venue
        async for response, page in self._pages(
            path, params, "quotes", parse.Page[parse.V3Quote], "quotes"
        ):
            with self.client.reading(response, "quotes page"):
                out = parse.quotes(page.results or [], symbol, venue, now_ns())
            yield within(in_time_order(out), start_ns, end_ns)

    async def corporate_actions(
        self, symbol: str, start: date, end: date
    ) -> AsyncIterator[list[CorporateAction]]:
        """Splits and dividends merged into one time-ordered page (they are few)."""
        start_ns, end_ns = day_range_ns(start, end)
        ticker = self._ticker(symbol)
        venue = self.settings.venue
        limit = self.settings.reference_page_limit
        actions: list[CorporateAction] = []
        split_params: Params = {
            "ticker": ticker,
            "execution_date.gte": start.isoformat(),
            "execution_date.lte": end.isoformat(),
            "sort": "execution_date.asc",
            "limit": limit,
        }
        async for response, split_page in self._pages(
            "/stocks/v1/splits", split_params, "splits", parse.Page[parse.Split], "splits"
        ):
            with self.client.reading(response, "splits page"):
                actions += parse.splits(split_page.results or [], symbol, venue, now_ns())
        dividend_params: Params = {
            "ticker": ticker,
            "ex_dividend_date.gte": start.isoformat(),
            "ex_dividend_date.lte": end.isoformat(),
            "sort": "ex_dividend_date.asc",
            "limit": limit,
        }
        async for response, dividend_page in self._pages(
            "/stocks/v1/dividends",
            dividend_params,
            "dividends",
            parse.Page[parse.Dividend],
            "dividends",
        ):
            with self.client.reading(response, "dividends page"):
                actions += parse.dividends(dividend_page.results or [], symbol, venue, now_ns())
        yield within(in_time_order(actions), start_ns, end_ns)

    async def _pages(
        self,
        path: str,
        params: Params | None,
        endpoint: str,
        page_type: type[parse.Page[T]],
        what: str,
    ) -> AsyncIterator[tuple[httpx.Response, parse.Page[T]]]:
        """Every page (with its response), following ``next_url`` on the configured host."""
        url = self._base() + path
        seen: set[str] = set()
        while True:
            response = await self.client.get(url, params, headers=self._auth(), endpoint=endpoint)
            page = self.client.decode(response, page_type, f"{what} page")
            if page.status == "ERROR":
                raise ProviderError(
                    f"polygon: {what} request failed: {page.error or page.message or 'ERROR'}"
                )
            yield response, page
            if not page.next_url:
                return
            url = self._rebase(page.next_url)
            params = None
            if url in seen:
                raise ProviderError(f"polygon: next_url repeats itself ({self.client.redact(url)})")
            seen.add(url)

    def _tick_params(self, start_ns: int, end_ns: int) -> Params:
        return {
            "timestamp.gte": start_ns,
            "timestamp.lt": end_ns,
            "order": "asc",
            "sort": "timestamp",
            "limit": self.settings.page_limit,
        }

    def _auth(self) -> dict[str, str]:
        key = self.credential("POLYGON_API_KEY")
        return {"Authorization": f"Bearer {key}"}

    def _base(self) -> str:
        return self.settings.url.rstrip("/")

    def _rebase(self, next_url: str) -> str:
        """``next_url``'s path and query on the configured ``rest.url``."""
        target = httpx.URL(next_url)
        return self._base() + target.raw_path.decode("ascii")

    def _ticker(self, symbol: str) -> str:
        return quote(to_provider(symbol, self.spec.symbol_style, self.settings.symbol_map), safe="")
