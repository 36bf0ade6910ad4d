"""``mdc`` symbol search on Kraken's AssetPairs (tick and lot sizes included)."""

from __future__ import annotations

from mdc.config import provider_section
from mdc.config.schema import Config
from mdc.providers.instruments import InstrumentCache
from mdc.providers.kraken import SPEC
from mdc.providers.kraken.config import KrakenConfig
from mdc.providers.kraken.symbols import VENUE, parse_asset_pairs
from mdc.providers.search import InstrumentSearch


class KrakenSearch(InstrumentSearch):
    spec = SPEC

    def __init__(self, config: Config) -> None:
        c = provider_section(config, SPEC.name, KrakenConfig)
        url = c.rest_url.rstrip("/") + "/0/public/AssetPairs"
        super().__init__(InstrumentCache(VENUE, url, parse_asset_pairs, c.asset_pairs_ttl_s))
