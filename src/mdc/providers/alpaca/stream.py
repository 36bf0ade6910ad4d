"""Alpaca market data stream v2 (stocks) and the crypto stream, over the shared session.

Protocol (https://docs.alpaca.markets/docs/streaming-market-data and
https://docs.alpaca.markets/docs/real-time-stock-pricing-data, read 2026-12-02): connect to
``wss://stream.data.alpaca.markets/{version}/{feed}`` — ``v2/iex``, ``v2/sip``,
``v2/delayed_sip``, ``v2/test``, but ``v1beta1/boats`` and ``v1beta1/overnight`` (or the crypto
stream ``/v1beta3/crypto/us``), receive ``[{"T":"success","msg":"connected"}]``, send
``{"action":"auth","key":…,"secret":…}`` within 10 s, get ``authenticated`` (or error 402),
then ``{"action":"subscribe","trades":[…],"quotes":[…],…}`` and the ``subscription`` ack with
the full set. ``Content-Type: application/msgpack`` on the upgrade switches frames to msgpack
(client messages are then msgpack too). Channels per symbol: ``trades`` (corrections and
cancel/errors come with it), ``quotes``, ``orderbooks`` (crypto, when the symbol wants depth);
``bars``/``updatedBars``/``dailyBars``/``statuses``/``lulds``/``imbalances`` per config.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import msgspec

from mdc.config import provider_section
from mdc.config.schema import SymbolConfig
from mdc.domain.events import Event
from mdc.providers.alpaca import SPEC
from mdc.providers.alpaca.config import AlpacaConfig
from mdc.providers.alpaca.parse import PROVIDER, AlpacaParser
from mdc.providers.base import ProviderError
from mdc.providers.connection import Frame, StreamOptions, WebSocketProvider, WireProtocol
from mdc.providers.credentials import Secret, read_credentials

FEED_VENUES: Final[dict[str, str]] = {
    "iex": "IEX",
    "sip": "SIP",
    "delayed_sip": "SIP",
    "test": "TEST",
    "boats": "BOATS",
    "overnight": "OVERNIGHT",
}
FEED_VERSIONS: Final[dict[str, str]] = {"boats": "v1beta1", "overnight": "v1beta1"}
"""Feeds outside the ``v2`` path (real-time-stock-pricing-data, 2026-12-02); others are v2."""
CRYPTO_VENUE: Final = "ALPACA"
"""Alpaca's crypto stream carries Alpaca's own exchange."""
EQUITY_CALENDAR: Final = "XNYS"


def is_crypto(symbol: str) -> bool:
    """Alpaca names crypto pairs ``BASE/QUOTE``; stock symbols never contain a slash."""
    return "/" in symbol


def stock_stream_url(template: str, feed: str) -> str:
    """The stock stream URL of ``feed``: ``{version}`` and ``{feed}`` filled in. A template
    written for v2 alone (``…/v2/{feed}``) is moved to v1beta1 for the feeds that live there."""
    version = FEED_VERSIONS.get(feed, "v2")
    if "{version}" not in template:
        template = template.replace("/v2/{feed}", f"/{version}/{{feed}}")
    return template.replace("{version}", version).replace("{feed}", feed)


class AlpacaProtocol(WireProtocol):
    provider = PROVIDER

    def __init__(self, config: AlpacaConfig, key_id: Secret, secret: Secret, crypto: bool):
        self.config = config
        self.crypto = crypto
        self._key_id = key_id
        self._secret = secret
        self.binary = config.encoding == "msgpack"
        self.calendar = None if crypto else EQUITY_CALENDAR
        self._venue = CRYPTO_VENUE if crypto else FEED_VENUES[config.feed]
        self.parser = AlpacaParser(self._venue)

    def url(self) -> str:
        if self.crypto:
            return self.config.crypto_stream_url
        return stock_stream_url(self.config.stream_url, self.config.feed)

    def headers(self) -> dict[str, str]:
        return {"Content-Type": "application/msgpack"} if self.binary else {}

    def auth_messages(self) -> list[Frame]:
        auth = {"action": "auth", "key": self._key_id.reveal(), "secret": self._secret.reveal()}
        return [self._encode(auth)]

    def check_auth(self, frame: Frame) -> bool:
        return self.parser.check_auth(frame)

    def subscribe_messages(self, symbols: Sequence[SymbolConfig]) -> list[Frame]:
        return [self._encode({"action": "subscribe", **self._channels(symbols)})]

    def unsubscribe_messages(self, symbols: Sequence[SymbolConfig]) -> list[Frame]:
        return [self._encode({"action": "unsubscribe", **self._channels(symbols)})]

    def parse(self, frame: Frame, ts_recv: int) -> list[Event]:
        return self.parser.parse(frame, ts_recv)

    def reset(self) -> None:
        self.parser.subscribed = {}

    def venue(self, symbol: str) -> str:
        return self._venue

    def _channels(self, symbols: Sequence[SymbolConfig]) -> dict[str, list[str]]:
        cfg = self.config
        names = [s.symbol for s in symbols]
        channels: dict[str, list[str]] = {
            "trades": [s.symbol for s in symbols if s.trades],
            "quotes": [s.symbol for s in symbols if s.quotes],
            "bars": names if cfg.bars else [],
            "updatedBars": names if cfg.updated_bars else [],
            "dailyBars": names if cfg.daily_bars else [],
        }
        if self.crypto:
            channels["orderbooks"] = [s.symbol for s in symbols if s.depth]
        else:
            channels["statuses"] = names if cfg.statuses else []
            channels["lulds"] = names if cfg.lulds else []
            channels["imbalances"] = names if cfg.imbalances else []
        return {name: syms for name, syms in channels.items() if syms}

    def _encode(self, message: dict[str, Any]) -> Frame:
        if self.binary:
            return msgspec.msgpack.encode(message)
        return msgspec.json.encode(message).decode()


class AlpacaStream(WebSocketProvider):
    """``mdc collect --provider alpaca``: one connection, to the stock or the crypto stream."""

    spec = SPEC

    def make_protocol(self) -> WireProtocol:
        creds = read_credentials(SPEC)
        settings = self.settings
        symbols = [s.symbol for s in self.config.symbol_configs()]
        crypto = settings.asset_class == "crypto" or (
            settings.asset_class == "auto" and bool(symbols) and all(map(is_crypto, symbols))
        )
        self.protocol = AlpacaProtocol(
            settings, creds["ALPACA_KEY_ID"], creds["ALPACA_SECRET_KEY"], crypto
        )
        return self.protocol

    def stream_options(self) -> StreamOptions:
        return self.settings

    @property
    def settings(self) -> AlpacaConfig:
        return provider_section(self.config, PROVIDER, AlpacaConfig)

    async def run(self, symbols: list[SymbolConfig]) -> None:
        self._check_asset_class(symbols)
        await super().run(symbols)

    async def subscribe(self, symbols: list[SymbolConfig]) -> None:
        self._check_asset_class(symbols)
        await super().subscribe(symbols)

    def _check_asset_class(self, symbols: list[SymbolConfig]) -> None:
        proto = self.protocol
        wrong = [s.symbol for s in symbols if is_crypto(s.symbol) != proto.crypto]
        if wrong:
            stream = "crypto" if proto.crypto else "stock"
            raise ProviderError(
                f"alpaca: {', '.join(wrong)} cannot be streamed on the {stream} stream; one "
                "Alpaca connection carries either stocks or crypto (set "
                "providers.alpaca.asset_class, and collect the other class with another provider)"
            )
