"""Kraken: keyless live trades, BBO quotes and CRC32-validated L2 books (WebSocket v1 by default;
v2 selectable with ``api = "v2"``, not yet covered by a protocol-server test)."""

from __future__ import annotations

from mdc.providers.base import Capabilities, ProviderSpec
from mdc.providers.kraken.config import KrakenConfig

SPEC = ProviderSpec(
    name="kraken",
    description="Kraken public WebSocket v1 (or v2): trades with ids, BBO, checksummed L2 book",
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
