"""Finnhub stock candles: intraday (1–60 minutes, unadjusted) and daily/weekly/monthly
(split-adjusted) bars.

Docs: https://finnhub.io/docs/api/stock-candles
"""

from __future__ import annotations

from mdc.providers.base import Capabilities, ProviderSpec
from mdc.providers.finnhub.config import FinnhubConfig

SPEC = ProviderSpec(
    name="finnhub",
    description="Finnhub REST candles: intraday (raw) and daily/weekly/monthly (split-adjusted)",
    capabilities=Capabilities(bars=True),
    config=FinnhubConfig,
    credentials=("FINNHUB_API_KEY",),
    historical="mdc.providers.finnhub.historical:FinnhubHistorical",
)
