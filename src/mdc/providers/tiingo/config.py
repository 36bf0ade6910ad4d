"""``[providers.tiingo]``: endpoint, windows and limits of the Tiingo REST client.

Limits: Tiingo sets hourly and daily request allowances per plan, higher on paid plans
(https://api.tiingo.com/docs/general/overview). The default, 50 per hour and 1,000 per day, is
a conservative figure for the free plan; set your plan's numbers in ``rest.rate_limits.all``.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

from mdc.providers.rest import RestSettings


class TiingoRest(RestSettings, kw_only=True, forbid_unknown_fields=True):
    rate_limits: dict[str, str] = msgspec.field(default_factory=lambda: {"all": "50/1h,1000/1d"})


class TiingoConfig(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    base_url: str = "https://api.tiingo.com"
    venue: str = "US"
    """``venue`` of end-of-day bars (consolidated US prices)."""
    iex_venue: str = "IEX"
    """``venue`` of intraday bars (IEX trades only)."""
    iex_window_days: Annotated[int, Meta(ge=1, le=366)] = 7
    """Intraday history is fetched this many days per request (one request = one page)."""
    symbol_map: dict[str, str] = msgspec.field(default_factory=dict)
    """Canonical symbol → Tiingo ticker, where the spelling rules are not enough."""
    rest: TiingoRest = msgspec.field(default_factory=TiingoRest)
