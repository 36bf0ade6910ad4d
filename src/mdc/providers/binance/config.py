"""``[providers.binance]``: endpoints and stream options (every key also ``MDC_PROVIDERS__BINANCE__*``)."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta


class BinanceConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    ws_url: str = "wss://stream.binance.com:9443/stream"
    """Combined-stream endpoint; streams are added with ``SUBSCRIBE`` requests."""
    rest_url: str = "https://api.binance.com"
    """REST base: ``/api/v3/exchangeInfo`` (symbols, filters) and ``/api/v3/depth`` (snapshots)."""
    depth_speed: Literal["100ms", "1000ms"] = "100ms"
    """Diff. depth stream update speed."""
    snapshot_limit: Literal[5, 10, 20, 50, 100, 500, 1000, 5000] = 1000
    """Levels per REST depth snapshot (request weight grows with it)."""
    trades: Literal["trade", "aggTrade"] = "aggTrade"
    """Raw trades (one per fill) or aggregate trades (one per taker order and price)."""
    snapshot_retries: Annotated[int, Meta(ge=1, le=100)] = 5
    """Snapshots fetched for one sync before the symbol is reported and retried later."""
    exchange_info_ttl_s: Annotated[float, Meta(gt=0)] = 3600.0
