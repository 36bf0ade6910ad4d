"""``[providers.openfigi]``: endpoint, limits without and with a key, and the exchange filter.

Limits (https://www.openfigi.com/api/documentation, read 2026-12-03): without a key, mapping
25 requests/min with at most 10 jobs each and search 5 requests/min; with ``OPENFIGI_API_KEY``,
mapping 25 requests per 6 s with 100 jobs each and search 20 requests/min. HTTP 429 answers
over-limit requests; the shared REST client waits and retries.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

from mdc.providers.rest import RestSettings


class OpenFigiRest(RestSettings, kw_only=True, forbid_unknown_fields=True):
    rate_limits: dict[str, str] = msgspec.field(
        default_factory=lambda: {"search": "5/1m", "mapping": "25/1m"}
    )
    """Used without a key."""
    keyed_rate_limits: dict[str, str] = msgspec.field(
        default_factory=lambda: {"search": "20/1m", "mapping": "25/6s"}
    )
    """Used when ``OPENFIGI_API_KEY`` is set."""


class OpenFigiConfig(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    base_url: str = "https://api.openfigi.com"
    exch_code: str = "US"
    """Bloomberg exchange code searches and ticker mappings are limited to (``US`` is the US
    composite; empty means every exchange)."""
    jobs_per_request: Annotated[int, Meta(ge=1, le=10)] = 10
    """Mapping jobs per request without a key."""
    keyed_jobs_per_request: Annotated[int, Meta(ge=1, le=100)] = 100
    """Mapping jobs per request with a key."""
    rest: OpenFigiRest = msgspec.field(default_factory=OpenFigiRest)
