"""Kraken: keyless live trades, spreads and CRC32-validated L2 books (WebSocket API v1)."""

from __future__ import annotations

from mdc.providers.base import Capabilities, ProviderSpec
from mdc.providers.kraken.config import KrakenConfig

SPEC = ProviderSpec(
    name="kraken",
    description="Kraken public WebSocket v1: trades, spread quotes, checksummed L2 book",
    capabilities=Capabilities(
        trades=True,
        quotes=True,
        depth=True,
        max_depth_levels=1000,
        asset_classes=("crypto",),
        seq_scope="none",  # v1 has no sequence numbers; the book checksum guards the book
        seq_contiguous=False,
    ),
    config=KrakenConfig,
    streaming="mdc.providers.kraken.stream:KrakenStream",
    search="mdc.providers.kraken.search:KrakenSearch",
)
