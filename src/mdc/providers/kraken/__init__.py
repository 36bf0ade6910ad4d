"""Kraken: keyless live trades, BBO quotes and CRC32-validated L2 books (WebSocket v2; v1 kept
selectable with ``api = "v1"``)."""

from __future__ import annotations

from mdc.domain.capabilities import Capabilities
from mdc.providers.base import ProviderSpec
from mdc.providers.kraken.config import KrakenConfig

SPEC = ProviderSpec(
    name="kraken",
    description="Kraken public WebSocket v2 (or v1): trades with ids, BBO, checksummed L2 book",
    capabilities=Capabilities(
        trades=True,
        quotes=True,
        depth=True,
        max_depth_levels=1000,
        asset_classes=("crypto",),
        seq_scope="none",  # no sequence numbers: checksums guard books, trade ids trades (v2)
        seq_contiguous=False,
    ),
    config=KrakenConfig,
    streaming="mdc.providers.kraken.stream:KrakenStream",
    search="mdc.providers.kraken.search:KrakenSearch",
)
