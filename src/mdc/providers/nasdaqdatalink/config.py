"""``[providers.nasdaqdatalink]``: endpoint, source table or dataset, column names and limits.

Limits for a free key: 300 calls per 10 seconds, 2,000 per 10 minutes, 50,000 per day, one call
at a time (https://help.data.nasdaq.com/article/490-is-there-a-rate-limit-or-speed-limit-for-api-usage).
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

from mdc.providers.rest import RestSettings


def _quotemedia_columns() -> dict[str, str]:
    names = ("open", "high", "low", "close", "volume", "dividend", "split")
    adjusted = ("adj_open", "adj_high", "adj_low", "adj_close", "adj_volume")
    return {name: name for name in names + adjusted}


class NasdaqDataLinkRest(RestSettings, kw_only=True, forbid_unknown_fields=True):
    rate_limits: dict[str, str] = msgspec.field(
        default_factory=lambda: {"all": "300/10s,2000/10m,50000/1d"}
    )


class NasdaqDataLinkConfig(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    base_url: str = "https://data.nasdaq.com/api/v3"
    datatable: str = "QUOTEMEDIA/PRICES"
    """Tables API code (``/datatables/<code>.json``), used unless ``dataset`` is set. The
    default is a premium table (a subscription on data.nasdaq.com); without one the key gets
    ``QEPx04``, reported as not included in your plan."""
    dataset: str = ""
    """Time-series code with a ``{symbol}`` placeholder (``WIKI/{symbol}``); when set, the
    time-series API (``/datasets/<code>/data.json``) is used instead of ``datatable``."""
    symbol_column: str = "ticker"
    """Datatable column filtered by symbol."""
    date_column: str = "date"
    columns: dict[str, str] = msgspec.field(default_factory=_quotemedia_columns)
    """Field → column name: ``open high low close volume`` (raw), ``adj_open adj_high adj_low
    adj_close adj_volume`` (adjusted), ``dividend split`` (corporate actions). Names match
    case-insensitively with punctuation ignored (``Adj. Close`` = ``adj_close``)."""
    per_page: Annotated[int, Meta(ge=1, le=10_000)] = 10_000
    venue: str = "US"
    symbol_map: dict[str, str] = msgspec.field(default_factory=dict)
    """Canonical symbol → Nasdaq Data Link ticker, where the spelling rules are not enough."""
    rest: NasdaqDataLinkRest = msgspec.field(default_factory=NasdaqDataLinkRest)
