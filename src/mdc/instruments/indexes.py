"""Index constituent lists: S&P 500, Nasdaq-100, Dow 30.

Shipped copy (``data/*.csv``, columns ``symbol,name,added``): the ``latest`` tables of the PyPI
package index-constitution 1.0.1 (MIT licence, ``data/LICENSE.index-constitution``), compiled
from the Wikipedia pages below; its last recorded change is 2026-10-09, so the copy is as of
that date. ``refresh`` reads the same public Wikipedia page again (the first table with a
Symbol/Ticker column; ``id="constituents"`` preferred) and keeps the result, dated, in
``<archive>/_mdc/instruments/indexes``; a refreshed copy wins over the shipped one.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from typing import Final

import httpx
import msgspec

from mdc.instruments.registry import DIR
from mdc.providers.symbols import canonical
from mdc.storage.layout import CONTROL_DIR

DATA: Final = Path(__file__).parent / "data"
SHIPPED_AS_OF: Final = "2026-10-09"
SHIPPED_SOURCE: Final = (
    "index-constitution 1.0.1 (PyPI, MIT), compiled from Wikipedia; as of 2026-10-09"
)
TIMEOUT_S: Final = 30.0
SYMBOL_HEADERS: Final = ("symbol", "ticker", "ticker symbol")
NAME_HEADERS: Final = ("security", "company", "name")
ADDED_HEADERS: Final = ("date added", "added", "date first added")


@dataclass(frozen=True)
class IndexSpec:
    name: str
    title: str
    url: str
    size: int
    """Expected number of members, roughly (a refresh far from it is refused)."""


WIKIPEDIA: Final = "https://en.wikipedia.org/wiki/"
INDEXES: Final = {
    "sp500": IndexSpec("sp500", "S&P 500", WIKIPEDIA + "List_of_S%26P_500_companies", 500),
    "nasdaq100": IndexSpec("nasdaq100", "Nasdaq-100", WIKIPEDIA + "Nasdaq-100", 100),
    "dow30": IndexSpec(
        "dow30", "Dow Jones Industrial Average", WIKIPEDIA + "Dow_Jones_Industrial_Average", 30
    ),
}


class IndexListError(LookupError):
    """Unknown index or a refresh that did not yield a plausible list."""


class Member(msgspec.Struct, frozen=True):
    symbol: str
    name: str = ""
    added: str = ""


class IndexList(msgspec.Struct):
    name: str
    title: str
    source: str
    as_of: str
    members: list[Member]


def spec_of(name: str) -> IndexSpec:
    try:
        return INDEXES[name.lower()]
    except KeyError:
        raise IndexListError(f"unknown index {name!r}; known: {', '.join(INDEXES)}") from None


class Indexes:
    """Index lists of one archive: the refreshed copy when there is one, else the shipped."""

    def __init__(self, root: Path) -> None:
        self.dir = root / CONTROL_DIR / DIR / "indexes"

    def get(self, name: str) -> IndexList:
        spec = spec_of(name)
        meta = self.dir / f"{spec.name}.json"
        if meta.is_file():
            saved = msgspec.json.decode(meta.read_bytes(), type=IndexList)
            return saved
        members = _read_csv((DATA / f"{spec.name}.csv").read_text())
        return IndexList(spec.name, spec.title, SHIPPED_SOURCE, SHIPPED_AS_OF, members)

    async def refresh(self, name: str, day: date, url: str | None = None) -> IndexList:
        """Fetch the public page again and keep its list, dated ``day``."""
        spec = spec_of(name)
        source = url or spec.url
        async with httpx.AsyncClient(timeout=TIMEOUT_S, follow_redirects=True) as client:
            try:
                response = await client.get(
                    source, headers={"User-Agent": "mdc (market data collector)"}
                )
                response.raise_for_status()
            except httpx.HTTPError as exc:
                raise IndexListError(f"{spec.title}: cannot read {source}: {exc}") from None
        members = parse_page(response.text)
        if not spec.size * 0.8 <= len(members) <= spec.size * 1.2:
            raise IndexListError(
                f"{spec.title}: {source} gave {len(members)} members, expected about "
                f"{spec.size}; the page's layout may have changed, the old list is kept"
            )
        index = IndexList(
            spec.name, spec.title, f"{source} (fetched {day})", day.isoformat(), members
        )
        self.dir.mkdir(parents=True, exist_ok=True)
        tmp = self.dir / f"{spec.name}.json.tmp"
        tmp.write_bytes(msgspec.json.encode(index))
        tmp.replace(self.dir / f"{spec.name}.json")
        return index


def _read_csv(text: str) -> list[Member]:
    return [Member(r["symbol"], r["name"], r["added"]) for r in csv.DictReader(io.StringIO(text))]


class _Tables(HTMLParser):
    """Every ``<table>``'s rows as cell texts, with the table's ``id``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[tuple[str, list[list[str]]]] = []
        self._stack: list[tuple[str, list[list[str]]]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._stack.append((dict(attrs).get("id") or "", []))
        elif tag == "tr" and self._stack:
            self._stack[-1][1].append([])
        elif tag in ("td", "th") and self._stack and self._stack[-1][1]:
            self._cell = []
        elif tag == "br" and self._cell is not None:
            self._cell.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._stack:
            self._stack[-1][1][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "table" and self._stack:
            self.tables.append(self._stack.pop())

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def parse_page(html: str) -> list[Member]:
    """Members from the constituents table of a Wikipedia index page."""
    parser = _Tables()
    parser.feed(html)
    tables = sorted(parser.tables, key=lambda t: t[0] != "constituents")
    for _, rows in tables:
        if not rows:
            continue
        header = [c.lower() for c in rows[0]]
        col = _column(header, SYMBOL_HEADERS)
        if col is None:
            continue
        name_col = _column(header, NAME_HEADERS)
        added_col = _column(header, ADDED_HEADERS)
        members = []
        for cells in rows[1:]:
            if len(cells) <= col or not cells[col]:
                continue
            members.append(
                Member(
                    canonical(cells[col].split()[0]),
                    cells[name_col] if name_col is not None and name_col < len(cells) else "",
                    cells[added_col][:10]
                    if added_col is not None and added_col < len(cells)
                    else "",
                )
            )
        if members:
            return sorted(set(members), key=lambda m: m.symbol)
    return []


def _cell(cells: list[str], col: int | None) -> str:
    return cells[col] if col is not None and col < len(cells) else ""


def _column(header: list[str], names: tuple[str, ...]) -> int | None:
    for name in names:
        if name in header:
            return header.index(name)
    return None
