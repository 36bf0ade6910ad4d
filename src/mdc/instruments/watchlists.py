"""Watchlists: named symbol lists in CSV or JSON, kept in ``<archive>/_mdc/instruments/
watchlists`` (imported or saved from the dashboard) or in the config's ``[watchlists]``.

CSV columns are ``symbol,provider,trades,quotes,depth,depth_levels`` (only ``symbol`` is
required on import; the others default as in ``symbols``). A file this module writes reads back
to the same entries and writes again to the same bytes. A bad row is a :class:`WatchlistError`
naming the row, the column and what is allowed.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final, Literal

import msgspec

from mdc.config.schema import Config, SymbolConfig
from mdc.instruments.registry import DIR
from mdc.storage.layout import CONTROL_DIR

Format = Literal["csv", "json"]
COLUMNS: Final = ("symbol", "provider", "trades", "quotes", "depth", "depth_levels")
NAME_PATTERN: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
SYMBOL_PATTERN: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/^=-]{0,63}$")
"""The same symbols the HTTP API accepts."""
TRUE: Final = frozenset({"true", "1", "yes", "y"})
FALSE: Final = frozenset({"false", "0", "no", "n"})
MAX_LEVELS: Final = 50


class WatchlistError(ValueError):
    """A watchlist that cannot be read or saved; the message names the row and column."""


class Entry(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    symbol: str
    provider: str = ""
    """Which provider the symbol is meant for; empty means the collector's routing."""
    trades: bool = True
    quotes: bool = True
    depth: bool = True
    depth_levels: int = 10

    def symbol_config(self) -> SymbolConfig:
        return SymbolConfig(
            symbol=self.symbol,
            trades=self.trades,
            quotes=self.quotes,
            depth=self.depth,
            depth_levels=self.depth_levels,
        )


def from_symbols(symbols: Sequence[str | SymbolConfig]) -> list[Entry]:
    """Entries for a config list (``symbols``, ``[watchlists]``)."""
    out = []
    for s in symbols:
        c = SymbolConfig(symbol=s) if isinstance(s, str) else s
        out.append(
            Entry(
                symbol=c.symbol,
                trades=c.trades,
                quotes=c.quotes,
                depth=c.depth,
                depth_levels=c.depth_levels,
            )
        )
    return out


def dumps(entries: Sequence[Entry], fmt: Format) -> bytes:
    """The file for ``entries``: CSV with a header, or an indented JSON array."""
    if fmt == "json":
        return msgspec.json.format(msgspec.json.encode(list(entries)), indent=2) + b"\n"
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for e in entries:
        writer.writerow(
            [e.symbol, e.provider, _flag(e.trades), _flag(e.quotes), _flag(e.depth), e.depth_levels]
        )
    return buffer.getvalue().encode()


def loads(data: bytes, fmt: Format, known_providers: Sequence[str] = ()) -> list[Entry]:
    """Entries from a CSV or JSON file; the first bad row raises :class:`WatchlistError`."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise WatchlistError(f"not UTF-8 text (byte {exc.start})") from None
    rows = _json_rows(text) if fmt == "json" else _csv_rows(text)
    entries = [_entry(i, row, known_providers) for i, row in enumerate(rows, start=1)]
    seen: dict[str, int] = {}
    for i, e in enumerate(entries, start=1):
        if e.symbol in seen:
            raise WatchlistError(
                f"row {i}, column symbol: {e.symbol!r} repeats row {seen[e.symbol]}"
            )
        seen[e.symbol] = i
    return entries


def format_of(path: Path, given: str | None = None) -> Format:
    """``csv`` or ``json``, from ``given`` or the file's suffix."""
    name = (given or path.suffix.lstrip(".") or "csv").lower()
    if name not in ("csv", "json"):
        raise WatchlistError(f"unknown watchlist format {name!r}: use csv or json")
    return "json" if name == "json" else "csv"


def _csv_rows(text: str) -> list[dict[str, str]]:
    reader = csv.reader(io.StringIO(text))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise WatchlistError(
            f"empty file: the first line must name the columns ({','.join(COLUMNS)})"
        ) from None
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        raise WatchlistError(
            f"header: unknown column {unknown[0]!r}; columns are {', '.join(COLUMNS)}"
        )
    if "symbol" not in header:
        raise WatchlistError("header: the symbol column is missing")
    rows = []
    for i, cells in enumerate(reader, start=1):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            raise WatchlistError(f"row {i}: {len(cells)} cells for {len(header)} columns")
        rows.append(dict(zip(header, cells, strict=True)))
    return rows


def _json_rows(text: str) -> list[dict[str, Any]]:
    try:
        body = msgspec.json.decode(text)
    except msgspec.DecodeError as exc:
        raise WatchlistError(f"not JSON: {exc}") from None
    if isinstance(body, dict) and isinstance(body.get("symbols"), list):
        body = body["symbols"]
    if not isinstance(body, list):
        raise WatchlistError('expected a JSON array of {"symbol": ...} objects')
    rows = []
    for i, item in enumerate(body, start=1):
        if isinstance(item, str):
            item = {"symbol": item}
        if not isinstance(item, dict):
            raise WatchlistError(f"row {i}: expected an object or a symbol string")
        unknown = [k for k in item if k not in COLUMNS]
        if unknown:
            raise WatchlistError(
                f"row {i}, column {unknown[0]}: unknown column; columns are {', '.join(COLUMNS)}"
            )
        rows.append(item)
    return rows


def _entry(i: int, row: dict[str, Any], known: Sequence[str]) -> Entry:
    def bad(column: str, why: str) -> WatchlistError:
        return WatchlistError(f"row {i}, column {column}: {why}")

    symbol = str(row.get("symbol", "")).strip()
    if not SYMBOL_PATTERN.match(symbol):
        raise bad("symbol", f"{symbol!r} is not a symbol (letters, digits, . _ : / ^ = -)")
    provider = str(row.get("provider") or "").strip()
    if provider and known and provider not in known:
        raise bad("provider", f"unknown provider {provider!r}; known: {', '.join(known)}")
    flags = {}
    for column in ("trades", "quotes", "depth"):
        flags[column] = _bool(row.get(column, True), lambda why, c=column: bad(c, why))
    raw = row.get("depth_levels", 10)
    try:
        levels = int(str(raw).strip()) if not isinstance(raw, bool) else -1
    except ValueError:
        raise bad("depth_levels", f"must be a whole number 1..{MAX_LEVELS}, got {raw!r}") from None
    if not 1 <= levels <= MAX_LEVELS:
        raise bad("depth_levels", f"must be 1..{MAX_LEVELS}, got {raw!r}")
    return Entry(symbol=symbol.upper(), provider=provider, depth_levels=levels, **flags)


def _bool(value: Any, bad: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in TRUE or text == "":
        return True
    if text in FALSE:
        return False
    raise bad(f"must be true or false, got {value!r}")


def _flag(value: bool) -> str:
    return "true" if value else "false"


class Watchlists:
    """Saved watchlists of an archive (CSV files), plus the config's read-only ones."""

    def __init__(self, root: Path, config: Config | None = None) -> None:
        self.dir = root / CONTROL_DIR / DIR / "watchlists"
        self.config = config

    def names(self) -> dict[str, str]:
        """Name → where it comes from (``config`` or ``archive``)."""
        out = {name: "config" for name in (self.config.watchlists if self.config else {})}
        if self.dir.is_dir():
            for path in sorted(self.dir.glob("*.csv")):
                out.setdefault(path.stem, "archive")
        return dict(sorted(out.items()))

    def get(self, name: str) -> list[Entry]:
        if self.config and name in self.config.watchlists:
            return from_symbols(self.config.watchlists[name])
        path = self._path(name)
        if not path.is_file():
            known = ", ".join(self.names()) or "none yet"
            raise KeyError(f"no watchlist {name!r} (known: {known})")
        return loads(path.read_bytes(), "csv")

    def save(self, name: str, entries: Sequence[Entry]) -> Path:
        if self.config and name in self.config.watchlists:
            raise WatchlistError(f"watchlist {name!r} is defined in the config file; edit it there")
        path = self._path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(dumps(entries, "csv"))
        tmp.replace(path)
        return path

    def delete(self, name: str) -> bool:
        path = self._path(name)
        if self.config and name in self.config.watchlists:
            raise WatchlistError(f"watchlist {name!r} is defined in the config file; edit it there")
        if not path.is_file():
            return False
        path.unlink()
        return True

    def _path(self, name: str) -> Path:
        if not NAME_PATTERN.match(name):
            raise WatchlistError(
                f"watchlist name {name!r}: use letters, digits, '.', '_' or '-' (max 64)"
            )
        return self.dir / f"{name}.csv"
