"""``mdc`` symbol search on Coinbase's product list (tick and lot sizes included)."""

from __future__ import annotations

from mdc.config import provider_section
from mdc.config.schema import Config
from mdc.providers.coinbase import SPEC
from mdc.providers.coinbase.config import CoinbaseConfig
from mdc.providers.coinbase.symbols import VENUE, parse_products
from mdc.providers.instruments import InstrumentCache
from mdc.providers.search import InstrumentSearch


class CoinbaseSearch(InstrumentSearch):
    spec = SPEC

    def __init__(self, config: Config) -> None:
        c = provider_section(config, SPEC.name, CoinbaseConfig)
        url = c.rest_url.rstrip("/") + "/products"
        super().__init__(InstrumentCache(VENUE, url, parse_products, c.products_ttl_s))
