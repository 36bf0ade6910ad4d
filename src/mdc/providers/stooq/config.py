"""``[providers.stooq]``: endpoint, key parameter, market suffix and limits of the Stooq client.

Stooq publishes no request limit; it answers "Exceeded the daily hits limit" (HTTP 200) once a
key's daily quota is used up (https://apis.io/rate-limits/stooq/stooq-rate-limits/, read
2026-12-02). 30 requests per minute is a polite default.
"""

from __future__ import annotations

import msgspec

from mdc.providers.rest import RestSettings

KEY_PAGE = "https://stooq.com/q/d/?s=spy.us&get_apikey"
"""Where Stooq hands out keys (behind a CAPTCHA)."""


class StooqRest(RestSettings, kw_only=True, forbid_unknown_fields=True):
    rate_limits: dict[str, str] = msgspec.field(default_factory=lambda: {"all": "30/1m"})


class StooqConfig(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    base_url: str = "https://stooq.com"
    api_key_param: str = "apikey"
    """Query parameter that carries ``STOOQ_API_KEY``. Stooq does not document it; ``apikey`` is
    what its key page and every public client use. Change it here if Stooq renames it."""
    market: str = "us"
    """Stooq's market suffix appended to tickers (``aapl.us``, ``vod.uk``)."""
    venue: str = "US"
    symbol_map: dict[str, str] = msgspec.field(default_factory=dict)
    """Canonical symbol → Stooq symbol (indices such as ``^spx`` need one)."""
    rest: StooqRest = msgspec.field(default_factory=StooqRest)
