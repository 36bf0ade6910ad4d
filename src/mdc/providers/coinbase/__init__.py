"""Coinbase: keyless live trades, quotes and L2 books over the public Exchange feed or, with
``api = "advanced"``, Advanced Trade market data."""

from __future__ import annotations

from mdc.domain.capabilities import Capabilities
from mdc.providers.base import ProviderSpec
from mdc.providers.coinbase.config import CoinbaseConfig

SPEC = ProviderSpec(
    name="coinbase",
    description="Coinbase Exchange feed (or Advanced Trade, api = advanced): trades, BBO, L2 book",
    capabilities=Capabilities(
        trades=True,
        quotes=True,
        depth=True,
        max_depth_levels=0,  # the whole book: level2 snapshots are full depth
        asset_classes=("crypto",),
        seq_scope="symbol",
        seq_contiguous=False,  # Exchange: per-product sequence shared by all channels; holes normal
    ),
    config=CoinbaseConfig,
    streaming="mdc.providers.coinbase.stream:CoinbaseStream",
    search="mdc.providers.coinbase.search:CoinbaseSearch",
)
