"""The ``[providers.polygon.rest]`` table: the REST history client's endpoint, page sizes and
limits (the stream's keys sit one level up, in ``[providers.polygon]``).

Every key is also an environment variable, e.g. ``MDC_PROVIDERS__POLYGON__REST__URL`` (set it to
``https://api.polygon.io`` for the pre-rebrand host). Limits: free plans allow 5 API requests per
minute, paid plans are unlimited
(https://polygon.io/knowledge-base/article/what-is-the-request-limit-for-polygon-restful-apis),
so raise ``rate_limits.all`` on a paid plan. Splits and dividends pages hold at most 5,000 rows
(https://massive.com/docs/rest/stocks/corporate-actions/splits, read 2026-12-02).
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

from mdc.providers.rest import RestSettings


class PolygonRestConfig(RestSettings, kw_only=True, forbid_unknown_fields=True):
    url: str = "https://api.massive.com"
    """Base of every REST path; ``next_url`` pages are fetched from here too."""
    rate_limits: dict[str, str] = msgspec.field(default_factory=lambda: {"all": "5/1m"})
    venue: str = "US"
    """``venue`` of the events (consolidated US tape); exchange ids go to ``exchange``."""
    page_limit: Annotated[int, Meta(ge=1, le=50_000)] = 50_000
    reference_page_limit: Annotated[int, Meta(ge=1, le=5000)] = 5000
    """``limit`` of ``/stocks/v1/splits`` and ``/stocks/v1/dividends`` pages."""
    symbol_map: dict[str, str] = msgspec.field(default_factory=dict)
    """Canonical symbol → Polygon ticker, where the spelling rules are not enough."""
    tickers_page_limit: Annotated[int, Meta(ge=1, le=1000)] = 1000
    """``limit`` of ``/v3/reference/tickers`` pages (symbol search and instrument list)."""
    tickers_markets: list[str] = msgspec.field(default_factory=lambda: ["stocks"])
    """Markets the instrument list (``mdc symbols refresh``) fetches: stocks, crypto, fx,
    otc, indices."""
