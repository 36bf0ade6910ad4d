"""Symbol search over a venue's cached product list (shared by the crypto venues)."""

from __future__ import annotations

from typing import ClassVar

import httpx

from mdc.providers.base import ProviderSpec, SymbolInfo, SymbolSearchProvider
from mdc.providers.instruments import REST_TIMEOUT_S, InstrumentCache


class InstrumentSearch(SymbolSearchProvider):
    """Case-insensitive match on the normalised or the venue symbol (separators ignored);
    exact matches first."""

    spec: ClassVar[ProviderSpec]

    def __init__(self, cache: InstrumentCache) -> None:
        self.cache = cache

    async def search(self, query: str, limit: int = 20) -> list[SymbolInfo]:
        async with httpx.AsyncClient(timeout=REST_TIMEOUT_S) as client:
            table = await self.cache.get(client)
        q = query.strip().upper()
        flat = _flat(q)
        hits = [
            info for info in table.infos() if q in info.symbol.upper() or flat in _flat(info.name)
        ]
        hits.sort(key=lambda i: (i.symbol != q, not i.symbol.startswith(q), i.symbol))
        return hits[:limit]


def _flat(text: str) -> str:
    """``XBT/CHF`` → ``XBTCHF``: names are compared without separators."""
    return text.upper().replace("/", "").replace("-", "")
