"""Binance spot: keyless live trades, best bid/offer and REST-synchronised L2 books."""

from __future__ import annotations

from mdc.domain.capabilities import Capabilities
from mdc.providers.base import ProviderSpec
from mdc.providers.binance.config import BinanceConfig

SPEC = ProviderSpec(
    name="binance",
    description="Binance spot public streams: aggTrade/trade, bookTicker, diff depth + snapshot",
    capabilities=Capabilities(
        trades=True,
        quotes=True,
        depth=True,
        max_depth_levels=5000,  # the deepest REST snapshot
        asset_classes=("crypto",),
        seq_scope="symbol",
        seq_contiguous=False,  # seq = the book update id, which advances by many per event
    ),
    config=BinanceConfig,
    streaming="mdc.providers.binance.stream:BinanceStream",
    search="mdc.providers.binance.search:BinanceSearch",
)
