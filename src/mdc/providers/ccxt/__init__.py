"""Any exchange ccxt supports, through ccxt.pro's WebSocket methods.

Needs the optional extra ``mdc[ccxt]``; the package is imported only when the provider runs.
"""

from __future__ import annotations

from mdc.domain.capabilities import Capabilities
from mdc.providers.base import ProviderSpec
from mdc.providers.ccxt.config import CcxtConfig

SPEC = ProviderSpec(
    name="ccxt",
    description="Any ccxt.pro exchange: watch_trades, watch_ticker, watch_order_book",
    capabilities=Capabilities(
        trades=True,
        quotes=True,
        depth=True,
        max_depth_levels=0,  # whatever the exchange's ccxt book holds
        asset_classes=("crypto",),
        seq_scope="none",  # ccxt's unified structures carry no feed sequence
        seq_contiguous=False,
    ),
    config=CcxtConfig,
    streaming="mdc.providers.ccxt.stream:CcxtStream",
    search="mdc.providers.ccxt.search:CcxtSearch",
    extra="ccxt",
)
