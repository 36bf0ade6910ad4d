"""``[providers.yahoo]``: endpoint, request windows and limits of the Yahoo chart client.

Yahoo documents neither the API nor its limits; heavy use gets HTTP 429. The default of 60
requests per minute is a cautious guess, and the windows follow the ranges the chart API accepts
per request for 1-minute (about a week) and other intraday bars (about 60 days).
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

from mdc.providers.rest import RestSettings


class YahooRest(RestSettings, kw_only=True, forbid_unknown_fields=True):
    rate_limits: dict[str, str] = msgspec.field(default_factory=lambda: {"all": "60/1m"})
    user_agent: str = "Mozilla/5.0 (compatible; mdc/0.1; market data collector)"


class YahooConfig(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    base_url: str = "https://query1.finance.yahoo.com"
    venue: str = "US"
    minute_window_days: Annotated[int, Meta(ge=1, le=30)] = 7
    """1-minute bars are fetched this many days per request (one request = one page)."""
    intraday_window_days: Annotated[int, Meta(ge=1, le=730)] = 59
    """Other intraday bars are fetched this many days per request."""
    symbol_map: dict[str, str] = msgspec.field(default_factory=dict)
    """Canonical symbol → Yahoo symbol (e.g. ``VOD`` → ``VOD.L``)."""
    rest: YahooRest = msgspec.field(default_factory=YahooRest)
