"""Alpha Vantage time series: intraday (by month), daily, weekly, monthly bars, raw or adjusted,
with dividends and splits from the ``DIVIDENDS`` and ``SPLITS`` functions.

Docs: https://www.alphavantage.co/documentation/ (read 2026-12-02; see ``historical.py``).
"""

from __future__ import annotations

from mdc.domain.capabilities import Capabilities
from mdc.providers.alphavantage.config import AlphaVantageConfig
from mdc.providers.base import ProviderSpec

SPEC = ProviderSpec(
    name="alphavantage",
    description="Alpha Vantage REST history: intraday/daily/weekly/monthly bars, dividends, splits",
    plan_notes=(
        "free key: 25 requests/day; raw daily bars of the latest 100 sessions, weekly/monthly "
        "(adjusted too), intraday, dividends, splits; adjusted daily bars and whole daily "
        "histories are premium (set premium = true with a premium key)"
    ),
    capabilities=Capabilities(bars=True, corporate_actions=True),
    config=AlphaVantageConfig,
    credentials=("ALPHAVANTAGE_API_KEY",),
    historical="mdc.providers.alphavantage.historical:AlphaVantageHistorical",
    symbol_style="dash",
)
