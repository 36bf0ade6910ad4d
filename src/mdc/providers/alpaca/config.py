"""The ``[providers.alpaca]`` section: endpoints, feed, encoding, channels, connection tunables.

Every key is also an environment variable, e.g. ``MDC_PROVIDERS__ALPACA__FEED=sip`` or
``MDC_PROVIDERS__ALPACA__STREAM_URL=wss://stream.data.sandbox.alpaca.markets/{version}/{feed}``.
Credentials are never here: they come from ``ALPACA_KEY_ID`` and ``ALPACA_SECRET_KEY``.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from mdc.providers.alpaca.rest_config import AlpacaRestConfig
from mdc.providers.connection import StreamOptions


class AlpacaConfig(StreamOptions, kw_only=True, forbid_unknown_fields=True):
    stream_url: str = "wss://stream.data.alpaca.markets/{version}/{feed}"
    """Stock stream; ``{feed}`` is replaced by ``feed`` and ``{version}`` by the feed's API
    version (``v1beta1`` for ``boats`` and ``overnight``, ``v2`` for the others). Sandbox:
    ``wss://stream.data.sandbox.alpaca.markets/{version}/{feed}``."""
    crypto_stream_url: str = "wss://stream.data.alpaca.markets/v1beta3/crypto/us"
    feed: Literal["iex", "sip", "delayed_sip", "test", "boats", "overnight"] = "iex"
    """``iex`` is free; ``sip`` needs a paid plan; ``test`` streams ``FAKEPACA`` at all hours;
    ``boats`` (Blue Ocean ATS) and ``overnight`` (Alpaca's derived overnight feed) are v1beta1."""
    asset_class: Literal["auto", "stocks", "crypto"] = "auto"
    """Which stream: ``auto`` picks crypto when the symbols look like ``BTC/USD``."""
    encoding: Literal["json", "msgpack"] = "json"
    bars: bool = True
    """Minute bars (``bars``)."""
    updated_bars: bool = True
    """Minute bars re-sent after late trades (``updatedBars``)."""
    daily_bars: bool = False
    """Running daily bars, re-sent every minute (``dailyBars``)."""
    statuses: bool = True
    """Trading halts and resumptions (stocks only)."""
    lulds: bool = True
    """Limit up / limit down bands (stocks only)."""
    imbalances: bool = False
    """Order imbalances (stocks only)."""
    rest: AlpacaRestConfig = msgspec.field(default_factory=AlpacaRestConfig)
    """``[providers.alpaca.rest]``: the REST history client."""
