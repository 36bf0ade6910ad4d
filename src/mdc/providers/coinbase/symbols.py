"""Coinbase products: the product id already is ``BASE-QUOTE``; tick = ``quote_increment``,
lot = ``base_increment`` (https://docs.cdp.coinbase.com/exchange/reference/exchangerestapi_getproducts)."""

from __future__ import annotations

import msgspec

from mdc.providers.coinbase.config import CoinbaseConfig
from mdc.providers.instruments import Instrument, InstrumentCache, InstrumentTable, step

VENUE = "coinbase"


class _Product(msgspec.Struct, gc=False):
    id: str
    base_currency: str
    quote_currency: str
    quote_increment: str | None = None
    base_increment: str | None = None
    status: str = "online"
    trading_disabled: bool = False


_products = msgspec.json.Decoder(list[_Product])


def parse_products(body: bytes) -> InstrumentTable:
    """``GET /products`` body → table."""
    return InstrumentTable(
        VENUE,
        (
            Instrument(
                symbol=p.id,
                venue_symbol=p.id,
                base=p.base_currency,
                quote=p.quote_currency,
                tick_size=step(p.quote_increment),
                lot_size=step(p.base_increment),
                trading=p.status == "online" and not p.trading_disabled,
            )
            for p in _products.decode(body)
        ),
    )


def venue_symbol(symbol: str) -> str:
    """Coinbase product ids are the normalised form (``BTC-USD``)."""
    return symbol.upper()


def products_cache(config: CoinbaseConfig) -> InstrumentCache:
    """The Exchange product list; both feeds use the same product ids (``BTC-USD``)."""
    url = config.rest_url.rstrip("/") + "/products"
    return InstrumentCache(VENUE, url, parse_products, config.products_ttl_s)
