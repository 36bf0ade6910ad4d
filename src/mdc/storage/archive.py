"""The archive read API: what is there, and the data as pandas, polars or Arrow, or SQL.

One convention for every reader (``read``, ``trades``, ``quotes``, ``bars``, ``book_deltas``,
``book_snapshots``, ``order_updates``, ``gaps``, ``sql``): the result is a pandas DataFrame
unless ``as_`` says ``"polars"`` or ``"arrow"``. Time bounds are the ones the CLI uses
(``mdc backfill --from D --to D``): a **date** (``"2024-03-01"``, ``datetime.date``) is a whole
UTC day and counts at both ends, so ``trades("AAPL", "2024-03-01", "2024-03-01")`` is that one
day; an **instant** (``"2024-03-01T14:30:00Z"``, ``datetime``, int nanoseconds) bounds
``start <= ts_event < end``.

``open_archive(root)`` finds files by the root's layout (``_mdc/layout.json``). Each partition
(type, symbol, partition label, provider) is read from one format, so ``format = "both"`` never
doubles rows: where only one holds it, that one; where both do, the copy with more rows (Parquet
on a tie, for speed). A Parquet copy is partial while its part is unfinished, and stays partial
after ``storage.format`` went from ``both`` to ``jsonl`` (the JSONL one, after a switch to
``parquet``); :meth:`Archive.mismatches` says which partitions that decided, and ``mdc query``
prints it. ``source="jsonl"`` / ``"parquet"`` force one format.

DuckDB views (``trades``, ``quotes``, ``bars``, ``quote_bars``, ``book_deltas``,
``book_snapshots``, ``order_updates``, ``gaps``, ``integrity``, ``statuses``,
``corporate_actions``) span both formats with one schema: timestamps are ``TIMESTAMPTZ_NS`` in
both.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

import msgspec
import pyarrow as pa
import pyarrow.compute as pc

from mdc.domain.events import TYPE_NAMES, TYPES_BY_NAME, Event
from mdc.domain.time import date_to_ns, datetime_to_ns
from mdc.storage.arrow import TIMESTAMP, empty_table, from_table, schema
from mdc.storage.layout import (
    ALL,
    PARQUET_DIR,
    Layout,
    LayoutSpec,
    label_range,
    read_spec,
)
from mdc.storage.parquet import INTENT_PREFIX, Intent, parse_part
from mdc.storage.reader import read_jsonl_table, read_parquet_table
from mdc.storage.rowcount import RowCounter

if TYPE_CHECKING:
    import duckdb

Source = Literal["auto", "jsonl", "parquet"]
Output = Literal["arrow", "pandas", "polars"]
TimeArg = int | str | date | datetime | None
_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")
COMPARE_BUDGET_BYTES: Final = 1 << 30
"""JSONL bytes one :class:`Archive` may count to compare copies; past it Parquet is read."""


@dataclass(frozen=True)
class ArchiveFile:
    path: Path
    rel: str
    format: Literal["jsonl", "parquet"]
    type_name: str
    symbol: str
    partition: str
    provider: str | None
    size: int


@dataclass
class Partition:
    """One (type, symbol, partition, provider) and the files that hold it in each format."""

    type_name: str
    symbol: str
    partition: str
    provider: str | None
    jsonl: list[ArchiveFile] = field(default_factory=list)
    parquet: list[ArchiveFile] = field(default_factory=list)

    @property
    def start_ns(self) -> int:
        return label_range(self.partition)[0]

    @property
    def end_ns(self) -> int:
        return label_range(self.partition)[1]

    @property
    def key(self) -> tuple[str, str, str, str | None]:
        return (self.type_name, self.symbol, self.partition, self.provider)

    def files(self, source: Source) -> list[ArchiveFile]:
        """The files of one format (``auto``: the only one; see :meth:`Archive.files_of`)."""
        if source == "jsonl":
            return self.jsonl
        if source == "parquet":
            return self.parquet
        return self.parquet or self.jsonl


@dataclass(frozen=True)
class Pick:
    """Which copy of a partition held in both formats is read, and the row counts why."""

    partition: Partition
    format: Literal["jsonl", "parquet"]
    jsonl_rows: int | None
    parquet_rows: int | None

    def describe(self) -> str:
        p = self.partition
        where = f"{p.type_name} {p.symbol} {p.partition}"
        if self.jsonl_rows is None or self.parquet_rows is None:
            return f"{where}: read {self.format}; the copies were not compared (row-count budget)"
        other = "parquet" if self.format == "jsonl" else "jsonl"
        rows = {"jsonl": self.jsonl_rows, "parquet": self.parquet_rows}
        return (
            f"{where}: read {self.format} ({rows[self.format]:,} rows), not the partial {other} "
            f"copy ({rows[other]:,} rows)"
        )


def to_ns(value: TimeArg, end: bool = False) -> int | None:
    """An int ns, ISO string, date or datetime (naive = UTC) as int ns.

    With ``end``, a date (or a date-only string) is the end of that day: the first nanosecond
    of the next one, so an exclusive bound there keeps the whole day.
    """
    if value is None or isinstance(value, int):
        return value
    if isinstance(value, str):
        if _DATE_ONLY.fullmatch(value):
            value = date.fromisoformat(value)
        else:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if isinstance(value, datetime):
        return datetime_to_ns(value)
    return date_to_ns(value + timedelta(days=1) if end else value)


def scan_files(root: Path, layout: Layout) -> tuple[list[ArchiveFile], list[Path]]:
    """Every archive data file the layout explains, and the files it does not."""
    found: list[ArchiveFile] = []
    unknown: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root).replace(os.sep, "/")
        top = rel_dir.split("/", 1)[0]
        if top.startswith("_"):
            dirnames.clear()
            continue
        dirnames.sort()
        superseded = _compacted_inputs(Path(dirpath), filenames) if top == PARQUET_DIR else set()
        for name in sorted(filenames):
            if name in superseded:
                continue
            path = Path(dirpath, name)
            rel = name if rel_dir == "." else f"{rel_dir}/{name}"
            if top == PARQUET_DIR:
                parsed = parse_part(name)
                info = layout.parse_parquet_dir(rel_dir)
                if parsed is not None and parsed[2]:
                    continue  # unfinished part: not data yet
                if parsed is None or info is None:
                    unknown.append(path)
                    continue
                fmt: Literal["jsonl", "parquet"] = "parquet"
            else:
                info = layout.parse_jsonl(rel)
                if info is None:
                    unknown.append(path)
                    continue
                fmt = "jsonl"
            found.append(
                ArchiveFile(
                    path,
                    rel,
                    fmt,
                    info.type_name,
                    info.symbol,
                    info.partition,
                    info.provider,
                    path.stat().st_size,
                )
            )
    return found, unknown


def _compacted_inputs(directory: Path, names: list[str]) -> set[str]:
    """Parts an interrupted compaction already merged (its output exists): not read twice."""
    out: set[str] = set()
    for name in names:
        if name.startswith(INTENT_PREFIX) and name.endswith(".json"):
            try:
                intent = msgspec.json.decode((directory / name).read_bytes(), type=Intent)
            except (OSError, msgspec.DecodeError):
                continue
            if intent.output in names:
                out.update(intent.inputs)
    return out


class Archive:
    """Read access to an archive root (safe while a collector writes it)."""

    def __init__(
        self, root: str | Path, source: Source = "auto", row_counter: RowCounter | None = None
    ) -> None:
        self.root = Path(root)
        if not self.root.is_dir():
            raise FileNotFoundError(f"archive root {self.root} does not exist")
        self.source: Source = source
        self.spec = read_spec(self.root) or LayoutSpec()
        self.layout = Layout(self.spec)
        self.row_counter = row_counter or RowCounter()
        """Rows per file (to compare a partition's two copies); share one to keep its cache."""
        self._budget = [COMPARE_BUDGET_BYTES]
        self._picks: dict[tuple[str, str, str, str | None], Pick] = {}
        self.refresh()

    def refresh(self) -> None:
        """Rescan the files (a running collector keeps adding them)."""
        self._files, self.unknown_files = scan_files(self.root, self.layout)
        self._picks.clear()
        parts: dict[tuple[str, str, str, str | None], Partition] = {}
        for f in self._files:
            key = (f.type_name, f.symbol, f.partition, f.provider)
            p = parts.get(key)
            if p is None:
                p = parts[key] = Partition(*key)
            (p.parquet if f.format == "parquet" else p.jsonl).append(f)
        self._partitions = sorted(
            parts.values(), key=lambda p: (p.type_name, p.symbol, p.start_ns, p.provider or "")
        )

    def files_of(self, p: Partition) -> list[ArchiveFile]:
        """The files to read for ``p``: the forced source's, or (``auto``) the fuller copy."""
        if self.source != "auto" or not (p.jsonl and p.parquet):
            return p.files(self.source)
        pick = self._picks.get(p.key)
        if pick is None:
            jsonl = _rows_of(self.row_counter, p.jsonl, self._budget)
            parquet = _rows_of(self.row_counter, p.parquet, self._budget)
            fuller = jsonl is not None and (parquet is None or jsonl > parquet)
            pick = self._picks[p.key] = Pick(p, "jsonl" if fuller else "parquet", jsonl, parquet)
        return p.jsonl if pick.format == "jsonl" else p.parquet

    def mismatches(self) -> list[Pick]:
        """Partitions read so far whose two copies differ, with the one read."""
        return [p for p in self._picks.values() if p.jsonl_rows != p.parquet_rows]

    # -- what is there -----------------------------------------------------------------------
    def files(self) -> list[ArchiveFile]:
        """Every data file found (JSONL and Parquet), as of the last :meth:`refresh`."""
        return list(self._files)

    def partitions(
        self, type_name: str | None = None, symbol: str | None = None
    ) -> list[Partition]:
        """(type, symbol, partition, provider) groups of files, in time order."""
        return [
            p
            for p in self._partitions
            if (type_name is None or p.type_name == type_name)
            and (symbol is None or p.symbol == symbol)
        ]

    def types(self) -> list[str]:
        """Event types with data (``trades``, ``quotes``, …)."""
        return sorted({p.type_name for p in self._partitions})

    def symbols(self, type_name: str | None = None) -> list[str]:
        """Symbols with data (of ``type_name`` only, when given)."""
        return sorted({p.symbol for p in self.partitions(type_name)})

    def date_range(
        self, symbol: str | None = None, type_name: str | None = None
    ) -> tuple[str, str] | None:
        """First and last partition label holding data (``None`` when there is none)."""
        parts = [p for p in self.partitions(type_name, symbol) if p.partition != ALL]
        if not parts:
            return None
        ordered = sorted(parts, key=lambda p: p.start_ns)
        return ordered[0].partition, ordered[-1].partition

    # -- data --------------------------------------------------------------------------------
    def read(
        self,
        type_name: str,
        symbol: str | None = None,
        start: TimeArg = None,
        end: TimeArg = None,
        as_: Output = "pandas",
    ) -> Any:
        """Rows of one type (all symbols when ``symbol`` is None) between ``start`` and ``end``
        (dates inclusive, instants end-exclusive: see the module doc), in the type's schema;
        partitions in time order, rows in write order. A DataFrame unless ``as_`` says
        ``"polars"`` or ``"arrow"``."""
        cls = _event_type(type_name)
        lo, hi = to_ns(start), to_ns(end, end=True)
        tables = []
        for p in self.partitions(type_name, symbol):
            if (lo is not None and p.end_ns <= lo) or (hi is not None and p.start_ns >= hi):
                continue
            for f in self.files_of(p):
                tables.append(_read_file(f, cls))
        table = pa.concat_tables(tables) if tables else empty_table(cls)
        if lo is not None or hi is not None:
            table = table.filter(_time_mask(table, lo, hi))
        return _convert(table, as_)

    def events(
        self, type_name: str, symbol: str | None = None, start: TimeArg = None, end: TimeArg = None
    ) -> list[Event]:
        """The same rows as event structs (exact values, for replay and tests)."""
        table = self.read(type_name, symbol, start, end, as_="arrow")
        return from_table(_event_type(type_name), table)

    def trades(
        self, symbol: str, start: TimeArg = None, end: TimeArg = None, as_: Output = "pandas"
    ) -> Any:
        """Trades of ``symbol`` (``read("trades", …)``): price, size, side, venue, ids."""
        return self.read("trades", symbol, start, end, as_)

    def quotes(
        self, symbol: str, start: TimeArg = None, end: TimeArg = None, as_: Output = "pandas"
    ) -> Any:
        """Best bid and offer updates of ``symbol``."""
        return self.read("quotes", symbol, start, end, as_)

    def bars(
        self, symbol: str, start: TimeArg = None, end: TimeArg = None, as_: Output = "pandas"
    ) -> Any:
        """OHLCV bars of ``symbol`` (live aggregates and backfilled history alike)."""
        return self.read("bars", symbol, start, end, as_)

    def quote_bars(
        self, symbol: str, start: TimeArg = None, end: TimeArg = None, as_: Output = "pandas"
    ) -> Any:
        """Bid/ask OHLC bars of ``symbol`` (imported from Lean, or built by ``mdc export``)."""
        return self.read("quote_bars", symbol, start, end, as_)

    def book_deltas(
        self, symbol: str, start: TimeArg = None, end: TimeArg = None, as_: Output = "pandas"
    ) -> Any:
        """Order-book level changes of ``symbol`` (size 0 removes the level)."""
        return self.read("book_deltas", symbol, start, end, as_)

    def book_snapshots(
        self, symbol: str, start: TimeArg = None, end: TimeArg = None, as_: Output = "pandas"
    ) -> Any:
        """Whole-book snapshots of ``symbol`` (on subscribe and resync)."""
        return self.read("book_snapshots", symbol, start, end, as_)

    def order_updates(
        self, symbol: str, start: TimeArg = None, end: TimeArg = None, as_: Output = "pandas"
    ) -> Any:
        """Order-level (L3) messages of ``symbol`` from order-by-order feeds (NYSE XDP with
        ``order_events`` on)."""
        return self.read("order_updates", symbol, start, end, as_)

    def gaps(self, symbol: str | None = None, as_: Output = "pandas") -> Any:
        """Recorded outages (one row per symbol per outage), all symbols when None."""
        return self.read("gaps", symbol, as_=as_)

    # -- SQL ---------------------------------------------------------------------------------
    def connect(self) -> duckdb.DuckDBPyConnection:
        """An in-memory DuckDB connection with one view per event type over the files."""
        import duckdb

        con = duckdb.connect()
        con.execute("SET TimeZone = 'UTC'")
        for cls, name in TYPE_NAMES.items():
            con.execute(f"CREATE VIEW {name} AS {self._view_sql(cls)}")
        return con

    def sql(self, query: str, as_: Output = "pandas") -> Any:
        """Run DuckDB SQL over the views (``trades``, ``quotes``, …; see :meth:`connect`); a
        DataFrame unless ``as_`` says ``"polars"`` or ``"arrow"``, like every other reader.
        For many queries, keep one :meth:`connect` connection instead."""
        con = self.connect()
        try:
            result = con.sql(query)
            table = result.to_arrow_table() if result is not None else pa.table({})
        finally:
            con.close()
        return _convert(table, as_)

    def _view_sql(self, cls: type[Event]) -> str:
        type_name = TYPE_NAMES[cls]
        jsonl: list[str] = []
        parquet: list[str] = []
        for p in self.partitions(type_name):
            for f in self.files_of(p):
                (parquet if f.format == "parquet" else jsonl).append(str(f.path))
        selects = []
        if parquet:
            selects.append(
                f"SELECT * FROM read_parquet({_sql_list(parquet)}, union_by_name=true, "
                "hive_partitioning=false)"
            )
        if jsonl:
            selects.append(_json_select(cls, jsonl))
        if not selects:
            selects.append(_empty_select(cls))
        return " UNION ALL BY NAME ".join(selects)


def _rows_of(counter: RowCounter, files: list[ArchiveFile], budget: list[int]) -> int | None:
    counts = [counter.rows(f, budget) for f in files]
    return None if None in counts else sum(c for c in counts if c is not None)


def open_archive(
    root: str | Path, source: Source = "auto", row_counter: RowCounter | None = None
) -> Archive:
    """The archive at ``root`` (what ``storage.root`` of the collector points to)."""
    return Archive(root, source, row_counter)


# -- helpers -----------------------------------------------------------------------------------
def _event_type(type_name: str) -> type[Event]:
    try:
        return TYPES_BY_NAME[type_name]
    except KeyError:
        known = ", ".join(sorted(TYPES_BY_NAME))
        raise ValueError(f"unknown event type {type_name!r}; known: {known}") from None


def _read_file(f: ArchiveFile, cls: type[Event]) -> pa.Table:
    if f.format == "parquet":
        return read_parquet_table(f.path, cls)
    return read_jsonl_table(f.path, cls)


def _time_mask(table: pa.Table, lo: int | None, hi: int | None) -> pa.ChunkedArray:
    ts = table.column("ts_event").cast(pa.int64())
    mask = None
    if lo is not None:
        mask = pc.greater_equal(ts, lo)
    if hi is not None:
        upper = pc.less(ts, hi)
        mask = upper if mask is None else pc.and_(mask, upper)
    return mask


def _convert(table: pa.Table, as_: Output) -> Any:
    if as_ == "arrow":
        return table
    if as_ == "pandas":
        return table.to_pandas()
    if as_ == "polars":
        import polars as pl

        return pl.from_arrow(table)
    raise ValueError(f"as_ must be arrow, pandas or polars, got {as_!r}")


def _sql_list(paths: Iterable[str]) -> str:
    return "[" + ", ".join("'" + p.replace("'", "''") + "'" for p in paths) + "]"


def _duck_type(t: pa.DataType) -> str:
    if t == TIMESTAMP or pa.types.is_int64(t):
        return "BIGINT"
    if pa.types.is_float64(t):
        return "DOUBLE"
    if pa.types.is_boolean(t):
        return "BOOLEAN"
    if pa.types.is_dictionary(t) or pa.types.is_string(t):
        return "VARCHAR"
    if pa.types.is_list(t):
        return _duck_type(t.value_type) + "[]"
    raise TypeError(f"no DuckDB type for {t}")


def _json_select(cls: type[Event], paths: list[str]) -> str:
    fields = list(schema(cls))
    columns = ", ".join(f"'{f.name}': '{_duck_type(f.type)}'" for f in fields)
    exprs = ", ".join(
        f"make_timestamp_ns({f.name})::TIMESTAMPTZ_NS AS {f.name}"
        if f.type == TIMESTAMP
        else f.name
        for f in fields
    )
    return (
        f"SELECT {exprs} FROM read_json({_sql_list(paths)}, format='newline_delimited', "
        f"columns={{{columns}}})"
    )


def _empty_select(cls: type[Event]) -> str:
    exprs = ", ".join(
        f"NULL::{'TIMESTAMPTZ_NS' if f.type == TIMESTAMP else _duck_type(f.type)} AS {f.name}"
        for f in schema(cls)
    )
    return f"SELECT {exprs} LIMIT 0"
