"""One ``Instrument`` from many providers' listings, merged by FIGI and symbol.

Listings are grouped when they share a FIGI (``figi`` or ``composite_figi``: one identifier
space, so an exchange-level FIGI and its composite join). A listing without a FIGI (Alpaca,
crypto venues) joins the group with the same asset class and archive symbol when exactly one
exists, so ``AAPL`` from Alpaca lands on Polygon's and OpenFIGI's ``AAPL``; crypto pairs join
across venues (``BTC-USD`` on Coinbase and Kraken). The share-class FIGI is kept but never
merged on: it spans countries (Apple in New York and in Frankfurt share one).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Final

import msgspec

from mdc.providers.base import SymbolInfo

FIELDS: Final = (
    "name",
    "asset_class",
    "mic",
    "currency",
    "figi",
    "composite_figi",
    "share_class_figi",
    "isin",
    "cusip",
)
"""Taken from the first listing (in provider priority order) that has them."""
ASSET_FAMILY: Final = {"etf": "equity", "fund": "equity"}
"""Providers disagree on ETF vs stock; symbols are matched within the family."""


class Instrument(msgspec.Struct, kw_only=True):
    """The merged record: identity, reference data and every provider's spelling."""

    key: str
    """``figi:<composite or figi>`` or ``<asset class>:<symbol>`` when no FIGI is known."""
    symbol: str
    name: str = ""
    asset_class: str = ""
    mic: str = ""
    currency: str = ""
    figi: str = ""
    composite_figi: str = ""
    share_class_figi: str = ""
    isin: str = ""
    cusip: str = ""
    tick_size: float | None = None
    lot_size: float | None = None
    active: bool = True
    spellings: dict[str, str] = {}
    """Provider → its own spelling (``{"polygon": "BRK.B", "stooq": "brk-b.us"}``)."""
    venues: dict[str, str] = {}
    """Provider → its exchange label."""


def family(info: SymbolInfo) -> str:
    return ASSET_FAMILY.get(info.asset_class, info.asset_class)


def figis(info: SymbolInfo) -> list[str]:
    return [f for f in (info.composite_figi, info.figi) if f]


class _Groups:
    """Union-find over listing indexes."""

    def __init__(self, size: int) -> None:
        self.parent = list(range(size))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def group(listings: Sequence[SymbolInfo]) -> list[list[int]]:
    """Indexes of ``listings`` per instrument, in first-seen order."""
    groups = _Groups(len(listings))
    by_figi: dict[str, int] = {}
    for i, info in enumerate(listings):
        for f in figis(info):
            if f in by_figi:
                groups.union(by_figi[f], i)
            else:
                by_figi[f] = i
    # Symbol joins: a FIGI-less listing attaches to the one FIGI group with its symbol.
    by_symbol: dict[tuple[str, str], set[int]] = {}
    for i, info in enumerate(listings):
        if figis(info):
            by_symbol.setdefault((family(info), info.symbol), set()).add(groups.find(i))
    plain: dict[tuple[str, str], int] = {}
    for i, info in enumerate(listings):
        if figis(info):
            continue
        key = (family(info), info.symbol)
        roots = by_symbol.get(key, set())
        if len(roots) == 1:
            groups.union(next(iter(roots)), i)
        elif not roots:
            if key in plain:
                groups.union(plain[key], i)
            else:
                plain[key] = i
    out: dict[int, list[int]] = {}
    for i in range(len(listings)):
        out.setdefault(groups.find(i), []).append(i)
    return list(out.values())


def merge(listings: Sequence[SymbolInfo]) -> list[Instrument]:
    """One :class:`Instrument` per group of ``listings`` (given in provider priority order)."""
    return [combine([listings[i] for i in members]) for members in group(listings)]


def combine(members: Iterable[SymbolInfo]) -> Instrument:
    """Merge the listings of one instrument: first non-empty field wins."""
    items = list(members)
    first = items[0]
    values: dict[str, str] = {f: "" for f in FIELDS}
    for info in items:
        for f in FIELDS:
            if not values[f]:
                values[f] = getattr(info, f)
    tick = next((i.tick_size for i in items if i.tick_size), None)
    lot = next((i.lot_size for i in items if i.lot_size), None)
    ident = values["composite_figi"] or values["figi"]
    key = f"figi:{ident}" if ident else f"{family(first)}:{first.symbol}"
    return Instrument(
        key=key,
        symbol=first.symbol,
        tick_size=tick,
        lot_size=lot,
        active=any(i.active for i in items),
        spellings={i.provider: i.provider_symbol or i.symbol for i in items},
        venues={i.provider: i.venue for i in items if i.venue},
        **values,
    )
