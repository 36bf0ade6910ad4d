"""Nasdaq Data Link (formerly Quandl): daily bars, dividends and splits from a Tables API
datatable (default QUOTEMEDIA/PRICES) or a time-series dataset.

Docs: https://docs.data.nasdaq.com/docs/in-depth-usage-1 and the official client
https://github.com/Nasdaq/data-link-python (read 2026-12-02; see ``historical.py``). The default
table, QUOTEMEDIA/PRICES, is a premium table: a free key needs that table's subscription.
"""

from __future__ import annotations

from mdc.domain.capabilities import Capabilities
from mdc.providers.base import ProviderSpec
from mdc.providers.nasdaqdatalink.config import NasdaqDataLinkConfig

SPEC = ProviderSpec(
    name="nasdaqdatalink",
    description="Nasdaq Data Link REST: daily bars, dividends, splits (datatables or time-series)",
    plan_notes=(
        "a free key reads free data only; premium tables such as the default QUOTEMEDIA/PRICES "
        "or SHARADAR/SEP need that table's subscription (else QEPx04)"
    ),
    capabilities=Capabilities(bars=True, corporate_actions=True),
    config=NasdaqDataLinkConfig,
    credentials=("NASDAQ_DATA_LINK_API_KEY",),
    historical="mdc.providers.nasdaqdatalink.historical:NasdaqDataLinkHistorical",
)
