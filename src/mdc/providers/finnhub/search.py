"""Finnhub symbol lookup (``GET /search``) and stock symbols per exchange (``/stock/symbol``).

https://finnhub.io/docs/api/symbol-search and https://finnhub.io/docs/api/stock-symbols (read
2026-12-03): ``/search?q=`` answers ``{"count", "result": [{"description", "displaySymbol",
"symbol", "type"}]}`` across exchanges; ``/stock/symbol?exchange=US`` lists every symbol with
``currency``, ``figi``, ``shareClassFIGI``, ``isin``, ``mic`` and ``type``. Both are on the free
plan (60 calls/min). The key goes in the ``X-Finnhub-Token`` header. For US symbols Finnhub's
``figi`` is the US composite FIGI, so it is recorded as both.
"""

from __future__ import annotations

from typing import Final

import msgspec

from mdc.config import provider_section
from mdc.config.schema import Config
from mdc.providers.base import SymbolInfo
from mdc.providers.finnhub import SPEC
from mdc.providers.finnhub.config import FinnhubConfig
from mdc.providers.rest_search import RestSearch
from mdc.providers.search import rank
from mdc.providers.symbols import from_provider

ASSET_CLASSES: Final = {
    "Common Stock": "equity",
    "ADR": "equity",
    "REIT": "equity",
    "Preference": "equity",
    "ETP": "etf",
    "ETF": "etf",
    "Closed-End Fund": "fund",
    "Open-End Fund": "fund",
    "Unit": "equity",
}


class Match(msgspec.Struct):
    symbol: str
    description: str = ""
    displaySymbol: str = ""
    type: str = ""


class Lookup(msgspec.Struct):
    result: list[Match] = []
    count: int = 0


class StockSymbol(msgspec.Struct):
    symbol: str
    description: str = ""
    displaySymbol: str = ""
    type: str = ""
    currency: str = ""
    figi: str = ""
    shareClassFIGI: str = ""
    isin: str | None = None
    mic: str = ""


class FinnhubSearch(RestSearch):
    spec = SPEC

    def __init__(self, config: Config) -> None:
        self.options = provider_section(config, SPEC.name, FinnhubConfig)
        super().__init__(self.options.rest)

    async def search(self, query: str, limit: int = 20) -> list[SymbolInfo]:
        url = self.options.base_url.rstrip("/") + "/search"
        response = await self.client.get(
            url, {"q": query.strip()}, headers=self._auth(), endpoint="search"
        )
        found = self.client.decode(response, Lookup, "symbol lookup", strict=False)
        infos = [
            SymbolInfo(
                symbol=from_provider(m.symbol, SPEC.symbol_style),
                provider="finnhub",
                provider_symbol=m.symbol,
                name=m.description,
                asset_class=ASSET_CLASSES.get(m.type, m.type.lower()),
            )
            for m in found.result
        ]
        ranked = rank(query, infos, limit)
        return (ranked + [i for i in infos if i not in ranked])[:limit]

    async def listing(self) -> list[SymbolInfo]:
        url = self.options.base_url.rstrip("/") + "/stock/symbol"
        infos: list[SymbolInfo] = []
        for exchange in self.options.exchanges:
            response = await self.client.get(
                url, {"exchange": exchange}, headers=self._auth(), endpoint="stock_symbol"
            )
            rows = self.client.decode(response, list[StockSymbol], "stock symbols", strict=False)
            us = exchange.upper() == "US"
            infos += [
                SymbolInfo(
                    symbol=from_provider(r.symbol, SPEC.symbol_style),
                    provider="finnhub",
                    provider_symbol=r.symbol,
                    name=r.description,
                    venue=r.mic,
                    mic=r.mic,
                    asset_class=ASSET_CLASSES.get(r.type, r.type.lower()),
                    currency=r.currency,
                    figi=r.figi,
                    composite_figi=r.figi if us else "",
                    share_class_figi=r.shareClassFIGI,
                    isin=r.isin or "",
                )
                for r in rows
            ]
        return infos

    def _auth(self) -> dict[str, str]:
        return {"X-Finnhub-Token": self.credential("FINNHUB_API_KEY")}
