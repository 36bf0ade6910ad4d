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
    reconnect_initial_s: PositiveSeconds = 0.5
    reconnect_max_s: PositiveSeconds = 30.0
