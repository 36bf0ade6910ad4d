"""``[providers.kraken]``: endpoints and book depth (every key also ``MDC_PROVIDERS__KRAKEN__*``)."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta

BookDepth = Literal[10, 25, 100, 500, 1000]


class KrakenConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    ws_url: str = "wss://ws.kraken.com"
    """Public WebSocket API v1."""
    rest_url: str = "https://api.kraken.com"
    """REST base; ``/0/public/AssetPairs`` gives pairs, tick and lot sizes."""
    book_depth: BookDepth | None = None
    """Levels subscribed per book; default: the smallest Kraken depth covering the largest
    ``depth_levels`` among the symbols."""
    asset_pairs_ttl_s: Annotated[float, Meta(gt=0)] = 3600.0
