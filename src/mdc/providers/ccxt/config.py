"""``[providers.ccxt]``: which exchange, its endpoint overrides and ccxt options.

Every key is also an env var: ``MDC_PROVIDERS__CCXT__<KEY>``.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from msgspec import Meta

PositiveSeconds = Annotated[float, Meta(gt=0)]


class CcxtConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    exchange: str = ""
    """The ccxt exchange id (``binance``, ``kraken``, ``coinbaseexchange`` …)."""
    api_urls: dict[str, str] = {}
    """Overrides of ``exchange.urls["api"][key]`` (endpoint URLs: ``ws``, ``public``, …); a
    dotted key reaches into nested tables (``ws.spot`` for Binance)."""
    options: dict[str, Any] = {}
    """Passed to the ccxt exchange as ``options`` (exchange-specific tuning)."""
    full_book: bool = False
    """Diff the whole book ccxt keeps; by default only each symbol's ``depth_levels``."""
    book_limit: Annotated[int, Meta(ge=1)] | None = None
    """The ``limit`` passed to ``watch_order_book``. Venues accept only some depths (Kraken
    10/25/100/500/1000, Bitfinex 25/100, KuCoin 5/20/50/100 …); by default the provider asks
    for each symbol's ``depth_levels``, and when the venue refuses it, for the smallest depth
    the refusal names that covers it (or the venue's default), keeping ``depth_levels``."""
    reconnect_initial_s: PositiveSeconds = 0.5
    reconnect_max_s: PositiveSeconds = 30.0
