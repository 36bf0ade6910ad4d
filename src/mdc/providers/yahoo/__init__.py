"""Yahoo Finance chart API: daily and intraday bars (split-adjusted, adjusted close), dividends
and splits. No key, but a cookie + crumb handshake (``session.py``) and, where Yahoo blocks plain
HTTP clients, browser TLS through the optional ``mdc[yahoo]`` extra (``transport.py``). Yahoo
publishes no documentation or terms for this API; sources and dates are in those modules.
"""

from __future__ import annotations

from mdc.domain.capabilities import Capabilities
from mdc.providers.base import ProviderSpec
from mdc.providers.yahoo.config import YahooConfig

SPEC = ProviderSpec(
    name="yahoo",
    description="Yahoo Finance chart API (no key): daily/intraday bars, dividends, splits",
    plan_notes=(
        "unofficial API with no terms; Yahoo blocks clients it takes for bots: install "
        "mdc[yahoo] for browser TLS"
    ),
    capabilities=Capabilities(bars=True, corporate_actions=True),
    config=YahooConfig,
    historical="mdc.providers.yahoo.historical:YahooHistorical",
    symbol_style="dash",
)
