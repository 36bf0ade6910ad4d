"""``[providers.yahoo]``: endpoints, handshake, request windows and limits of the Yahoo client.

Yahoo documents neither the API nor its limits. The default of 60 requests per minute is a
cautious guess, and the windows follow the ranges the chart API accepts per request for 1-minute
(about a week) and other intraday bars (about 60 days). ``browser_tls`` chooses the HTTP client:
curl_cffi with a browser's TLS fingerprint (the ``mdc[yahoo]`` extra) gets past Yahoo's bot
filter where plain HTTP clients are answered with 429.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from mdc.providers.rest import RestSettings


class YahooRest(RestSettings, kw_only=True, forbid_unknown_fields=True):
    rate_limits: dict[str, str] = msgspec.field(default_factory=lambda: {"all": "60/1m"})
    user_agent: str = "Mozilla/5.0 (compatible; mdc/0.1; market data collector)"


class YahooConfig(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    base_url: str = "https://query1.finance.yahoo.com"
    cookie_url: str = "https://fc.yahoo.com"
    """Any answer from here sets Yahoo's session cookie (or leads to the consent form)."""
    crumb_path: str = "/v1/test/getcrumb"
    """Path on ``base_url`` whose text body is the crumb for the session cookie."""
    browser_tls: Literal["auto", "on", "off"] = "auto"
    """``auto``: curl_cffi when ``mdc[yahoo]`` is installed, else httpx; ``on`` requires it."""
    impersonate: str = "chrome"
    """curl_cffi browser profile whose TLS and HTTP/2 fingerprint (and headers) are sent."""
    venue: str = "US"
    minute_window_days: Annotated[int, Meta(ge=1, le=30)] = 7
    """1-minute bars are fetched this many days per request (one request = one page)."""
    intraday_window_days: Annotated[int, Meta(ge=1, le=730)] = 59
    """Other intraday bars are fetched this many days per request."""
    symbol_map: dict[str, str] = msgspec.field(default_factory=dict)
    """Canonical symbol → Yahoo symbol (e.g. ``VOD`` → ``VOD.L``)."""
    rest: YahooRest = msgspec.field(default_factory=YahooRest)
