"""Stooq: daily (weekly, monthly …) adjusted OHLCV as CSV, no key required.

Docs: https://stooq.com/q/d/?s=aapl.us (the download page behind ``/q/d/l/``).
"""

from __future__ import annotations

from mdc.providers.base import Capabilities, ProviderSpec
from mdc.providers.stooq.config import StooqConfig

SPEC = ProviderSpec(
    name="stooq",
    description="Stooq CSV history (no key): daily, weekly, monthly adjusted bars",
    capabilities=Capabilities(bars=True, asset_classes=("equity", "index", "fx")),
    config=StooqConfig,
    historical="mdc.providers.stooq.historical:StooqHistorical",
)
