"""What every REST symbol search shares: one ``RestClient``, masked keys, a cached listing.

Providers without a text-search endpoint (Alpaca's ``/v2/assets``) answer ``search`` from their
full listing, fetched once per ``ttl_s``; the others override ``search``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Final

from mdc.providers.base import SymbolInfo, SymbolSearchProvider
from mdc.providers.ratelimit import RateLimiter
from mdc.providers.rest import RestClient, RestSettings
from mdc.providers.search import rank

LISTING_TTL_S: Final = 3600.0
"""A provider's full instrument list is reused this long for searches of one process."""


class RestSearch(SymbolSearchProvider):
    """A search provider over one :class:`RestClient` named after ``spec.name``."""

    def __init__(
        self,
        rest: RestSettings,
        limiter: RateLimiter | None = None,
        credential_env: Sequence[str] | None = None,
    ) -> None:
        env = self.spec.credentials if credential_env is None else credential_env
        self.client = RestClient(self.spec.name, rest, limiter or RateLimiter(), credential_env=env)
        self._listing: list[SymbolInfo] | None = None
        self._loaded_at = 0.0

    async def search(self, query: str, limit: int = 20) -> list[SymbolInfo]:
        return rank(query, await self.cached_listing(), limit)

    async def cached_listing(self) -> list[SymbolInfo]:
        if self._listing is None or time.monotonic() - self._loaded_at > LISTING_TTL_S:
            self._listing = await self.listing()
            self._loaded_at = time.monotonic()
        return self._listing

    def credential(self, name: str) -> str:
        """The value of credential ``name``, masked from now on in every log and error."""
        return self.client.credential(self.spec, name)

    async def aclose(self) -> None:
        await self.client.aclose()
