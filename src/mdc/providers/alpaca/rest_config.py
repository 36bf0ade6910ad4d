"""The ``[providers.alpaca.rest]`` table: the REST history client's endpoint, adjustment, page
size and limits (the stream's keys, ``feed`` included, sit one level up in ``[providers.alpaca]``).

Every key is also an environment variable, e.g. ``MDC_PROVIDERS__ALPACA__REST__URL``.
Limits: 200 requests per minute per account (https://alpaca.markets/support/usage-limit-api-calls/);
market-data subscriptions raise it, so set ``rate_limits.all`` to your plan's figure.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from mdc.providers.rest import RestSettings


class AlpacaRestConfig(RestSettings, kw_only=True, forbid_unknown_fields=True):
    url: str = "https://data.alpaca.markets"
    """Base of the Market Data REST API (``/v2/stocks/...``)."""
    rate_limits: dict[str, str] = msgspec.field(default_factory=lambda: {"all": "200/1m"})
    feed: Literal["iex", "sip", "otc", "delayed_sip", "boats", "overnight"] | None = None
    """History feed; unset follows the stream's ``feed`` (``iex`` when that is ``test``)."""
    adjustment: Literal["split", "dividend", "all"] = "all"
    """Alpaca's adjustment mode used when adjusted bars are asked for (``raw`` otherwise)."""
    page_limit: Annotated[int, Meta(ge=1, le=10_000)] = 10_000
    venue: str = ""
    """``venue`` of the events; empty means ``IEX`` for the iex feed and ``US`` otherwise."""
    symbol_map: dict[str, str] = msgspec.field(default_factory=dict)
    """Canonical symbol → Alpaca symbol, where the spelling rules are not enough."""
    trading_url: str = "https://api.alpaca.markets"
    """Base of the Trading API, where the asset list (``/v2/assets``) lives; paper-trading keys
    need ``https://paper-api.alpaca.markets``."""
    asset_classes: list[Literal["us_equity", "crypto"]] = msgspec.field(
        default_factory=lambda: ["us_equity", "crypto"]
    )
    """Asset classes the instrument list (``mdc symbols refresh``) fetches."""
