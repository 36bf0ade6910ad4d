"""Tiingo: end-of-day prices (raw and adjusted, with dividends and splits) and IEX intraday bars.

Docs (re-checked 2026-12-03): https://api.tiingo.com/documentation/end-of-day,
https://api.tiingo.com/documentation/iex, https://api.tiingo.com/docs/general/overview; what
changed since is in ``parse.py``.
"""

from __future__ import annotations

from mdc.domain.capabilities import Capabilities
from mdc.providers.base import ProviderSpec
from mdc.providers.tiingo.config import TiingoConfig

SPEC = ProviderSpec(
    name="tiingo",
    description="Tiingo REST history: daily (adjusted or raw) and IEX intraday bars, dividends",
    capabilities=Capabilities(bars=True, corporate_actions=True),
    config=TiingoConfig,
    credentials=("TIINGO_API_KEY",),
    historical="mdc.providers.tiingo.historical:TiingoHistorical",
    symbol_style="dash",
)
