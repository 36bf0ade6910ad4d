"""The ``[providers.polygon]`` section: endpoints, feed, channels, connection tunables.

Every key is also an environment variable, e.g. ``MDC_PROVIDERS__POLYGON__DELAYED=true`` or
``MDC_PROVIDERS__POLYGON__STREAM_URL=wss://socket.polygon.io/stocks``. Polygon.io became Massive
in October 2025; the defaults are Massive's hosts as its SDK names them (``massive/websocket/
models/common.py`` of https://github.com/massive-com/client-python, read 2026-12-02:
``socket.massive.com``, ``delayed.massive.com``), and the old ``*.polygon.io`` hosts, which speak
the same protocol, stay one setting away. The key comes from ``POLYGON_API_KEY`` only.
"""

from __future__ import annotations

import msgspec

from mdc.providers.connection import StreamOptions
from mdc.providers.polygon.rest_config import PolygonRestConfig


class PolygonConfig(StreamOptions, kw_only=True, forbid_unknown_fields=True):
    stream_url: str = "wss://socket.massive.com/stocks"
    """Real-time stocks cluster."""
    delayed_stream_url: str = "wss://delayed.massive.com/stocks"
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
