"""Symbol search through TWS: ``reqMatchingSymbols``, then contract details for tick sizes.

https://interactivebrokers.github.io/tws-api/matching_symbols.html (read 2026-12-02): up to 16
contract descriptions per pattern (symbol or company name); ib_async's
``reqMatchingSymbolsAsync`` gives up after 4 s and returns None, which is reported as TWS not
answering (not as "no match"). Details (``minTick``, the full
name) come from ``reqContractDetails`` for the stocks found. Results use the provider's symbol
keys: a plain ticker for a USD stock, ``SYMBOL:SECTYPE:EXCHANGE:CURRENCY`` otherwise.
"""

from __future__ import annotations

import asyncio
from typing import Any

from mdc.config import provider_section
from mdc.config.schema import Config
from mdc.providers.base import ProviderError, SymbolInfo, SymbolSearchProvider
from mdc.providers.ib import SPEC
from mdc.providers.ib.client import SEARCH_CLIENT, connect, load_ib_async
from mdc.providers.ib.config import IbConfig
from mdc.providers.ib.contracts import ASSET_CLASSES


class IbSearch(SymbolSearchProvider):
    spec = SPEC

    def __init__(self, config: Config) -> None:
        self.options = provider_section(config, SPEC.name, IbConfig)
        self._ib: Any = None

    async def search(self, query: str, limit: int = 20) -> list[SymbolInfo]:
        if self._ib is None or not self._ib.isConnected():
            self._ib = await connect(self.options, self.options.client_id + SEARCH_CLIENT)
        found = await self._ib.reqMatchingSymbolsAsync(query.strip())
        if found is None:
            raise ProviderError(
                f"ib: TWS/IB Gateway on {self.options.host}:{self.options.port} did not answer "
                f"the symbol search for {query.strip()!r} within 4 s; check that it is logged in "
                "and its API connection is not busy, then search again"
            )
        contracts = [d.contract for d in found][:limit]
        details = await asyncio.gather(*(self._details(c) for c in contracts))
        q = query.strip().upper()
        infos = [self._info(c, d) for c, d in zip(contracts, details, strict=True)]
        infos.sort(key=lambda i: (i.symbol != q, not i.symbol.startswith(q)))
        return infos

    async def aclose(self) -> None:
        if self._ib is not None:
            self._ib.disconnect()
            self._ib = None

    async def _details(self, contract: Any) -> Any:
        """The first contract details of a match (None when IB has none or refuses)."""
        ib_async = load_ib_async()
        probe = ib_async.Contract(conId=contract.conId, exchange="SMART")
        try:
            async with asyncio.timeout(self.options.request_timeout_s):
                rows = await self._ib.reqContractDetailsAsync(probe)
        except (ib_async.RequestError, TimeoutError):
            return None
        return rows[0] if rows else None

    def _info(self, contract: Any, details: Any) -> SymbolInfo:
        sec_type = contract.secType
        plain = sec_type == "STK" and contract.currency == self.options.default_currency
        key = (
            contract.symbol
            if plain
            else f"{contract.symbol}:{sec_type}:{contract.primaryExchange}:{contract.currency}"
        )
        name = (details.longName if details else "") or getattr(contract, "description", "")
        return SymbolInfo(
            symbol=key.replace(" ", "."),
            name=name,
            venue=contract.primaryExchange,
            asset_class=ASSET_CLASSES.get(sec_type, sec_type.lower()),
            tick_size=details.minTick if details and details.minTick else None,
        )
