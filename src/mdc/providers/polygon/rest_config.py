"""``[providers.polygon]`` keys of the REST history client (the stream has keys of its own).

Limits: the free Stocks Basic plan allows 5 API calls per minute (https://polygon.io/pricing);
paid plans are unlimited, so raise ``rest.rate_limits.all`` there.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

from mdc.providers.rest import RestSettings


class PolygonRest(RestSettings, kw_only=True, forbid_unknown_fields=True):
    rate_limits: dict[str, str] = msgspec.field(default_factory=lambda: {"all": "5/1m"})


class PolygonRestConfig(msgspec.Struct, kw_only=True):
    """Unknown keys are allowed: this section is shared with the streaming client's config."""

    rest_url: str = "https://api.polygon.io"
    """Base of every REST path; ``next_url`` pages are fetched from here too."""
    venue: str = "US"
    """``venue`` of the events (consolidated US tape); exchange ids go to ``exchange``."""
    page_limit: Annotated[int, Meta(ge=1, le=50_000)] = 50_000
    reference_page_limit: Annotated[int, Meta(ge=1, le=1000)] = 1000
    symbol_map: dict[str, str] = msgspec.field(default_factory=dict)
    """Canonical symbol → Polygon ticker, where the spelling rules are not enough."""
    rest: PolygonRest = msgspec.field(default_factory=PolygonRest)
