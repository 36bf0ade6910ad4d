"""Alpaca market data: the v2 stream (https://docs.alpaca.markets/docs/streaming-market-data) and
REST history of bars, trades and quotes
(https://alpaca.markets/docs/api-references/market-data-api/stock-pricing-data/historical/) and
corporate actions (https://docs.alpaca.markets/reference/corporateactions).
"""

from mdc.domain.capabilities import Capabilities
from mdc.providers.alpaca.config import AlpacaConfig
from mdc.providers.base import ProviderSpec

SPEC = ProviderSpec(
    name="alpaca",
    description="Alpaca market data: stream v2 (US stocks, crypto) and REST history",
    capabilities=Capabilities(
        trades=True,
        quotes=True,
        depth=True,
        bars=True,
        corporate_actions=True,
        max_depth_levels=50,
        asset_classes=("equity", "crypto"),
        seq_scope="none",
    ),
    config=AlpacaConfig,
    credentials=("ALPACA_KEY_ID", "ALPACA_SECRET_KEY"),
    plan_notes=(
        "free (Basic) plan: IEX for live data and history, SIP history older than 15 minutes; "
        "SIP up to now needs Algo Trader Plus"
    ),
    streaming="mdc.providers.alpaca.stream:AlpacaStream",
    historical="mdc.providers.alpaca.historical:AlpacaHistorical",
    search="mdc.providers.alpaca.search:AlpacaSearch",
)
