"""``[providers.finnhub]``: endpoint, windows and limits of the Finnhub candle client.

Limits: 60 calls per minute on the free plan and 30 calls per second on every plan
(https://finnhub.io/docs/api/rate-limit); candles need a plan that includes them.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

from mdc.providers.rest import RestSettings


class FinnhubRest(RestSettings, kw_only=True, forbid_unknown_fields=True):
    rate_limits: dict[str, str] = msgspec.field(default_factory=lambda: {"all": "60/1m,30/1s"})


class FinnhubConfig(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    base_url: str = "https://finnhub.io/api/v1"
    venue: str = "US"
    intraday_window_days: Annotated[int, Meta(ge=1, le=366)] = 30
    """Intraday candles are fetched this many days per request (one request = one page)."""
    symbol_map: dict[str, str] = msgspec.field(default_factory=dict)
    """Canonical symbol → Finnhub symbol, where the spelling rules are not enough."""
    exchanges: list[str] = msgspec.field(default_factory=lambda: ["US"])
    """Exchange codes the instrument list (``/stock/symbol``, ``mdc symbols refresh``) fetches."""
    rest: FinnhubRest = msgspec.field(default_factory=FinnhubRest)
