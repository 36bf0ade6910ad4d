"""Reference (instrument) tables beside the event archive: one Parquet file per source and day.

Event partitions hold what happened; reference tables hold what an instrument *is* on a day
(listing exchange, lot size, CUSIP, which markets trade it). They live under the root's control
directory, ``<root>/_mdc/reference/<name>/<YYYY-MM-DD>.parquet``, so no archive layout can take
them for a symbol directory, and each day's file is replaced atomically: importing the same
day again gives the same file, never duplicate rows. Rows are plain records (msgspec Structs);
the Parquet schema is derived from the Struct's fields (``str``, ``int``, ``float``, ``bool``,
``list[str]``, ``dict[str, str]`` as a map, each optional or not), so a round trip returns equal
records.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any, Final, TypeVar

import msgspec
import pyarrow as pa
import pyarrow.parquet as pq

from mdc.storage.fsutil import atomic_write
from mdc.storage.layout import CONTROL_DIR

REFERENCE_DIR: Final = "reference"
_NAME: Final = re.compile(r"^[a-z][a-z0-9_]{0,63}$")

R = TypeVar("R", bound=msgspec.Struct)


def reference_path(root: Path, name: str, day: date) -> Path:
    if not _NAME.match(name):
        raise ValueError(f"reference table name {name!r}: use lower-case letters, digits and _")
    return root / CONTROL_DIR / REFERENCE_DIR / name / f"{day.isoformat()}.parquet"


def _arrow(info: msgspec.inspect.Type, where: str) -> tuple[pa.DataType, bool]:
    """(Arrow type, nullable) of one field."""
    if isinstance(info, msgspec.inspect.UnionType):
        rest = [t for t in info.types if not isinstance(t, msgspec.inspect.NoneType)]
        if len(rest) != 1:
            raise TypeError(f"{where}: only Optional unions are supported")
        return _arrow(rest[0], where)[0], True
    simple: dict[type, pa.DataType] = {
        msgspec.inspect.StrType: pa.string(),
        msgspec.inspect.IntType: pa.int64(),
        msgspec.inspect.FloatType: pa.float64(),
        msgspec.inspect.BoolType: pa.bool_(),
    }
    if type(info) in simple:
        return simple[type(info)], False
    if isinstance(info, msgspec.inspect.ListType) and isinstance(
        info.item_type, msgspec.inspect.StrType
    ):
        return pa.list_(pa.string()), False
    if isinstance(info, msgspec.inspect.DictType) and isinstance(
        info.value_type, msgspec.inspect.StrType
    ):
        return pa.map_(pa.string(), pa.string()), False
    raise TypeError(f"{where}: no Parquet mapping for {info!r}")


def schema_of(cls: type[msgspec.Struct]) -> pa.Schema:
    """The Parquet schema of a record type."""
    fields = []
    for f in msgspec.inspect.type_info(cls).fields:  # type: ignore[attr-defined]
        type_, nullable = _arrow(f.type, f"{cls.__name__}.{f.name}")
        fields.append(pa.field(f.name, type_, nullable=nullable))
    return pa.schema(fields)


def write_reference(root: Path, name: str, day: date, records: Sequence[msgspec.Struct]) -> Path:
    """Replace the table ``name`` of ``day`` with ``records`` (atomic, fsynced)."""
    if not records:
        raise ValueError(f"{name}: no records to store")
    path = reference_path(root, name, day)
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = msgspec.to_builtins(list(records))
    schema = schema_of(type(records[0]))
    for f in schema:
        if pa.types.is_map(f.type):  # Arrow maps take (key, value) pairs
            for row in rows:
                row[f.name] = list(row[f.name].items())
    table = pa.Table.from_pylist(rows, schema=schema)
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd")
    atomic_write(path, sink.getvalue())
    return path


def reference_days(root: Path, name: str) -> list[date]:
    """The days a reference table holds, oldest first."""
    directory = reference_path(root, name, date(2000, 1, 1)).parent
    if not directory.is_dir():
        return []
    return sorted(date.fromisoformat(p.stem) for p in directory.glob("*.parquet"))


def reference_tables(root: Path) -> list[str]:
    directory = root / CONTROL_DIR / REFERENCE_DIR
    if not directory.is_dir():
        return []
    return sorted(p.name for p in directory.iterdir() if p.is_dir() and _NAME.match(p.name))


def read_reference(root: Path, name: str, day: date, cls: type[R]) -> list[R]:
    """The records of one day's table, as ``cls``."""
    return [msgspec.convert(row, cls) for row in read_rows(root, name, day)]


def read_rows(root: Path, name: str, day: date) -> list[dict[str, Any]]:
    """One day's table as plain rows (maps as dicts)."""
    path = reference_path(root, name, day)
    if not path.is_file():
        days = ", ".join(d.isoformat() for d in reference_days(root, name)) or "none"
        raise FileNotFoundError(f"no {name} table for {day.isoformat()} (days held: {days})")
    table = pq.read_table(path)
    rows: list[dict[str, Any]] = table.to_pylist()
    for f in table.schema:
        if pa.types.is_map(f.type):
            for row in rows:
                row[f.name] = dict(row[f.name])
    return rows
