"""Massive (Polygon.io until its October 2025 rebrand) stocks data: the WebSocket stream
(https://massive.com/docs/websocket/quickstart) and REST history of aggregates, trades, quotes,
splits and dividends (https://massive.com/docs/rest/stocks/overview), on Massive's hosts
(``api.massive.com``, ``socket.massive.com``, ``delayed.massive.com``); checked 2026-12-02.
"""

from mdc.domain.capabilities import Capabilities
from mdc.providers.base import ProviderSpec
from mdc.providers.polygon.config import PolygonConfig

SPEC = ProviderSpec(
    name="polygon",
    description="Massive (formerly Polygon.io) stocks: WebSocket stream and REST history",
    plan_notes=(
        "free key: 5 requests/min, aggregates and splits/dividends; trades, quotes and the "
        "WebSocket need a paid stocks plan (delayed = true for 15-minute delayed plans)"
    ),
    capabilities=Capabilities(
        trades=True,
        quotes=True,
        bars=True,
        corporate_actions=True,
        asset_classes=("equity",),
        # ``q`` increases per ticker *and message type* (trades, quotes and LULD each count on
        # their own) and skips values: a per-symbol tracker would flag false out-of-order
        # events, so the numbers are kept on the events but not tracked.
        seq_scope="none",
    ),
    config=PolygonConfig,
    credentials=("POLYGON_API_KEY",),
    streaming="mdc.providers.polygon.stream:PolygonStream",
    historical="mdc.providers.polygon.historical:PolygonHistorical",
    search="mdc.providers.polygon.search:PolygonSearch",
)
