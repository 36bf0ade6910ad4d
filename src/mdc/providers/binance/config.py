"""``[providers.binance]``: endpoints and stream options.

Every key is also an env var: ``MDC_PROVIDERS__BINANCE__<KEY>``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta

from mdc.providers.connection import StreamOptions

KlineInterval = Literal[
    "1s", "1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h",
    "1d", "3d", "1w", "1M",
]  # fmt: skip


class BinanceConfig(StreamOptions, kw_only=True):
    """Endpoints and feed options; the connection tunables come from ``StreamOptions``."""

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
    bars: tuple[KlineInterval, ...] = ()
    """Kline intervals to collect as bars for every symbol (``["1m"]``); closed bars only."""
    max_connection_age_s: Annotated[float, Meta(gt=0)] = 86_100.0
    """Planned reconnect before Binance closes a connection at 24 h."""
    exchange_info_ttl_s: Annotated[float, Meta(gt=0)] = 3600.0
