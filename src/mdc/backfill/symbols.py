"""Symbol names between our canonical form and each provider's, explicit and testable.

Canonical share-class symbols use a dot (``BRK.B``), as Alpaca and Polygon do. Some REST APIs
cannot put a dot in a URL path and use a hyphen instead:
Tiingo (https://api.tiingo.com/documentation/appendix/symbology: "BRK.A is BRK-A within Tiingo")
and Yahoo Finance (``BRK-B``). Anything else is configured, per provider, in
``backfill.symbol_map`` (``{yahoo = {"BF.B" = "BF-B"}}``), which always wins. The archive stores
the canonical name whatever the provider was asked for.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

SHARE_CLASS_SEPARATOR: Final[dict[str, str]] = {"tiingo": "-", "yahoo": "-"}
"""Providers whose tickers write the share class after a hyphen instead of a dot."""
_SHARE_CLASS: Final = re.compile(r"^(?P<root>[A-Z]{1,6})\.(?P<cls>[A-Z]{1,2})$")


def provider_symbol(
    provider: str, symbol: str, symbol_map: Mapping[str, Mapping[str, str]] | None = None
) -> str:
    """The name ``provider`` knows canonical ``symbol`` by."""
    explicit = (symbol_map or {}).get(provider, {})
    if symbol in explicit:
        return explicit[symbol]
    separator = SHARE_CLASS_SEPARATOR.get(provider)
    match = _SHARE_CLASS.match(symbol)
    if separator and match:
        return f"{match['root']}{separator}{match['cls']}"
    return symbol
