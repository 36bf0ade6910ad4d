"""Nasdaq Data Link (formerly Quandl): daily bars, dividends and splits from a Tables API
datatable (default QUOTEMEDIA/PRICES) or a time-series dataset.

Docs: https://docs.data.nasdaq.com/docs/in-depth-usage-1
"""

from __future__ import annotations

from mdc.providers.base import Capabilities, ProviderSpec
from mdc.providers.nasdaqdatalink.config import NasdaqDataLinkConfig

SPEC = ProviderSpec(
    name="nasdaqdatalink",
    description="Nasdaq Data Link REST: daily bars, dividends, splits (datatables or time-series)",
    capabilities=Capabilities(bars=True, corporate_actions=True),
    config=NasdaqDataLinkConfig,
    credentials=("NASDAQ_DATA_LINK_API_KEY",),
    historical="mdc.providers.nasdaqdatalink.historical:NasdaqDataLinkHistorical",
)
