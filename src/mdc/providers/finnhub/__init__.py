"""Finnhub stock candles: intraday (1–60 minutes, unadjusted) and daily/weekly/monthly
(split-adjusted) bars.

Docs: https://finnhub.io/docs/api/stock-candles (read 2026-12-02). Candles are paid-only: a
free Finnhub key gets HTTP 403 for every candle request.
"""

from __future__ import annotations

from mdc.domain.capabilities import Capabilities
from mdc.providers.base import ProviderSpec
from mdc.providers.finnhub.config import FinnhubConfig

SPEC = ProviderSpec(
    name="finnhub",
    description="Finnhub REST candles: intraday (raw) and daily/weekly/monthly (split-adjusted)",
    plan_notes="stock candles are paid-only: a free key gets HTTP 403 for every candle request",
    capabilities=Capabilities(bars=True),
    config=FinnhubConfig,
    credentials=("FINNHUB_API_KEY",),
    historical="mdc.providers.finnhub.historical:FinnhubHistorical",
    search="mdc.providers.finnhub.search:FinnhubSearch",
)
