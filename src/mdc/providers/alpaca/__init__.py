"""Alpaca Market Data API v2: REST history of bars, trades and quotes for US stocks.

Docs: https://alpaca.markets/docs/api-references/market-data-api/stock-pricing-data/historical/
"""

from __future__ import annotations

from mdc.providers.alpaca.rest_config import AlpacaRestConfig
from mdc.providers.base import Capabilities, ProviderSpec

SPEC = ProviderSpec(
    name="alpaca",
    description="Alpaca Market Data v2 REST history: bars (all timeframes), trades, quotes",
    capabilities=Capabilities(trades=True, quotes=True, bars=True),
    config=AlpacaRestConfig,
    credentials=("ALPACA_KEY_ID", "ALPACA_SECRET_KEY"),
    historical="mdc.providers.alpaca.historical:AlpacaHistorical",
)
