"""Ticker spelling per provider: the one place that knows BRK.B vs BRK-B vs BRK/B vs brk-b.us.

The archive and the config use the *canonical* form: upper case, share class after a dot
(``BRK.B``, ``BF.A``). Providers spell share classes differently; each provider's
``ProviderSpec.symbol_style`` names its spelling:

==========  ==============================================  ============
style       providers                                       ``BRK.B`` →
==========  ==============================================  ============
``dot``     alpaca, polygon, finnhub, nasdaqdatalink        ``BRK.B``
``dash``    tiingo, yahoo, alphavantage                     ``BRK-B``
``stooq``   stooq (market suffix, lower case)               ``brk-b.us``
==========  ==============================================  ============

A share class is a one- or two-letter suffix after ``.``, ``-``, ``/`` or a space, so currency
and crypto pairs (``BTC-USD``, ``EUR/USD``) are left alone. Anything the rules get wrong can be
pinned in a provider's ``symbols`` override table (canonical → provider spelling).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final, Literal

SymbolStyle = Literal["dot", "dash", "stooq"]

STOOQ_DEFAULT_MARKET: Final = "us"
_CLASS: Final = re.compile(r"^(?P<root>[A-Z0-9&]+)[.\-/ ](?P<cls>[A-Z]{1,2})$")


def canonical(symbol: str) -> str:
    """The archive's spelling of any user or provider input: ``brk-b`` / ``BRK/B`` → ``BRK.B``."""
    text = symbol.strip().upper()
    match = _CLASS.match(text)
    return f"{match['root']}.{match['cls']}" if match else text


def to_provider(
    symbol: str,
    style: SymbolStyle,
    overrides: Mapping[str, str] | None = None,
    market: str = STOOQ_DEFAULT_MARKET,
) -> str:
    """Canonical ``symbol`` spelled in ``style`` (``market`` is Stooq's suffix)."""
    symbol = canonical(symbol)
    if overrides and symbol in overrides:
        return overrides[symbol]
    if style == "dot":
        return symbol
    dashed = _dash(symbol)
    if style == "dash":
        return dashed
    return f"{dashed.lower()}.{market.lower()}"


def from_provider(
    symbol: str, style: SymbolStyle, overrides: Mapping[str, str] | None = None
) -> str:
    """The canonical spelling of a symbol a provider wrote in ``style``."""
    if overrides:
        for canon, spelled in overrides.items():
            if spelled == symbol:
                return canon
    if style == "stooq" and "." in symbol:
        symbol = symbol.rsplit(".", 1)[0]
    return canonical(symbol)


def _dash(symbol: str) -> str:
    match = _CLASS.match(symbol)
    return f"{match['root']}-{match['cls']}" if match else symbol
