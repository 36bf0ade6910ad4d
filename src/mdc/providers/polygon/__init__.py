"""Polygon.io (now Massive): REST history of aggregates, trades, quotes, splits and dividends.

Docs: https://polygon.io/docs/stocks/getting-started
"""

from __future__ import annotations

from mdc.providers.base import Capabilities, ProviderSpec
from mdc.providers.polygon.rest_config import PolygonRestConfig

SPEC = ProviderSpec(
    name="polygon",
    description="Polygon.io REST history: aggregates, trades, quotes, splits, dividends",
    capabilities=Capabilities(
        trades=True, quotes=True, bars=True, corporate_actions=True, seq_scope="symbol"
    ),
    config=PolygonRestConfig,
    credentials=("POLYGON_API_KEY",),
    historical="mdc.providers.polygon.historical:PolygonHistorical",
)
