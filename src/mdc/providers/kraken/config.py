"""``[providers.kraken]``: endpoints and book depth.

Every key is also an env var: ``MDC_PROVIDERS__KRAKEN__<KEY>``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta

from mdc.providers.connection import StreamOptions

BookDepth = Literal[10, 25, 100, 500, 1000]


class KrakenConfig(StreamOptions, kw_only=True):
    """Endpoints and feed options; the connection tunables come from ``StreamOptions``."""

    api: Literal["v2", "v1"] = "v2"
    """WebSocket API version: v2 (recommended by Kraken; trade ids, checksummed snapshots) or
    v1 (frozen by Kraken, kept for existing setups)."""
    ws_url: str | None = None
    """Public WebSocket endpoint; default ``wss://ws.kraken.com/v2`` (v2) or
    ``wss://ws.kraken.com`` (v1)."""
    rest_url: str = "https://api.kraken.com"
    """REST base; ``/0/public/AssetPairs`` gives pairs, tick and lot sizes."""
    book_depth: BookDepth | None = None
    """Levels subscribed per book; default: the smallest Kraken depth covering the largest
    ``depth_levels`` among the symbols."""
    asset_pairs_ttl_s: Annotated[float, Meta(gt=0)] = 3600.0

    def stream_url(self) -> str:
        return self.ws_url or (
            "wss://ws.kraken.com/v2" if self.api == "v2" else "wss://ws.kraken.com"
        )
