"""Kraken pairs: WebSocket v1 names (``wsname`` ``XBT/USD``) ↔ ``BTC-USD``; tick size from
``tick_size`` (or ``pair_decimals``), lot size from ``lot_decimals``
(https://docs.kraken.com/api/docs/rest-api/get-tradable-asset-pairs).

Kraken keeps legacy ISO-4217-style codes for two assets on the wire: ``XBT`` (bitcoin) and
``XDG`` (dogecoin); everything else is the common ticker.
"""

from __future__ import annotations

from typing import Final

import msgspec

from mdc.providers.instruments import Instrument, InstrumentTable, step

VENUE = "kraken"
TO_COMMON: Final[dict[str, str]] = {"XBT": "BTC", "XDG": "DOGE"}
TO_KRAKEN: Final[dict[str, str]] = {v: k for k, v in TO_COMMON.items()}


class _Pair(msgspec.Struct, gc=False):
    wsname: str = ""
    pair_decimals: int | None = None
    lot_decimals: int | None = None
    tick_size: str | None = None
    status: str = "online"


class _AssetPairs(msgspec.Struct, gc=False):
    error: list[str] = []
    result: dict[str, _Pair] = {}


_asset_pairs = msgspec.json.Decoder(_AssetPairs)


def common_symbol(wsname: str) -> str:
    """``XBT/USD`` → ``BTC-USD``."""
    base, _, quote = wsname.partition("/")
    return f"{TO_COMMON.get(base, base)}-{TO_COMMON.get(quote, quote)}"


def venue_symbol(symbol: str) -> str:
    """``BTC-USD`` → ``XBT/USD`` (the v1 WebSocket pair name)."""
    base, _, quote = symbol.upper().partition("-")
    return f"{TO_KRAKEN.get(base, base)}/{TO_KRAKEN.get(quote, quote)}"


def venue_symbol_v2(symbol: str) -> str:
    """``BTC-USD`` → ``BTC/USD``: WebSocket v2 names pairs by their common tickers."""
    return symbol.upper().replace("-", "/")


def parse_asset_pairs(body: bytes) -> InstrumentTable:
    """``GET /0/public/AssetPairs`` body → table (pairs without a ``wsname`` are skipped)."""
    doc = _asset_pairs.decode(body)
    if doc.error:
        raise ValueError(f"AssetPairs error: {', '.join(doc.error)}")
    instruments = []
    for pair in doc.result.values():
        if not pair.wsname:
            continue
        symbol = common_symbol(pair.wsname)
        base, _, quote = symbol.partition("-")
        tick = step(pair.tick_size)
        if tick is None and pair.pair_decimals is not None:
            tick = 10.0**-pair.pair_decimals
        lot = None if pair.lot_decimals is None else 10.0**-pair.lot_decimals
        instruments.append(
            Instrument(
                symbol=symbol,
                venue_symbol=pair.wsname,
                base=base,
                quote=quote,
                tick_size=tick,
                lot_size=lot,
                trading=pair.status == "online",
            )
        )
    return InstrumentTable(VENUE, instruments)
