"""``mdc`` symbol search on Coinbase's product list (tick and lot sizes included)."""

from __future__ import annotations

from mdc.config import provider_section
from mdc.config.schema import Config
from mdc.providers.coinbase import SPEC
from mdc.providers.coinbase.config import CoinbaseConfig
from mdc.providers.coinbase.symbols import products_cache
from mdc.providers.search import InstrumentSearch


class CoinbaseSearch(InstrumentSearch):
    spec = SPEC

    def __init__(self, config: Config) -> None:
        super().__init__(products_cache(provider_section(config, SPEC.name, CoinbaseConfig)))
