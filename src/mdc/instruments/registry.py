"""The instrument registry: every provider's listings in ``<archive>/_mdc/instruments``, dated.

SQLite (one file, ``registry.sqlite``), because searches want an index and refreshes want
transactions. Rows are versioned: a listing is valid from the day a refresh first saw it
(``valid_from``) until the day a refresh saw it changed or gone (``valid_to``), so
``as_of=2025-06-30`` still answers what a symbol meant then. Each current row carries the key
of the merged :class:`~mdc.instruments.record.Instrument` it belongs to; the merge is redone
after every refresh, and past rows keep the key they had.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Final

import msgspec

from mdc.instruments.record import Instrument, combine, group
from mdc.providers.base import SymbolInfo
from mdc.providers.search import rank
from mdc.providers.symbols import canonical, from_provider
from mdc.storage.layout import CONTROL_DIR

DIR: Final = "instruments"
FILE: Final = "registry.sqlite"
PRIORITY: Final = (
    "openfigi",
    "polygon",
    "finnhub",
    "alpaca",
    "ib",
    "coinbase",
    "binance",
    "kraken",
    "ccxt",
)
"""Whose fields win when listings merge (others follow, by name)."""
COLUMNS: Final = tuple(f.name for f in msgspec.structs.fields(SymbolInfo))
CANDIDATES: Final = 400
"""Rows a text search ranks before merging (enough for any prefix the user types)."""
SCHEMA: Final = f"""
CREATE TABLE IF NOT EXISTS listings (
  {
    ", ".join(
        c + (" COLLATE NOCASE" if c in ("symbol", "provider_symbol") else "") for c in COLUMNS
    )
},
  instrument TEXT NOT NULL DEFAULT '',
  valid_from TEXT NOT NULL,
  valid_to TEXT,
  PRIMARY KEY (provider, provider_symbol, valid_from)
);
CREATE INDEX IF NOT EXISTS listings_symbol ON listings (symbol);
CREATE INDEX IF NOT EXISTS listings_instrument ON listings (instrument);
CREATE TABLE IF NOT EXISTS refreshes (
  provider TEXT NOT NULL, day TEXT NOT NULL, at_ns INTEGER NOT NULL,
  listed INTEGER NOT NULL, added INTEGER NOT NULL, changed INTEGER NOT NULL,
  removed INTEGER NOT NULL
);
"""


class RegistryError(ValueError):
    """A refresh the registry refuses (it would lose what it holds)."""


@dataclass(frozen=True)
class Refreshed:
    provider: str
    day: str
    listed: int
    added: int
    changed: int
    removed: int


def registry_path(root: Path) -> Path:
    return root / CONTROL_DIR / DIR / FILE


def priority(provider: str) -> tuple[int, str]:
    return (PRIORITY.index(provider) if provider in PRIORITY else len(PRIORITY), provider)


class Registry:
    """Open with ``Registry(root)``; every method is one short transaction."""

    def __init__(self, root: Path) -> None:
        self.path = registry_path(root)

    @property
    def exists(self) -> bool:
        return self.path.is_file()

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, timeout=30)
        try:
            db.execute("PRAGMA journal_mode=WAL")  # searches go on while a refresh writes
            db.executescript(SCHEMA)
            with db:
                yield db
        finally:
            db.close()

    def store(
        self, provider: str, infos: Sequence[SymbolInfo], day: date, *, complete: bool = True
    ) -> Refreshed:
        """Record ``provider``'s listing as seen on ``day``: new rows open, changed rows close
        and reopen, and, when the listing is ``complete`` (a full list, not search results),
        rows no longer listed close. An empty full listing is refused."""
        if not infos and complete:
            raise RegistryError(f"{provider} listed no instruments; the registry keeps what it has")
        today = day.isoformat()
        incoming = {i.provider_symbol or i.symbol: i for i in infos}
        added = changed = removed = 0
        with self._db() as db:
            current = {
                row[COLUMNS.index("provider_symbol")]: (row, row[-1])
                for row in db.execute(
                    f"SELECT {', '.join(COLUMNS)}, valid_from FROM listings "
                    "WHERE provider = ? AND valid_to IS NULL",
                    (provider,),
                )
            }
            for spelled, (row, since) in current.items():
                new = incoming.get(spelled)
                if new is not None and _row(new, provider, spelled) == tuple(row[:-1]):
                    continue
                if new is None and not complete:
                    continue
                if new is None:
                    removed += 1
                else:
                    changed += 1
                self._close(db, provider, spelled, since, today)
            for spelled, info in incoming.items():
                old = current.get(spelled)
                if old is not None and _row(info, provider, spelled) == tuple(old[0][:-1]):
                    continue
                if old is None:
                    added += 1
                db.execute(
                    f"INSERT OR REPLACE INTO listings ({', '.join(COLUMNS)}, valid_from) "
                    f"VALUES ({', '.join('?' * (len(COLUMNS) + 1))})",
                    (*_row(info, provider, spelled), today),
                )
            db.execute(
                "INSERT INTO refreshes VALUES (?, ?, ?, ?, ?, ?, ?)",
                (provider, today, time.time_ns(), len(incoming), added, changed, removed),
            )
            self._relink(db)
        return Refreshed(provider, today, len(incoming), added, changed, removed)

    @staticmethod
    def _close(db: sqlite3.Connection, provider: str, spelled: str, since: str, day: str) -> None:
        key = (provider, spelled, since)
        if since == day:  # replaced on the day it appeared: no past to keep
            db.execute(
                "DELETE FROM listings WHERE provider = ? AND provider_symbol = ? "
                "AND valid_from = ?",
                key,
            )
        else:
            db.execute(
                "UPDATE listings SET valid_to = ? WHERE provider = ? AND provider_symbol = ? "
                "AND valid_from = ?",
                (day, *key),
            )

    def _relink(self, db: sqlite3.Connection) -> None:
        """Merge every current listing again and store each row's instrument key."""
        rows = db.execute(
            f"SELECT rowid, {', '.join(COLUMNS)} FROM listings WHERE valid_to IS NULL"
        ).fetchall()
        rows.sort(key=lambda r: priority(r[1 + COLUMNS.index("provider")]))
        infos = [_info(r[1:]) for r in rows]
        updates = []
        for members in group(infos):
            key = combine([infos[i] for i in members]).key
            updates += [(key, rows[i][0]) for i in members]
        db.executemany("UPDATE listings SET instrument = ? WHERE rowid = ?", updates)

    def search(
        self,
        text: str,
        *,
        provider: str | None = None,
        asset_class: str | None = None,
        limit: int = 20,
        as_of: date | None = None,
    ) -> list[Instrument]:
        """Instruments whose symbol, any provider's spelling or name matches ``text``, best
        first (exact symbol, prefix, name)."""
        q = text.strip()
        if not q or not self.exists:
            return []
        where, args = _valid(as_of)
        filters = ""
        if provider:
            filters += " AND provider = ?"
            args.append(provider)
        if asset_class:
            filters += " AND asset_class = ?"
            args.append(asset_class)
        escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        like = f"%{escaped}%"
        with self._db() as db:
            rows = db.execute(
                f"SELECT {', '.join(COLUMNS)}, instrument FROM listings WHERE {where}{filters} "
                "AND (symbol LIKE ? ESCAPE '\\' OR provider_symbol LIKE ? ESCAPE '\\' "
                "OR name LIKE ? ESCAPE '\\') "
                "ORDER BY (symbol = ?) DESC, (symbol LIKE ? ESCAPE '\\') DESC, length(symbol) "
                "LIMIT ?",
                (*args, like, like, like, q, f"{escaped}%", CANDIDATES),
            ).fetchall()
            keyed = {_info(r[:-1]): r[-1] for r in rows}
            order: list[str] = []
            for info in rank(q, keyed, len(keyed)):
                if keyed[info] not in order:
                    order.append(keyed[info])
            return [self._instrument(db, key, as_of) for key in order[:limit]]

    def get(self, symbol: str, as_of: date | None = None) -> Instrument | None:
        """The instrument a symbol (archive spelling or any provider's) names on ``as_of``."""
        if not self.exists:
            return None
        where, args = _valid(as_of)
        with self._db() as db:
            text = symbol.strip()
            # a lower-case ``root.market`` is Stooq's spelling (``brk-b.us``)
            spelled = from_provider(text, "stooq") if text.islower() and "." in text else text
            row = db.execute(
                f"SELECT instrument, provider FROM listings WHERE {where} "
                "AND (symbol = ? OR symbol = ? OR provider_symbol = ?)",
                (*args, canonical(text), spelled, text),
            ).fetchall()
            if not row:
                return None
            row.sort(key=lambda r: priority(r[1]))
            return self._instrument(db, row[0][0], as_of)

    def history(self, key: str) -> list[dict[str, Any]]:
        """Every version of every listing of instrument ``key`` (current and past)."""
        with self._db() as db:
            rows = db.execute(
                "SELECT DISTINCT provider, provider_symbol FROM listings WHERE instrument = ?",
                (key,),
            ).fetchall()
            out = []
            for provider, spelled in rows:
                out += [
                    {
                        "provider": provider,
                        "provider_symbol": spelled,
                        "symbol": r[0],
                        "name": r[1],
                        "valid_from": r[2],
                        "valid_to": r[3],
                    }
                    for r in db.execute(
                        "SELECT symbol, name, valid_from, valid_to FROM listings "
                        "WHERE provider = ? AND provider_symbol = ? ORDER BY valid_from",
                        (provider, spelled),
                    )
                ]
        return sorted(out, key=lambda r: (priority(r["provider"]), r["valid_from"]))

    def summary(self) -> list[dict[str, Any]]:
        """Per provider: listings held now and the last refresh."""
        if not self.exists:
            return []
        with self._db() as db:
            counts = dict(
                db.execute(
                    "SELECT provider, count(*) FROM listings WHERE valid_to IS NULL "
                    "GROUP BY provider"
                ).fetchall()
            )
            last = {
                r[0]: r
                for r in db.execute(
                    "SELECT provider, day, at_ns, listed, added, changed, removed FROM refreshes "
                    "ORDER BY at_ns"
                )
            }
        return [
            {
                "provider": p,
                "listings": counts.get(p, 0),
                "refreshed": last[p][1] if p in last else None,
                "refreshed_ns": last[p][2] if p in last else None,
                "added": last[p][4] if p in last else 0,
                "changed": last[p][5] if p in last else 0,
                "removed": last[p][6] if p in last else 0,
            }
            for p in sorted(set(counts) | set(last), key=priority)
        ]

    def _instrument(self, db: sqlite3.Connection, key: str, as_of: date | None) -> Instrument:
        where, args = _valid(as_of)
        rows = db.execute(
            f"SELECT {', '.join(COLUMNS)} FROM listings WHERE {where} AND instrument = ?",
            (*args, key),
        ).fetchall()
        infos = sorted((_info(r) for r in rows), key=lambda i: priority(i.provider))
        merged = combine(infos)
        merged.key = key
        return merged


def _valid(as_of: date | None) -> tuple[str, list[Any]]:
    if as_of is None:
        return "valid_to IS NULL", []
    day = as_of.isoformat()
    return "valid_from <= ? AND (valid_to IS NULL OR valid_to > ?)", [day, day]


def _row(info: SymbolInfo, provider: str, spelled: str) -> tuple[Any, ...]:
    values = msgspec.structs.asdict(info)
    values["provider"] = provider
    values["provider_symbol"] = spelled
    values["active"] = int(values["active"])
    return tuple(values[c] for c in COLUMNS)


def _info(row: Iterable[Any]) -> SymbolInfo:
    values = dict(zip(COLUMNS, row, strict=True))
    values["active"] = bool(values["active"])
    return SymbolInfo(**values)
