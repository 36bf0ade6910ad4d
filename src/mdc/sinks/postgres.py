"""PostgreSQL sink: typed tables, batched ``COPY``, upsert on the natural keys.

One table per event type (``{prefix}trades``, ``{prefix}quotes`` …) with a column per event
field and ``nk``, a 16-byte BLAKE2b of the event's natural key (the very key the archive's dedup
uses, storage/dedup.py), as primary key. Each pass copies up to ``batch_records`` WAL records
into temporary staging tables and ``INSERT … SELECT … ON CONFLICT (nk) DO NOTHING`` in one
transaction; the sink's position is written after the commit. A crash in between replays the
pass, which the primary key drops: every acknowledged event is in PostgreSQL once.

psycopg 3 (``mdc[postgres]``), read 2026-12-03: https://www.psycopg.org/psycopg3/docs/basic/copy.html
and https://www.postgresql.org/docs/15/sql-insert.html (ON CONFLICT).
"""

from __future__ import annotations

import hashlib
import logging
import types
import typing
from typing import TYPE_CHECKING, Any, Final, Literal, Union, get_args, get_origin

import msgspec

from mdc.config.schema import SinkConfig
from mdc.domain.events import EVENT_TYPES, TYPE_NAMES, Event
from mdc.sinks.base import Sink
from mdc.storage import Store
from mdc.storage.dedup import KEYS
from mdc.storage.tail import TailRecord

if TYPE_CHECKING:
    from psycopg import AsyncConnection

log = logging.getLogger(__name__)

KEY_COLUMN: Final = "nk"


def _sql_type(annotation: Any) -> tuple[str, bool]:
    """(PostgreSQL type, nullable) of an event field's annotation."""
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        inner = [a for a in get_args(annotation) if a is not type(None)]
        sql, _ = _sql_type(inner[0])
        return sql, True
    if origin is Literal:
        return "TEXT", False
    if origin in (list, tuple) or annotation in (list, tuple):
        return "JSONB", False
    if annotation is bool:
        return "BOOLEAN", False
    if annotation is int:
        return "BIGINT", False
    if annotation is float:
        return "DOUBLE PRECISION", False
    if annotation is str:
        return "TEXT", False
    # Type aliases (Side, BookSide, Severity …) resolve to one of the above.
    value = getattr(annotation, "__value__", None)
    if value is not None:
        return _sql_type(value)
    raise TypeError(f"no PostgreSQL type for {annotation!r}")


class Table:
    """The typed table of one event type."""

    def __init__(self, cls: type[Event], schema: str, prefix: str) -> None:
        self.cls = cls
        self.name = f'"{schema}"."{prefix}{TYPE_NAMES[cls]}"'
        self.staging = f'"stage_{prefix}{TYPE_NAMES[cls]}"'
        hints = typing.get_type_hints(cls)
        self.fields = [f.name for f in msgspec.structs.fields(cls)]
        self.columns = [(name, *_sql_type(hints[name])) for name in self.fields]
        self.json = {name for name, sql, _ in self.columns if sql == "JSONB"}
        self.key = KEYS[cls]

    def ddl(self) -> str:
        cols = ", ".join(
            f'"{name}" {sql}{"" if nullable else " NOT NULL"}'
            for name, sql, nullable in self.columns
        )
        return f"CREATE TABLE IF NOT EXISTS {self.name} ({KEY_COLUMN} BYTEA PRIMARY KEY, {cols})"

    def row(self, ev: Event) -> tuple[Any, ...]:
        key = hashlib.blake2b(repr(self.key(ev)).encode(), digest_size=16).digest()
        values = [getattr(ev, name) for name in self.fields]
        return (
            key,
            *(
                msgspec.json.encode(v).decode() if name in self.json else v
                for name, v in zip(self.fields, values, strict=True)
            ),
        )

    @property
    def column_list(self) -> str:
        return ", ".join([KEY_COLUMN, *(f'"{n}"' for n in self.fields)])


class PostgresSink(Sink):
    def __init__(self, store: Store | None, cfg: SinkConfig, id_prefix: str = "") -> None:
        super().__init__(store, cfg, id_prefix)
        self.tables = {cls: Table(cls, cfg.schema, cfg.table_prefix) for cls in EVENT_TYPES}
        self.rows_inserted = 0
        self._conn: AsyncConnection[Any] | None = None

    async def _connect(self) -> AsyncConnection[Any]:
        import psycopg

        conn = await psycopg.AsyncConnection.connect(self.cfg.dsn, connect_timeout=5)
        async with conn.transaction():
            await conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{self.cfg.schema}"')
            for table in self.tables.values():
                await conn.execute(table.ddl())
        return conn

    async def deliver(self, records: list[TailRecord]) -> None:
        if self._conn is None or self._conn.closed:
            self._conn = await self._connect()
        conn = self._conn
        by_type: dict[type[Event], list[Event]] = {}
        for rec in records:
            for ev in rec.events:
                by_type.setdefault(type(ev), []).append(ev)
        inserted = 0
        async with conn.transaction(), conn.cursor() as cur:
            for cls, events in by_type.items():
                table = self.tables[cls]
                await cur.execute(
                    f"CREATE TEMP TABLE IF NOT EXISTS {table.staging} "
                    f"(LIKE {table.name}) ON COMMIT DELETE ROWS"
                )
                copy_sql = f"COPY {table.staging} ({table.column_list}) FROM STDIN"
                async with cur.copy(copy_sql) as copy:
                    for ev in events:
                        await copy.write_row(table.row(ev))
                await cur.execute(
                    f"INSERT INTO {table.name} SELECT DISTINCT ON ({KEY_COLUMN}) * "
                    f"FROM {table.staging} ON CONFLICT ({KEY_COLUMN}) DO NOTHING"
                )
                inserted += max(cur.rowcount, 0)
        self.rows_inserted += inserted

    async def close(self) -> None:
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    def stats(self) -> dict[str, Any]:
        return {**super().stats(), "kind": "postgres", "rows_inserted": self.rows_inserted}
