"""Binance spot symbols: ``BTCUSDT`` ↔ ``BTC-USDT`` from ``baseAsset``/``quoteAsset``; tick size
from ``PRICE_FILTER.tickSize``, lot size from ``LOT_SIZE.stepSize``
(https://developers.binance.com/docs/binance-spot-api-docs/rest-api/general-endpoints#exchange-information,
https://developers.binance.com/docs/binance-spot-api-docs/filters)."""

from __future__ import annotations

from typing import Any

import msgspec

from mdc.providers.instruments import Instrument, InstrumentTable, step

VENUE = "binance"


class _Symbol(msgspec.Struct, gc=False):
    symbol: str
    baseAsset: str
    quoteAsset: str
    status: str = "TRADING"
    filters: list[dict[str, Any]] = []


class _ExchangeInfo(msgspec.Struct, gc=False):
    symbols: list[_Symbol]


_exchange_info = msgspec.json.Decoder(_ExchangeInfo)


def _filter(symbol: _Symbol, kind: str, key: str) -> str | None:
    for f in symbol.filters:
        if f.get("filterType") == kind:
            value = f.get(key)
            return value if isinstance(value, str) else None
    return None


def parse_exchange_info(body: bytes) -> InstrumentTable:
    """``GET /api/v3/exchangeInfo`` body → table."""
    return InstrumentTable(
        VENUE,
        (
            Instrument(
                symbol=f"{s.baseAsset}-{s.quoteAsset}",
                venue_symbol=s.symbol,
                base=s.baseAsset,
                quote=s.quoteAsset,
                tick_size=step(_filter(s, "PRICE_FILTER", "tickSize")),
                lot_size=step(_filter(s, "LOT_SIZE", "stepSize")),
                trading=s.status == "TRADING",
            )
            for s in _exchange_info.decode(body).symbols
        ),
    )


def venue_symbol(symbol: str) -> str:
    """``BTC-USDT`` → ``BTCUSDT`` (the wire form; stream names use it lower-cased)."""
    return symbol.replace("-", "").upper()
