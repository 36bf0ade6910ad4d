"""``mdc`` symbol search on Binance's exchange info (tick and lot sizes included)."""

from __future__ import annotations

from mdc.config import provider_section
from mdc.config.schema import Config
from mdc.providers.binance import SPEC
from mdc.providers.binance.config import BinanceConfig
from mdc.providers.binance.symbols import VENUE, parse_exchange_info
from mdc.providers.instruments import InstrumentCache
from mdc.providers.search import InstrumentSearch


class BinanceSearch(InstrumentSearch):
    spec = SPEC

    def __init__(self, config: Config) -> None:
        c = provider_section(config, SPEC.name, BinanceConfig)
        url = c.rest_url.rstrip("/") + "/api/v3/exchangeInfo"
        super().__init__(InstrumentCache(VENUE, url, parse_exchange_info, c.exchange_info_ttl_s))
