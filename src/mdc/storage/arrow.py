"""Events ⇄ Arrow: one typed schema per event type, derived from the event structs.

Timestamps (``ts_event``, ``ts_recv``, ``from_ts``, ``to_ts``) are ``timestamp[ns, UTC]``;
low-cardinality strings (symbol, venue, provider, side, …) are dictionary-encoded; optional
fields are nullable; ``conditions`` is ``list<string>``; book levels are
``list<list<double>>`` (``[price, size]`` pairs, as in JSONL). Values survive the round trip
bit-exactly (floats as float64, times as int64 ns). Columns are built one at a time from the
structs with C-level iteration (``map(attrgetter)``), never row by row.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from operator import attrgetter
from typing import Any, Final

import msgspec
import numpy as np
import pyarrow as pa

from mdc.domain.events import EVENT_TYPES, TYPE_NAMES, Event

TIMESTAMP_FIELDS: Final = frozenset({"ts_event", "ts_recv", "from_ts", "to_ts"})
DICTIONARY_FIELDS: Final = frozenset(
    {
        "symbol",
        "venue",
        "provider",
        "side",
        "action",
        "exchange",
        "bid_exchange",
        "ask_exchange",
        "tape",
        "interval",
        "kind",
        "severity",
        "state",
        "reason",
        "currency",
    }
)
TIMESTAMP: Final = pa.timestamp("ns", tz="UTC")
DICT_STRING: Final = pa.dictionary(pa.int32(), pa.string())
LEVELS: Final = pa.list_(pa.list_(pa.float64()))

Builder = Callable[[Sequence[Any], int], pa.Array]


class Column:
    """One field: its Arrow type and how to build the array from the field's values."""

    __slots__ = ("build", "get", "name", "type")

    def __init__(self, name: str, type_: pa.DataType, build: Builder) -> None:
        self.name = name
        self.type = type_
        self.get = attrgetter(name)
        self.build = build


def _arrow_type(name: str, info: msgspec.inspect.Type) -> tuple[pa.DataType, bool, Builder]:
    """(type, nullable, builder) for one field."""
    nullable = False
    if isinstance(info, msgspec.inspect.UnionType):
        non_null = [t for t in info.types if not isinstance(t, msgspec.inspect.NoneType)]
        if len(non_null) != 1:
            raise TypeError(f"{name}: unions other than Optional are not supported")
        info, nullable = non_null[0], True
    if isinstance(info, msgspec.inspect.IntType):
        if name in TIMESTAMP_FIELDS:
            return TIMESTAMP, nullable, _timestamps
        return pa.int64(), nullable, (_ints_nullable if nullable else _ints)
    if isinstance(info, msgspec.inspect.FloatType):
        return pa.float64(), nullable, (_floats_nullable if nullable else _floats)
    if isinstance(info, msgspec.inspect.BoolType):
        return pa.bool_(), nullable, _bools
    if isinstance(info, msgspec.inspect.StrType | msgspec.inspect.LiteralType):
        if name in DICTIONARY_FIELDS:
            return DICT_STRING, nullable, _dictionary
        return pa.string(), nullable, _strings
    if isinstance(info, msgspec.inspect.ListType):
        item = info.item_type
        if isinstance(item, msgspec.inspect.StrType):
            return pa.list_(pa.string()), nullable, _string_lists
        if isinstance(item, msgspec.inspect.TupleType):
            return LEVELS, nullable, _levels
    raise TypeError(f"{name}: no Arrow mapping for {info!r}")


@cache
def columns(cls: type[Event]) -> tuple[Column, ...]:
    out = []
    for f in msgspec.inspect.type_info(cls).fields:  # type: ignore[attr-defined]
        type_, _, build = _arrow_type(f.name, f.type)
        out.append(Column(f.name, type_, build))
    return tuple(out)


@cache
def schema(cls: type[Event]) -> pa.Schema:
    fields = []
    for f in msgspec.inspect.type_info(cls).fields:  # type: ignore[attr-defined]
        type_, nullable, _ = _arrow_type(f.name, f.type)
        fields.append(pa.field(f.name, type_, nullable=nullable))
    return pa.schema(fields, metadata={b"mdc.type": TYPE_NAMES[cls].encode()})


@cache
def plain_schema(cls: type[Event]) -> pa.Schema:
    """The schema with timestamps as int64 and dictionaries as strings (for decoding)."""
    fields = []
    for f in schema(cls):
        if f.type == TIMESTAMP:
            fields.append(pa.field(f.name, pa.int64(), f.nullable))
        elif f.type == DICT_STRING:
            fields.append(pa.field(f.name, pa.string(), f.nullable))
        else:
            fields.append(f)
    return pa.schema(fields)


def to_table(cls: type[Event], events: Sequence[Event]) -> pa.Table:
    """A table of ``events`` (all of type ``cls``) in the type's schema."""
    n = len(events)
    arrays = [col.build(list(map(col.get, events)), n) for col in columns(cls)]
    return pa.Table.from_arrays(arrays, schema=schema(cls))


def empty_table(cls: type[Event]) -> pa.Table:
    return schema(cls).empty_table()


def from_table(cls: type[Event], table: pa.Table) -> list[Event]:
    """Events from a table in the type's schema (or a compatible one)."""
    plain = plain_schema(cls)
    table = table.select(plain.names).cast(plain)
    return msgspec.convert(table.to_pylist(), list[cls])  # type: ignore[valid-type]


# -- builders ----------------------------------------------------------------------------------
def _ints(values: Sequence[Any], n: int) -> pa.Array:
    return pa.array(np.fromiter(values, np.int64, n))


def _ints_nullable(values: Sequence[Any], n: int) -> pa.Array:
    return pa.array(values, pa.int64())


def _timestamps(values: Sequence[Any], n: int) -> pa.Array:
    if None in values:
        return pa.array(values, TIMESTAMP)
    return pa.array(np.fromiter(values, np.int64, n)).view(TIMESTAMP)


def _floats(values: Sequence[Any], n: int) -> pa.Array:
    return pa.array(np.fromiter(values, np.float64, n))


def _floats_nullable(values: Sequence[Any], n: int) -> pa.Array:
    return pa.array(values, pa.float64())


def _bools(values: Sequence[Any], n: int) -> pa.Array:
    return pa.array(values, pa.bool_())


def _strings(values: Sequence[Any], n: int) -> pa.Array:
    return pa.array(values, pa.string())


def _dictionary(values: Sequence[Any], n: int) -> pa.Array:
    distinct = set(values)
    if len(distinct) == 1:
        (only,) = distinct
        if only is None:
            return pa.nulls(n, DICT_STRING)
        return pa.DictionaryArray.from_arrays(
            pa.array(np.zeros(n, np.int32)), pa.array([only], pa.string())
        )
    return pa.array(values, DICT_STRING)


def _string_lists(values: Sequence[Any], n: int) -> pa.Array:
    if not any(values):
        return pa.ListArray.from_arrays(
            pa.array(np.zeros(n + 1, np.int32)), pa.array([], pa.string())
        )
    return pa.array(values, pa.list_(pa.string()))


def _levels(values: Sequence[Any], n: int) -> pa.Array:
    return pa.array(values, LEVELS)


SCHEMAS: Final[dict[str, pa.Schema]] = {TYPE_NAMES[t]: schema(t) for t in EVENT_TYPES}
