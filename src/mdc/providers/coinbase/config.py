"""``[providers.coinbase]``: endpoints and channel choices.

Every key is also an env var: ``MDC_PROVIDERS__COINBASE__<KEY>``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta

from mdc.providers.connection import StreamOptions


class CoinbaseConfig(StreamOptions, kw_only=True):
    """Endpoints and feed options; the connection tunables come from ``StreamOptions``."""

    ws_url: str = "wss://ws-feed.exchange.coinbase.com"
    """Exchange WebSocket feed (public market data)."""
    rest_url: str = "https://api.exchange.coinbase.com"
    """Exchange REST API base; ``/products`` gives symbols, tick and lot sizes."""
    book_channel: Literal["level2_batch", "level2"] = "level2_batch"
    """``level2_batch`` is public (50 ms batches); ``level2`` needs an authenticated session,
    which this provider does not open — use it only with endpoints that serve it keyless."""
    heartbeat: bool = True
    """Subscribe to ``heartbeat``: a per-second ``last_trade_id`` reveals missed trades."""
    products_ttl_s: Annotated[float, Meta(gt=0)] = 3600.0
    """How long the product list is reused before it is fetched again."""
