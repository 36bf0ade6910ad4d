"""Coinbase Exchange: keyless live trades, quotes and L2 books over the public WebSocket feed."""

from __future__ import annotations

from mdc.domain.capabilities import Capabilities
from mdc.providers.base import ProviderSpec
from mdc.providers.coinbase.config import CoinbaseConfig

SPEC = ProviderSpec(
    name="coinbase",
    description="Coinbase Exchange public feed: trades (matches), ticker quotes, L2 book",
    capabilities=Capabilities(
        trades=True,
        quotes=True,
        depth=True,
        max_depth_levels=0,  # the whole book: level2 snapshots are full depth
        asset_classes=("crypto",),
        seq_scope="symbol",
        seq_contiguous=False,  # per-product sequence shared by all channels: holes are normal
    ),
    config=CoinbaseConfig,
    streaming="mdc.providers.coinbase.stream:CoinbaseStream",
    search="mdc.providers.coinbase.search:CoinbaseSearch",
)
