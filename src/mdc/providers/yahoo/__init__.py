"""Yahoo Finance chart API: daily and intraday bars (split-adjusted, adjusted close), dividends
and splits. No key; Yahoo publishes no documentation or terms for this API.
"""

from __future__ import annotations

from mdc.providers.base import Capabilities, ProviderSpec
from mdc.providers.yahoo.config import YahooConfig

SPEC = ProviderSpec(
    name="yahoo",
    description="Yahoo Finance chart API (no key): daily/intraday bars, dividends, splits",
    capabilities=Capabilities(bars=True, corporate_actions=True),
    config=YahooConfig,
    historical="mdc.providers.yahoo.historical:YahooHistorical",
)
