"""``mdc`` symbol search on Binance's exchange info (tick and lot sizes included), through the
shared REST client and its request-weight budget."""

from __future__ import annotations

from mdc.config import provider_section
from mdc.config.schema import Config
from mdc.providers.binance import SPEC
from mdc.providers.binance.config import BinanceConfig
from mdc.providers.binance.rest import binance_client
from mdc.providers.binance.stream import exchange_info_cache
from mdc.providers.search import InstrumentSearch


class BinanceSearch(InstrumentSearch):
    spec = SPEC

    def __init__(self, config: Config) -> None:
        c = provider_section(config, SPEC.name, BinanceConfig)
        super().__init__(exchange_info_cache(c, binance_client(c)))
