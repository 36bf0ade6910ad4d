"""Stooq: daily (weekly, monthly …) adjusted OHLCV as CSV, with a free key (``STOOQ_API_KEY``).

Stooq publishes no API documentation; see ``historical.py`` for the sources used and their date.
"""

from __future__ import annotations

from mdc.domain.capabilities import Capabilities
from mdc.providers.base import ProviderSpec
from mdc.providers.stooq.config import StooqConfig

SPEC = ProviderSpec(
    name="stooq",
    description="Stooq CSV history: daily, weekly, monthly adjusted bars",
    plan_notes=(
        "free key (since 2026) from https://stooq.com/q/d/?s=spy.us&get_apikey; "
        "undisclosed daily quota"
    ),
    capabilities=Capabilities(bars=True, asset_classes=("equity", "index", "fx")),
    config=StooqConfig,
    credentials=("STOOQ_API_KEY",),
    historical="mdc.providers.stooq.historical:StooqHistorical",
    symbol_style="stooq",
)
