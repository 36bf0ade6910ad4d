"""``[providers.coinbase]``: which feed, endpoints and channel choices.

Every key is also an env var: ``MDC_PROVIDERS__COINBASE__<KEY>``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta

from mdc.providers.connection import StreamOptions


class CoinbaseConfig(StreamOptions, kw_only=True):
    """Endpoints and feed options; the connection tunables come from ``StreamOptions``."""

    api: Literal["exchange", "advanced"] = "exchange"
    """Which public feed: the Exchange feed, or Advanced Trade market data (``level2``,
    ``market_trades``, ``ticker``, ``heartbeats``; a per-connection ``sequence_num``)."""
    ws_url: str | None = None
    """WebSocket endpoint; default ``wss://ws-feed.exchange.coinbase.com`` (exchange) or
    ``wss://advanced-trade-ws.coinbase.com`` (advanced)."""
    rest_url: str = "https://api.exchange.coinbase.com"
    """Exchange REST API base; ``/products`` gives symbols, tick and lot sizes (both feeds use
    the same product ids)."""
    book_channel: Literal["level2_batch", "level2"] = "level2_batch"
    """Exchange feed only (Advanced Trade's ``level2`` is public). ``level2_batch`` is public
    (50 ms batches); ``level2`` needs an authenticated session, which this provider does not
    open — use it only with endpoints that serve it keyless."""
    heartbeat: bool = True
    """Subscribe to ``heartbeat`` (Exchange: a per-second ``last_trade_id`` reveals missed
    trades) or ``heartbeats`` (Advanced Trade: keeps quiet subscriptions open)."""
    products_ttl_s: Annotated[float, Meta(gt=0)] = 3600.0
    """How long the product list is reused before it is fetched again."""

    def stream_url(self) -> str:
        return self.ws_url or (
            "wss://advanced-trade-ws.coinbase.com"
            if self.api == "advanced"
            else "wss://ws-feed.exchange.coinbase.com"
        )
