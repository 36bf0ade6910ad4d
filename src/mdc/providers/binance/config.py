"""``[providers.binance]``: endpoints and stream options.

Every key is also an env var: ``MDC_PROVIDERS__BINANCE__<KEY>``.
"""

from __future__ import annotations

from typing import Annotated, Final, Literal

import msgspec
from msgspec import Meta

from mdc.providers.connection import StreamOptions
from mdc.providers.rest import RestSettings

KlineInterval = Literal[
    "1s", "1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h",
    "1d", "3d", "1w", "1M",
]  # fmt: skip
Site = Literal["binance", "market-data", "binance-us"]

SITES: Final[dict[str, tuple[str, str]]] = {
    "binance": ("wss://stream.binance.com:9443/stream", "https://api.binance.com"),
    "market-data": ("wss://data-stream.binance.vision/stream", "https://data-api.binance.vision"),
    "binance-us": ("wss://stream.binance.us:9443/stream", "https://api.binance.us"),
}
"""(combined-stream URL, REST base) of each documented site."""
REQUEST_WEIGHT_PER_MINUTE: Final[dict[str, int]] = {
    "binance": 6000,
    "market-data": 6000,
    "binance-us": 1200,
}
"""The ``REQUEST_WEIGHT`` limit ``/api/v3/exchangeInfo`` publishes for each site (Binance.US:
1200, in its official ``rest-api.md``, github.com/binance-us/binance-us-api-docs, read
2026-12-03)."""


class BinanceConfig(StreamOptions, kw_only=True):
    """Endpoints and feed options; the connection tunables come from ``StreamOptions``."""

    site: Site = "binance"
    """``binance`` (stream.binance.com, api.binance.com); ``market-data`` (the market-data-only
    hosts data-stream.binance.vision and data-api.binance.vision); ``binance-us`` (Binance.US,
    for US users, whom binance.com refuses with HTTP 451)."""
    ws_url: str | None = None
    """Combined-stream endpoint (default: the site's); streams are added with ``SUBSCRIBE``."""
    rest_url: str | None = None
    """REST base (default: the site's): ``/api/v3/exchangeInfo`` and ``/api/v3/depth``."""
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
    max_streams_per_connection: Annotated[int, Meta(ge=1, le=1024)] = 1024
    """Streams one connection carries (Binance allows 1024); more streams open more
    connections."""
    subscribe_interval_s: Annotated[float, Meta(ge=0.2)] = 0.25
    """Least time between two requests on a connection: Binance drops a connection that sends
    more than 5 messages a second."""
    rest: RestSettings = msgspec.field(default_factory=RestSettings)
    """``[providers.binance.rest]``: timeouts, retries; ``rate_limits`` are in request weight
    (default: the site's published ``REQUEST_WEIGHT`` per minute)."""

    def stream_url(self) -> str:
        return self.ws_url or SITES[self.site][0]

    def rest_base(self) -> str:
        return (self.rest_url or SITES[self.site][1]).rstrip("/")

    def rate_limits(self) -> dict[str, str]:
        """The REST limits in weight: the configured ones, or the site's published limit."""
        limits = dict(self.rest.rate_limits)
        limits.setdefault("all", f"{REQUEST_WEIGHT_PER_MINUTE[self.site]}/1m")
        return limits
