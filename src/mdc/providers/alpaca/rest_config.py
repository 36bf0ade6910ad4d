"""``[providers.alpaca]`` keys of the REST history client (the stream has keys of its own).

Limits: 200 requests per minute per account (https://alpaca.markets/support/usage-limit-api-calls/);
Algo Trader Plus data subscribers get more, so raise ``rest.rate_limits.all`` there.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from mdc.providers.rest import RestSettings


class AlpacaRest(RestSettings, kw_only=True, forbid_unknown_fields=True):
    rate_limits: dict[str, str] = msgspec.field(default_factory=lambda: {"all": "200/1m"})


class AlpacaRestConfig(msgspec.Struct, kw_only=True):
    """Unknown keys are allowed: this section is shared with the streaming client's config."""

    data_url: str = "https://data.alpaca.markets"
    """Base of the Market Data REST API (``/v2/stocks/...``)."""
    feed: Literal["iex", "sip", "otc"] = "iex"
    """``iex`` on the free plan; ``sip`` (all US exchanges) needs a subscription."""
    adjustment: Literal["split", "dividend", "all"] = "all"
    """Alpaca's adjustment mode used when adjusted bars are asked for (``raw`` otherwise)."""
    page_limit: Annotated[int, Meta(ge=1, le=10_000)] = 10_000
    venue: str = ""
    """``venue`` of the events; empty means ``IEX`` for the iex feed and ``US`` otherwise."""
    symbol_map: dict[str, str] = msgspec.field(default_factory=dict)
    """Canonical symbol → Alpaca symbol, where the spelling rules are not enough."""
    rest: AlpacaRest = msgspec.field(default_factory=AlpacaRest)
