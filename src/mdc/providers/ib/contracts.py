"""Symbol keys → IB contracts: ``AAPL`` is a SMART-routed US stock; other security types are
spelled ``SYMBOL:SECTYPE:EXCHANGE:CURRENCY[:EXPIRY]``.

Examples: ``AAPL:STK:SMART:USD``, ``ES:FUT:CME:USD:202403`` (a futures month),
``EUR:CASH:IDEALPRO:USD`` (forex), ``SPX:IND:CBOE:USD``, ``BTC:CRYPTO:PAXOS:USD``. A share class
written the archive's way (``BRK.B``) is sent the way IB spells it (``BRK B``). The key itself is
what events carry as ``symbol``, so two contracts never share a stream.

Field meanings from https://interactivebrokers.github.io/tws-api/basic_contracts.html (read
2026-12-02) and ib_async's ``contract.py`` (``Contract`` fields, ``secType`` values).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from mdc.providers.base import ProviderError

SEC_TYPES: Final = frozenset(
    {"STK", "FUT", "CONTFUT", "CASH", "IND", "CFD", "CRYPTO", "CMDTY", "BOND", "FUND", "WAR"}
)
"""Security types a key may name; options (OPT, FOP) need strike and right, which keys lack."""
ASSET_CLASSES: Final[dict[str, str]] = {
    "STK": "equity",
    "FUND": "equity",
    "WAR": "equity",
    "FUT": "future",
    "CONTFUT": "future",
    "CASH": "fx",
    "CRYPTO": "crypto",
    "IND": "index",
    "CFD": "cfd",
    "CMDTY": "commodity",
    "BOND": "bond",
}
_SHARE_CLASS: Final = re.compile(r"^(?P<root>[A-Z0-9&]+)\.(?P<cls>[A-Z]{1,2})$")


@dataclass(frozen=True)
class ContractKey:
    """What a symbol key names: enough to ask IB for the contract's details."""

    symbol: str
    sec_type: str
    exchange: str
    currency: str
    expiry: str = ""


def parse_key(key: str, exchange: str = "SMART", currency: str = "USD") -> ContractKey:
    """Read a symbol key; a bad one is a :class:`ProviderError` that shows the format."""
    parts = [p.strip().upper() for p in key.split(":")]
    if len(parts) > 5 or not parts[0]:
        raise ProviderError(
            f"ib: bad symbol {key!r}: expected SYMBOL or SYMBOL:SECTYPE:EXCHANGE:CURRENCY[:EXPIRY] "
            "(AAPL, ES:FUT:CME:USD:202403, EUR:CASH:IDEALPRO:USD)"
        )
    parts += [""] * (5 - len(parts))
    symbol, sec_type, exch, cur, expiry = parts
    sec_type = sec_type or "STK"
    if sec_type not in SEC_TYPES:
        raise ProviderError(
            f"ib: bad symbol {key!r}: security type {sec_type!r} is not one of "
            f"{', '.join(sorted(SEC_TYPES))}"
        )
    if sec_type == "FUT" and not expiry:
        raise ProviderError(
            f"ib: {key!r} is a future without a contract month: add it, e.g. ES:FUT:CME:USD:202403 "
            "(or use CONTFUT for the continuous contract, history only)"
        )
    if sec_type == "CASH" and not exch:
        exch = "IDEALPRO"
    match = _SHARE_CLASS.match(symbol)
    if match and sec_type == "STK":
        symbol = f"{match['root']} {match['cls']}"
    return ContractKey(symbol, sec_type, exch or exchange, cur or currency, expiry)


def contract_for(key: ContractKey) -> object:
    """The unqualified ib_async ``Contract`` (ib_async is imported by the caller's module)."""
    from ib_async import Contract

    return Contract(
        symbol=key.symbol,
        secType=key.sec_type,
        exchange=key.exchange,
        currency=key.currency,
        lastTradeDateOrContractMonth=key.expiry,
    )
