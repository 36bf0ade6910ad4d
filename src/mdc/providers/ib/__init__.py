"""Interactive Brokers through TWS or IB Gateway, on ib_async (the ``mdc[ib]`` extra).

Live tick-by-tick trades and quotes and L2 depth (``stream.py``), bars and historical ticks under
IB's pacing rules (``historical.py``, ``pacing.py``), and symbol search (``search.py``). Needs a
running TWS or IB Gateway with API connections enabled; ib_async is imported only when used.
"""

from __future__ import annotations

from mdc.domain.capabilities import Capabilities
from mdc.providers.base import ProviderSpec
from mdc.providers.ib.config import IbConfig

SPEC = ProviderSpec(
    name="ib",
    description="Interactive Brokers (TWS / IB Gateway): tick-by-tick, depth, bars, ticks",
    capabilities=Capabilities(
        trades=True,
        quotes=True,
        depth=True,
        bars=True,
        max_depth_levels=50,
        asset_classes=("equity", "future", "fx", "index", "crypto"),
        seq_scope="none",  # the API carries no sequence numbers
        seq_contiguous=False,
    ),
    config=IbConfig,
    streaming="mdc.providers.ib.stream:IbStream",
    historical="mdc.providers.ib.historical:IbHistorical",
    search="mdc.providers.ib.search:IbSearch",
    extra="ib",
)
