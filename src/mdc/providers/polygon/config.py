"""The ``[providers.polygon]`` section: endpoints, feed, channels, connection tunables.

Every key is also an environment variable, e.g. ``MDC_PROVIDERS__POLYGON__DELAYED=true`` or
``MDC_PROVIDERS__POLYGON__STREAM_URL=wss://socket.massive.com/stocks`` (Polygon is now Massive;
both host names serve the same protocol). The key comes from ``POLYGON_API_KEY`` only.
"""

from __future__ import annotations

import msgspec

from mdc.providers.connection import StreamOptions
from mdc.providers.polygon.rest_config import PolygonRestConfig


class PolygonConfig(StreamOptions, kw_only=True, forbid_unknown_fields=True):
    stream_url: str = "wss://socket.polygon.io/stocks"
    """Real-time stocks cluster."""
    delayed_stream_url: str = "wss://delayed.polygon.io/stocks"
    """15-minute delayed stocks cluster (plans without real-time data)."""
    delayed: bool = False
    """Use ``delayed_stream_url`` instead of ``stream_url``."""
    second_aggregates: bool = False
    """``A`` per-second bars."""
    minute_aggregates: bool = True
    """``AM`` per-minute bars."""
    luld: bool = True
    """``LULD`` limit up / limit down bands."""
    rest: PolygonRestConfig = msgspec.field(default_factory=PolygonRestConfig)
    """``[providers.polygon.rest]``: the REST history client."""
