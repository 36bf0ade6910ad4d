"""Alpaca's asset list (Trading API ``GET /v2/assets``) as symbol search and instrument list.

https://docs.alpaca.markets/reference/get-v2-assets and
https://alpaca.markets/sdks/python/api_reference/trading/models.html (read 2026-12-03): a JSON
array of assets (``symbol``, ``name``, ``class`` ``us_equity``/``crypto``, ``exchange``,
``status``, ``tradable``, ``price_increment``, ``min_trade_increment``), filtered by ``status``
and ``asset_class``; same key headers as market data. Alpaca has no text search, so ``search``
ranks the cached list. Alpaca gives no FIGI: the registry joins its listings to others by symbol.
"""

from __future__ import annotations

from typing import Final

import msgspec

from mdc.config import provider_section
from mdc.config.schema import Config
from mdc.providers.alpaca import SPEC
from mdc.providers.alpaca.config import AlpacaConfig
from mdc.providers.base import SymbolInfo
from mdc.providers.rest_search import RestSearch
from mdc.providers.symbols import from_provider

MICS: Final = {
    "NASDAQ": "XNAS",
    "NYSE": "XNYS",
    "ARCA": "ARCX",
    "NYSEARCA": "ARCX",
    "AMEX": "XASE",
    "BATS": "BATS",
    "OTC": "OTCM",
}
"""Alpaca's exchange names → ISO 10383 MICs."""


class Asset(msgspec.Struct, rename={"asset_class": "class"}):
    symbol: str
    asset_class: str = "us_equity"
    name: str | None = None
    exchange: str = ""
    status: str = "active"
    tradable: bool = True
    price_increment: float | str | None = None
    min_trade_increment: float | str | None = None


class AlpacaSearch(RestSearch):
    spec = SPEC

    def __init__(self, config: Config) -> None:
        self.options = provider_section(config, SPEC.name, AlpacaConfig).rest
        super().__init__(self.options)

    async def listing(self) -> list[SymbolInfo]:
        headers = {
            "APCA-API-KEY-ID": self.credential("ALPACA_KEY_ID"),
            "APCA-API-SECRET-KEY": self.credential("ALPACA_SECRET_KEY"),
        }
        url = self.options.trading_url.rstrip("/") + "/v2/assets"
        infos: list[SymbolInfo] = []
        for asset_class in self.options.asset_classes:
            params = {"status": "active", "asset_class": asset_class}
            response = await self.client.get(url, params, headers=headers, endpoint="assets")
            assets = self.client.decode(response, list[Asset], "asset list", strict=False)
            infos += [info(a) for a in assets]
        return infos


def info(asset: Asset) -> SymbolInfo:
    crypto = asset.asset_class == "crypto"
    quote = asset.symbol.rpartition("/")[2] if crypto else "USD"
    return SymbolInfo(
        symbol=asset.symbol.replace("/", "-")
        if crypto
        else from_provider(asset.symbol, SPEC.symbol_style),
        provider="alpaca",
        provider_symbol=asset.symbol,
        name=asset.name or "",
        venue=asset.exchange,
        mic=MICS.get(asset.exchange, ""),
        asset_class="crypto" if crypto else "equity",
        currency=quote,
        tick_size=_number(asset.price_increment),
        lot_size=_number(asset.min_trade_increment),
        active=asset.status == "active" and asset.tradable,
    )


def _number(value: float | str | None) -> float | None:
    if value in (None, ""):
        return None
    number = float(value)
    return number if number > 0 else None
