"""Massive (Polygon) tickers, ``GET /v3/reference/tickers``: text search and the full list.

https://massive.com/docs/rest/stocks/tickers/all-tickers (read 2026-12-03): ``search`` matches
ticker or name, ``market`` (stocks, crypto, fx, otc, indices), ``active``, ``limit`` up to 1000,
paged through ``next_url``; each result has ``ticker``, ``name``, ``market``,
``primary_exchange`` (a MIC), ``type`` (CS, ETF, ADRC, …), ``active``, ``currency_name``,
``composite_figi``, ``share_class_figi`` and, for crypto and fx, ``base_currency_symbol`` /
``currency_symbol``. The key goes in the ``Authorization: Bearer`` header.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Final

import httpx
import msgspec

from mdc.config import provider_section
from mdc.config.schema import Config
from mdc.providers.base import ProviderError, SymbolInfo
from mdc.providers.polygon import SPEC
from mdc.providers.polygon.config import PolygonConfig
from mdc.providers.rest import Params
from mdc.providers.rest_search import RestSearch
from mdc.providers.search import rank
from mdc.providers.symbols import from_provider

PATH: Final = "/v3/reference/tickers"
ETF_TYPES: Final = frozenset({"ETF", "ETN", "ETV", "ETS"})
ASSET_CLASSES: Final = {"crypto": "crypto", "fx": "fx", "indices": "index"}


class Ticker(msgspec.Struct):
    ticker: str
    name: str = ""
    market: str = "stocks"
    primary_exchange: str = ""
    type: str = ""
    active: bool = True
    currency_name: str = ""
    composite_figi: str = ""
    share_class_figi: str = ""
    base_currency_symbol: str = ""
    currency_symbol: str = ""


class TickersPage(msgspec.Struct):
    results: list[Ticker] = []
    status: str = "OK"
    next_url: str | None = None
    error: str | None = None


class PolygonSearch(RestSearch):
    spec = SPEC

    def __init__(self, config: Config) -> None:
        self.options = provider_section(config, SPEC.name, PolygonConfig).rest
        super().__init__(self.options)

    async def search(self, query: str, limit: int = 20) -> list[SymbolInfo]:
        params: Params = {"search": query.strip(), "active": "true", "limit": min(limit, 1000)}
        found: list[SymbolInfo] = []
        async for page in self._pages(params):
            found += [info(t) for t in page]
            if len(found) >= limit:
                break
        ranked = rank(query, found, limit)
        return (ranked + [f for f in found if f not in ranked])[:limit]

    async def listing(self) -> list[SymbolInfo]:
        infos: list[SymbolInfo] = []
        for market in self.options.tickers_markets:
            params: Params = {
                "market": market,
                "active": "true",
                "order": "asc",
                "sort": "ticker",
                "limit": self.options.tickers_page_limit,
            }
            async for page in self._pages(params):
                infos += [info(t) for t in page]
        return infos

    async def _pages(self, params: Params) -> AsyncIterator[list[Ticker]]:
        """Every page of tickers, following ``next_url`` on the configured host."""
        base = self.options.url.rstrip("/")
        url: str = base + PATH
        query: Params | None = params
        seen: set[str] = set()
        headers = {"Authorization": f"Bearer {self.credential('POLYGON_API_KEY')}"}
        while True:
            response = await self.client.get(url, query, headers=headers, endpoint="tickers")
            page = self.client.decode(response, TickersPage, "tickers page", strict=False)
            if page.status == "ERROR":
                raise ProviderError(f"polygon: tickers request failed: {page.error or 'ERROR'}")
            yield page.results
            if not page.next_url:
                return
            url = base + httpx.URL(page.next_url).raw_path.decode("ascii")
            query = None
            if url in seen:
                raise ProviderError(f"polygon: next_url repeats itself ({self.client.redact(url)})")
            seen.add(url)


def info(t: Ticker) -> SymbolInfo:
    market = t.market
    if market in ("crypto", "fx") and t.base_currency_symbol and t.currency_symbol:
        symbol = f"{t.base_currency_symbol}-{t.currency_symbol}".upper()
    else:
        symbol = from_provider(t.ticker.partition(":")[2] or t.ticker, SPEC.symbol_style)
    asset_class = ASSET_CLASSES.get(market) or ("etf" if t.type in ETF_TYPES else "equity")
    return SymbolInfo(
        symbol=symbol,
        provider="polygon",
        provider_symbol=t.ticker,
        name=t.name,
        venue=t.primary_exchange,
        mic=t.primary_exchange if len(t.primary_exchange) == 4 else "",
        asset_class=asset_class,
        currency=(t.currency_symbol or t.currency_name).upper(),
        composite_figi=t.composite_figi,
        share_class_figi=t.share_class_figi,
        active=t.active,
    )
