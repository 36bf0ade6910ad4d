"""Symbol search over a ccxt exchange's markets (``fetch_markets``): spot, swap, future, option.

ccxt's unified market structure (https://docs.ccxt.com/#/README?id=market-structure, read
2026-12-03): ``id`` (the venue's spelling), ``symbol`` (``BTC/USDT``, ``BTC/USDT:USDT`` for a
swap), ``base``, ``quote``, ``type``, ``active`` and ``precision`` — a tick size when the
exchange's ``precisionMode`` is ``TICK_SIZE``, else a number of decimals.
"""

from __future__ import annotations

from typing import Any, Final

from mdc.config import provider_section
from mdc.config.schema import Config
from mdc.providers.base import ProviderError, SymbolInfo, SymbolSearchProvider
from mdc.providers.ccxt import SPEC
from mdc.providers.ccxt.config import CcxtConfig
from mdc.providers.ccxt.parse import to_symbol
from mdc.providers.ccxt.stream import make_exchange
from mdc.providers.search import rank

TICK_SIZE: Final = 4
"""``ccxt.base.decimal_to_precision.TICK_SIZE``."""
ASSET_CLASSES: Final = {"swap": "crypto_swap", "future": "crypto_future", "option": "option"}


class CcxtSearch(SymbolSearchProvider):
    spec = SPEC

    def __init__(self, config: Config) -> None:
        self.options = provider_section(config, SPEC.name, CcxtConfig)
        if not self.options.exchange:
            raise ProviderError('ccxt: set the exchange, e.g. [providers.ccxt] exchange = "kraken"')
        self._infos: list[SymbolInfo] | None = None

    async def search(self, query: str, limit: int = 20) -> list[SymbolInfo]:
        if self._infos is None:
            self._infos = await self.listing()
        return rank(query, self._infos, limit)

    async def listing(self) -> list[SymbolInfo]:
        exchange = make_exchange(self.options)
        try:
            markets = await exchange.fetch_markets()
        except Exception as exc:  # ccxt's own error tree; the message names the venue's answer
            raise ProviderError(
                f"ccxt: {self.options.exchange}: cannot load markets: {exc}"
            ) from exc
        finally:
            await exchange.close()
        ticks = exchange.precisionMode == TICK_SIZE
        return [self._info(m, ticks) for m in markets if m.get("symbol")]

    def _info(self, market: dict[str, Any], ticks: bool) -> SymbolInfo:
        precision = market.get("precision") or {}
        return SymbolInfo(
            symbol=to_symbol(market["symbol"]),
            provider=SPEC.name,
            provider_symbol=str(market.get("id") or market["symbol"]),
            name=market["symbol"],
            venue=self.options.exchange,
            asset_class=ASSET_CLASSES.get(str(market.get("type")), "crypto"),
            currency=str(market.get("quote") or ""),
            tick_size=_step(precision.get("price"), ticks),
            lot_size=_step(precision.get("amount"), ticks),
            active=market.get("active") is not False,
        )


def _step(value: Any, ticks: bool) -> float | None:
    if value is None:
        return None
    number = float(value)
    step = number if ticks else 10.0**-number
    return step if step > 0 else None
