"""Reading archive files back: JSONL (any codec) and Parquet parts, as events or Arrow."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import msgspec
import pyarrow as pa
import pyarrow.parquet as pq

from mdc.domain.events import Event
from mdc.storage.arrow import from_table, plain_schema, schema, to_table
from mdc.storage.jsonl import read_jsonl_bytes


@cache
def _list_decoder(cls: type[Event]) -> msgspec.json.Decoder[Any]:
    return msgspec.json.Decoder(list[cls])  # type: ignore[valid-type]


def decode_lines(cls: type[Event], body: bytes) -> list[Event]:
    """Events of one type from a JSONL body (every line must be a ``cls``)."""
    body = body.strip(b"\n")
    if not body:
        return []
    joined = body.replace(b"\n", b",") if b"\n\n" not in body else _join_nonempty(body)
    events: list[Event] = _list_decoder(cls).decode(b"[" + joined + b"]")
    return events


def _join_nonempty(body: bytes) -> bytes:
    return b",".join(line for line in body.split(b"\n") if line.strip())


def read_jsonl_events(path: Path, cls: type[Event]) -> list[Event]:
    return decode_lines(cls, read_jsonl_bytes(path))


def read_jsonl_table(path: Path, cls: type[Event]) -> pa.Table:
    return to_table(cls, read_jsonl_events(path, cls))


def read_parquet_table(path: Path, cls: type[Event]) -> pa.Table:
    """A finished part in the type's schema (older parts with fewer columns are widened)."""
    table = pq.read_table(path)
    target = schema(cls)
    if table.schema.equals(target, check_metadata=False):
        return table
    columns = []
    for field in target:
        if field.name in table.column_names:
            columns.append(table.column(field.name).cast(field.type))
        else:
            columns.append(pa.nulls(table.num_rows, field.type))
    return pa.Table.from_arrays(columns, schema=target)


def read_parquet_events(path: Path, cls: type[Event]) -> list[Event]:
    return from_table(cls, read_parquet_table(path, cls).cast(plain_schema(cls)))
