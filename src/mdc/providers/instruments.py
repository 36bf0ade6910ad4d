"""Venue instrument metadata: venue symbol ↔ ``BASE-QUOTE``, tick and lot sizes, cached.

Every crypto venue publishes its product list over REST (Coinbase ``/products``, Binance
``/api/v3/exchangeInfo``, Kraken ``/0/public/AssetPairs``). Each provider's ``symbols.py`` turns
that body into an :class:`InstrumentTable`; :class:`InstrumentCache` fetches it once and keeps it
for a configurable time so reconnects and symbol additions do not hit the venue again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Final

import httpx
import msgspec

from mdc.providers.base import ProviderError, SymbolInfo, Unreachable

log = logging.getLogger(__name__)

REST_TIMEOUT_S: Final = 10.0
"""Timeout of one REST request for metadata or book snapshots."""


class Instrument(msgspec.Struct, frozen=True, gc=False):
    """One tradable pair as the venue lists it."""

    symbol: str
    """Normalised ``BASE-QUOTE`` (``BTC-USD``)."""
    venue_symbol: str
    """What the venue's wire protocol uses (``BTCUSDT``, ``XBT/USD``, ``BTC-USD``)."""
    base: str
    quote: str
    tick_size: float | None = None
    lot_size: float | None = None
    trading: bool = True


class UnknownSymbol(ProviderError):
    """A configured symbol the venue does not list."""


class InstrumentTable:
    """Both directions of the symbol mapping plus metadata, built from one product list."""

    def __init__(self, venue: str, instruments: Iterable[Instrument]) -> None:
        self.venue = venue
        self.by_symbol: dict[str, Instrument] = {}
        self.by_venue: dict[str, Instrument] = {}
        for instrument in instruments:
            self.by_symbol[instrument.symbol] = instrument
            self.by_venue[instrument.venue_symbol] = instrument

    def __len__(self) -> int:
        return len(self.by_symbol)

    def get(self, symbol: str) -> Instrument:
        """The instrument for a normalised symbol, or a message naming close matches."""
        try:
            return self.by_symbol[symbol]
        except KeyError:
            base = symbol.split("-", 1)[0]
            close = sorted(s for s in self.by_symbol if s.startswith(base + "-"))[:5]
            hint = f"; listed with {base}: {', '.join(close)}" if close else ""
            raise UnknownSymbol(
                f"{self.venue} does not list {symbol!r} (symbols are BASE-QUOTE){hint}"
            ) from None

    def infos(self) -> list[SymbolInfo]:
        return [
            SymbolInfo(
                symbol=i.symbol,
                name=i.venue_symbol,
                venue=self.venue,
                asset_class="crypto",
                tick_size=i.tick_size,
                lot_size=i.lot_size,
                provider=self.venue,
                provider_symbol=i.venue_symbol,
                currency=i.quote,
                active=i.trading,
            )
            for i in self.by_symbol.values()
        ]


class InstrumentCache:
    """Fetch a venue's product list once per ``ttl_s`` and parse it with ``parse``."""

    def __init__(
        self,
        venue: str,
        url: str,
        parse: Callable[[bytes], InstrumentTable],
        ttl_s: float,
        fetch: Callable[[], Awaitable[httpx.Response]] | None = None,
    ) -> None:
        """``fetch`` replaces the plain GET of ``url`` (a venue whose requests go through the
        shared :class:`~mdc.providers.rest.RestClient` and its limiter); it returns a 2xx
        response or raises ``ProviderError``."""
        self.venue = venue
        self.url = url
        self._parse = parse
        self._fetch = fetch
        self.ttl_s = ttl_s
        self._table: InstrumentTable | None = None
        self._loaded_at = 0.0

    @property
    def table(self) -> InstrumentTable | None:
        """The last table loaded, even if stale (None before the first load)."""
        return self._table

    async def get(self, client: httpx.AsyncClient) -> InstrumentTable:
        if self._table is not None and time.monotonic() - self._loaded_at < self.ttl_s:
            return self._table
        try:
            if self._fetch is not None:
                response = await self._fetch()
            else:
                response = await client.get(self.url)
                response.raise_for_status()
        except (httpx.HTTPError, ProviderError) as exc:
            if self._table is not None:
                return self._table  # a stale list beats none; retried at the next call
            down = isinstance(exc, httpx.TransportError | Unreachable)
            raise (Unreachable if down else ProviderError)(
                f"{self.venue}: cannot load the product list from {self.url}: {exc}"
            ) from exc
        try:
            table = self._parse(response.content)
        except (msgspec.DecodeError, msgspec.ValidationError, KeyError, ValueError) as exc:
            raise ProviderError(
                f"{self.venue}: unexpected product list from {self.url}: {exc}"
            ) from exc
        self._table = table
        self._loaded_at = time.monotonic()
        return table


def step(text: str | None) -> float | None:
    """A tick/lot step from its decimal text; ``None`` for missing or zero (no constraint)."""
    if not text:
        return None
    value = float(text)
    return value if value > 0 else None


async def check_symbols(cache: InstrumentCache, symbols: Iterable[str]) -> InstrumentTable | None:
    """Load (or reuse) the product list and fail clearly on symbols the venue does not list.

    An unavailable list is not fatal: the stream works without metadata, so it is logged and
    ``None`` returned; the next connection tries again.
    """
    try:
        async with httpx.AsyncClient(timeout=REST_TIMEOUT_S) as client:
            table = await cache.get(client)
    except ProviderError as exc:
        log.warning("%s", exc)
        return None
    for symbol in symbols:
        table.get(symbol)
    return table
