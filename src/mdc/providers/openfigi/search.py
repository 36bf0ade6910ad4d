"""OpenFIGI search (``POST /v3/search``) and mapping (``POST /v3/mapping``) as listings.

Search answers ``{"data": [...], "next": "<start token>"}``; mapping answers one entry per job,
``{"data": [...]}`` or ``{"warning": "No identifier found."}`` / ``{"error": ...}``. Each FIGI
record has ``figi``, ``compositeFIGI``, ``shareClassFIGI``, ``ticker``, ``name``, ``exchCode``,
``marketSector``, ``securityType`` and ``securityType2``. Tickers use a slash for share classes
(``BRK/B``). With ``exch_code = "US"`` every result is the US composite listing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import msgspec

from mdc.config import provider_section
from mdc.config.schema import Config
from mdc.providers.base import SymbolInfo
from mdc.providers.credentials import lookup
from mdc.providers.openfigi import SPEC
from mdc.providers.openfigi.config import OpenFigiConfig
from mdc.providers.rest_search import RestSearch
from mdc.providers.search import rank
from mdc.providers.symbols import canonical

KEY_ENV: Final = "OPENFIGI_API_KEY"
MAX_SEARCH_PAGES: Final = 5
"""A search follows ``next`` at most this often (each page costs one of 5 requests a minute)."""
MICS: Final = {"UN": "XNYS", "UW": "XNAS", "UQ": "XNAS", "UR": "XNAS", "UA": "XASE", "UP": "ARCX"}
"""Bloomberg exchange codes of US venues → MICs (the composite ``US`` has none)."""
SECTORS: Final = {
    "Curncy": "fx",
    "Index": "index",
    "Comdty": "future",
    "Govt": "bond",
    "Corp": "bond",
    "Mtge": "bond",
    "Muni": "bond",
    "Pfd": "equity",
}


class Figi(msgspec.Struct):
    figi: str
    ticker: str | None = None
    name: str | None = None
    exchCode: str | None = None
    compositeFIGI: str | None = None
    shareClassFIGI: str | None = None
    marketSector: str | None = None
    securityType: str | None = None
    securityType2: str | None = None


class SearchPage(msgspec.Struct):
    data: list[Figi] = []
    next: str | None = None
    error: str | None = None


class MappingResult(msgspec.Struct):
    data: list[Figi] = []
    warning: str | None = None
    error: str | None = None


class OpenFigiSearch(RestSearch):
    spec = SPEC

    def __init__(self, config: Config) -> None:
        self.options = provider_section(config, SPEC.name, OpenFigiConfig)
        rest = self.options.rest
        key = lookup(KEY_ENV)
        self._keyed = bool(key)
        if key:
            rest = msgspec.structs.replace(rest, rate_limits=rest.keyed_rate_limits)
        super().__init__(rest, credential_env=(KEY_ENV,))
        self._headers = {"X-OPENFIGI-APIKEY": key} if key else {}
        if key:
            self.client.add_secret(key)

    @property
    def jobs_per_request(self) -> int:
        o = self.options
        return o.keyed_jobs_per_request if self._keyed else o.jobs_per_request

    async def search(self, query: str, limit: int = 20) -> list[SymbolInfo]:
        body: dict[str, Any] = {"query": query.strip()}
        if self.options.exch_code:
            body["exchCode"] = self.options.exch_code
        found: list[SymbolInfo] = []
        for _ in range(MAX_SEARCH_PAGES):
            response = await self.client.post_json(
                self._url("/v3/search"), body, headers=self._headers, endpoint="search"
            )
            page = self.client.decode(response, SearchPage, "search page", strict=False)
            found += [info(f) for f in page.data]
            if len(found) >= limit or not page.next:
                break
            body["start"] = page.next
        ranked = rank(query, found, limit)
        return (ranked + [f for f in found if f not in ranked])[:limit]

    async def map_tickers(self, symbols: Sequence[str]) -> dict[str, list[SymbolInfo]]:
        """Each symbol's FIGI listings (empty when OpenFIGI knows none), ``jobs_per_request``
        symbols per request."""
        out: dict[str, list[SymbolInfo]] = {}
        step = self.jobs_per_request
        for start in range(0, len(symbols), step):
            chunk = list(symbols[start : start + step])
            jobs = [self._job(s) for s in chunk]
            response = await self.client.post_json(
                self._url("/v3/mapping"), jobs, headers=self._headers, endpoint="mapping"
            )
            results = self.client.decode(response, list[MappingResult], "mapping", strict=False)
            if len(results) != len(chunk):
                raise self.client.malformed(
                    response, "mapping", f"{len(results)} results for {len(chunk)} jobs"
                )
            for symbol, result in zip(chunk, results, strict=True):
                out[symbol] = [info(f) for f in result.data]
        return out

    def _job(self, symbol: str) -> dict[str, str]:
        job = {"idType": "TICKER", "idValue": canonical(symbol).replace(".", "/")}
        if self.options.exch_code:
            job["exchCode"] = self.options.exch_code
        return job

    def _url(self, path: str) -> str:
        return self.options.base_url.rstrip("/") + path


def info(f: Figi) -> SymbolInfo:
    ticker = f.ticker or ""
    sector = f.marketSector or ""
    kind = f.securityType or ""
    if f.securityType2 == "Option":
        asset_class = "option"
    elif sector == "Equity":
        asset_class = "etf" if kind in ("ETP", "ETF") else "equity"
    else:
        asset_class = SECTORS.get(sector, sector.lower())
    exch = f.exchCode or ""
    return SymbolInfo(
        symbol=canonical(ticker),
        provider="openfigi",
        provider_symbol=ticker,
        name=(f.name or "").strip(),
        venue=exch,
        mic=MICS.get(exch, ""),
        asset_class=asset_class,
        figi=f.figi,
        composite_figi=f.compositeFIGI or "",
        share_class_figi=f.shareClassFIGI or "",
    )
