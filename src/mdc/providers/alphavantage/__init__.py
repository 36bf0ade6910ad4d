"""Alpha Vantage time series: intraday (by month), daily, weekly, monthly bars, raw or adjusted,
with dividends and splits from the adjusted daily series.

Docs: https://www.alphavantage.co/documentation/
"""

from __future__ import annotations

from mdc.providers.alphavantage.config import AlphaVantageConfig
from mdc.providers.base import Capabilities, ProviderSpec

SPEC = ProviderSpec(
    name="alphavantage",
    description="Alpha Vantage REST history: intraday/daily/weekly/monthly bars, dividends, splits",
    capabilities=Capabilities(bars=True, corporate_actions=True),
    config=AlphaVantageConfig,
    credentials=("ALPHAVANTAGE_API_KEY",),
    historical="mdc.providers.alphavantage.historical:AlphaVantageHistorical",
)
