"""Alpaca market data (https://docs.alpaca.markets/docs/streaming-market-data)."""

from mdc.providers.alpaca.config import AlpacaConfig
from mdc.providers.base import Capabilities, ProviderSpec

SPEC = ProviderSpec(
    name="alpaca",
    description="Alpaca market data stream v2: US stocks (IEX, SIP) and crypto",
    capabilities=Capabilities(
        trades=True,
        quotes=True,
        depth=True,
        bars=True,
        max_depth_levels=50,
        asset_classes=("equity", "crypto"),
        seq_scope="none",
    ),
    config=AlpacaConfig,
    credentials=("ALPACA_KEY_ID", "ALPACA_SECRET_KEY"),
    streaming="mdc.providers.alpaca.stream:AlpacaStream",
)
