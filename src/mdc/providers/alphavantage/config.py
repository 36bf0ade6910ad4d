"""``[providers.alphavantage]``: endpoint, options and limits of the Alpha Vantage client.

Limits: the free key allows 25 requests per day and at most 5 per minute
(https://www.alphavantage.co/premium/, read 2026-12-02); premium keys allow 75 to 1,200 per
minute, so set ``rest.rate_limits.all`` to your plan's figure and ``premium = true``.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from mdc.providers.rest import RestSettings


class AlphaVantageRest(RestSettings, kw_only=True, forbid_unknown_fields=True):
    rate_limits: dict[str, str] = msgspec.field(default_factory=lambda: {"all": "5/1m,25/1d"})


class AlphaVantageConfig(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    base_url: str = "https://www.alphavantage.co/query"
    venue: str = "US"
    premium: bool = False
    """A premium key: adjusted daily bars from ``TIME_SERIES_DAILY_ADJUSTED`` and whole daily
    histories (``outputsize=full``). A free key may call neither (both answer a premium notice)."""
    outputsize: Literal["full", "compact"] | None = None
    """Daily series size; default ``full`` with ``premium``, else ``compact`` (the latest 100
    sessions: an older range is refused with a message rather than returned empty)."""
    extended_hours: bool = True
    """Intraday bars include pre- and post-market (04:00–20:00 New York)."""
    symbol_map: dict[str, str] = msgspec.field(default_factory=dict)
    """Canonical symbol → Alpha Vantage symbol (e.g. ``VOD`` → ``VOD.LON``)."""
    rest: AlphaVantageRest = msgspec.field(default_factory=AlphaVantageRest)
