"""Massive (formerly Polygon.io) stocks WebSocket over the shared session.

Protocol (https://massive.com/docs/websocket/quickstart, read 2026-12-02): connect to
``wss://socket.massive.com/stocks`` (real-time) or ``wss://delayed.massive.com/stocks``
(15-minute delayed; the hosts of ``massive/websocket/models/common.py`` in
https://github.com/massive-com/client-python; the old ``*.polygon.io`` hosts are a setting away),
receive ``[{"ev":"status","status":"connected",…}]``, send
``{"action":"auth","params":KEY}``, get ``auth_success`` (or ``auth_failed``), then
``{"action":"subscribe","params":"T.AAPL,Q.AAPL,AM.AAPL"}`` acknowledged by ``success`` status
messages. One connection per cluster and key (``max_connections`` otherwise).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import msgspec

from mdc.config import provider_section
from mdc.config.schema import SymbolConfig
from mdc.domain.events import Event
from mdc.providers.connection import Frame, StreamOptions, WebSocketProvider, WireProtocol
from mdc.providers.credentials import Secret, read_credentials
from mdc.providers.polygon import SPEC
from mdc.providers.polygon.config import PolygonConfig
from mdc.providers.polygon.parse import PROVIDER, VENUE, PolygonParser

EQUITY_CALENDAR: Final = "XNYS"


class PolygonProtocol(WireProtocol):
    provider = PROVIDER
    calendar = EQUITY_CALENDAR

    def __init__(self, config: PolygonConfig, key: Secret) -> None:
        self.config = config
        self._key = key
        self.parser = PolygonParser()

    def url(self) -> str:
        return self.config.delayed_stream_url if self.config.delayed else self.config.stream_url

    def auth_messages(self) -> list[Frame]:
        return [msgspec.json.encode({"action": "auth", "params": self._key.reveal()}).decode()]

    def check_auth(self, frame: Frame) -> bool:
        return self.parser.check_auth(frame)

    def subscribe_messages(self, symbols: Sequence[SymbolConfig]) -> list[Frame]:
        return self._action("subscribe", symbols)

    def unsubscribe_messages(self, symbols: Sequence[SymbolConfig]) -> list[Frame]:
        return self._action("unsubscribe", symbols)

    def parse(self, frame: Frame, ts_recv: int) -> list[Event]:
        return self.parser.parse(frame, ts_recv)

    def reset(self) -> None:
        self.parser.subscribed = set()

    def venue(self, symbol: str) -> str:
        return VENUE

    def channels(self, symbols: Sequence[SymbolConfig]) -> list[str]:
        cfg = self.config
        out: list[str] = []
        for s in symbols:
            sym = s.symbol
            if s.trades:
                out.append(f"T.{sym}")
            if s.quotes:
                out.append(f"Q.{sym}")
            if cfg.second_aggregates:
                out.append(f"A.{sym}")
            if cfg.minute_aggregates:
                out.append(f"AM.{sym}")
            if cfg.luld:
                out.append(f"LULD.{sym}")
        return out

    def _action(self, action: str, symbols: Sequence[SymbolConfig]) -> list[Frame]:
        channels = self.channels(symbols)
        if not channels:
            return []
        return [msgspec.json.encode({"action": action, "params": ",".join(channels)}).decode()]


class PolygonStream(WebSocketProvider):
    """``mdc collect --provider polygon``: the stocks cluster, real-time or delayed."""

    spec = SPEC

    def make_protocol(self) -> WireProtocol:
        creds = read_credentials(SPEC)
        self.protocol = PolygonProtocol(self.settings, creds["POLYGON_API_KEY"])
        return self.protocol

    def stream_options(self) -> StreamOptions:
        return self.settings

    @property
    def settings(self) -> PolygonConfig:
        return provider_section(self.config, PROVIDER, PolygonConfig)
