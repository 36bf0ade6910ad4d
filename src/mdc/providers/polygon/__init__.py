"""Polygon.io (Massive) stocks data (https://massive.com/docs/websocket/quickstart)."""

from mdc.providers.base import Capabilities, ProviderSpec
from mdc.providers.polygon.config import PolygonConfig

SPEC = ProviderSpec(
    name="polygon",
    description="Polygon.io (Massive) stocks WebSocket: trades, NBBO quotes, aggregates",
    capabilities=Capabilities(
        trades=True,
        quotes=True,
        bars=True,
        asset_classes=("equity",),
        seq_scope="symbol",
        seq_contiguous=False,
    ),
    config=PolygonConfig,
    credentials=("POLYGON_API_KEY",),
    streaming="mdc.providers.polygon.stream:PolygonStream",
)
