"""Natural keys per event type, and loading the keys an archive partition already holds.

Keys never include ``ts_recv`` or ``provider``: the same print fetched twice is the same print.
When a feed gives neither ``seq`` nor an id, the key falls back to the event's content so two
distinct prints in the same nanosecond are not collapsed. See docs/durability.md ("Dedup").
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from operator import attrgetter
from pathlib import Path
from typing import Any, Final

import pyarrow as pa
import pyarrow.parquet as pq

from mdc.domain.events import (
    TYPE_NAMES,
    Bar,
    BookDelta,
    BookSnapshot,
    CorporateAction,
    Event,
    Gap,
    Integrity,
    OrderUpdate,
    Quote,
    QuoteBar,
    Status,
    Trade,
)
from mdc.storage.layout import EXTENSIONS, Layout
from mdc.storage.parquet import parse_part
from mdc.storage.reader import read_jsonl_events

KeyFunc = Callable[[Any], Hashable]
ValueKey = Callable[[tuple[Any, ...]], Hashable]

KEY_FIELDS: Final[dict[type[Event], tuple[str, ...]]] = {
    Trade: ("venue", "symbol", "ts_event", "seq", "trade_id", "price", "size", "side"),
    Quote: ("venue", "symbol", "ts_event", "seq", "bid_price", "bid_size", "ask_price", "ask_size"),
    BookDelta: ("venue", "symbol", "ts_event", "seq", "side", "price", "size"),
    BookSnapshot: ("venue", "symbol", "ts_event", "seq", "bids", "asks"),
    OrderUpdate: ("venue", "symbol", "ts_event", "seq", "action", "order_id"),
    Bar: ("venue", "symbol", "interval", "ts_event", "adjusted"),
    QuoteBar: ("venue", "symbol", "interval", "ts_event"),
    Gap: ("venue", "symbol", "from_ts", "to_ts", "reason"),
    Integrity: ("venue", "symbol", "ts_event", "kind", "detail"),
    Status: ("venue", "symbol", "ts_event", "kind", "state", "detail"),
    CorporateAction: ("venue", "symbol", "ts_event", "kind"),
}
"""The fields a type's key is made of, in order (read as columns when loading keys)."""


def _trade(v: tuple[Any, ...]) -> Hashable:
    if v[3] is None and v[4] is None:  # neither seq nor trade id: the content decides
        return (v[0], v[1], v[2], v[5], v[6], v[7])
    return v[:5]


def _quote(v: tuple[Any, ...]) -> Hashable:
    return v[:4] if v[3] is not None else v[:3] + v[4:]


def _levels(levels: Iterable[Iterable[float]]) -> tuple[tuple[float, ...], ...]:
    return tuple(map(tuple, levels))


def _snapshot(v: tuple[Any, ...]) -> Hashable:
    if v[3] is not None:
        return v[:4]
    return (v[0], v[1], v[2], _levels(v[4]), _levels(v[5]))


VALUE_KEYS: Final[dict[type[Event], ValueKey]] = {
    Trade: _trade,
    Quote: _quote,
    BookSnapshot: _snapshot,
}
"""Types whose key depends on which fields are present; the others' key is the values."""


def _event_key(cls: type[Event]) -> KeyFunc:
    getter = attrgetter(*KEY_FIELDS[cls])
    value_key = VALUE_KEYS.get(cls)
    if value_key is None:
        return getter
    return lambda event: value_key(getter(event))


KEYS: Final[dict[type[Event], KeyFunc]] = {cls: _event_key(cls) for cls in KEY_FIELDS}


def keys_of(cls: type[Event], events: Iterable[Event]) -> set[Hashable]:
    return set(map(KEYS[cls], events))


def filter_new(cls: type[Event], events: list[Event], seen: set[Hashable]) -> list[Event]:
    """The events whose key is not in ``seen`` (first occurrence kept); adds their keys.
    Returns ``events`` itself when nothing was dropped."""
    key = KEYS[cls]
    out = []
    for event in events:
        k = key(event)
        if k not in seen:
            seen.add(k)
            out.append(event)
    return events if len(out) == len(events) else out


def table_keys(cls: type[Event], table: pa.Table) -> set[Hashable]:
    """Keys of a table's rows, from the key columns only (absent columns count as null)."""
    columns = []
    for name in KEY_FIELDS[cls]:
        if name not in table.column_names:
            columns.append([None] * table.num_rows)
            continue
        column = table.column(name)
        if pa.types.is_timestamp(column.type):
            column = column.cast(pa.int64())
        columns.append(column.to_pylist())
    rows = zip(*columns, strict=True)
    value_key = VALUE_KEYS.get(cls)
    return set(rows) if value_key is None else set(map(value_key, rows))


def load_partition_keys(
    root: Path,
    layout: Layout,
    cls: type[Event],
    symbol: str,
    label: str,
    provider: str | None,
    fmt: str,
) -> set[Hashable]:
    """Keys of everything one format of a partition holds: its JSONL file(s), any codec, or
    its finished Parquet parts (key columns only)."""
    type_name = TYPE_NAMES[cls]
    seen: set[Hashable] = set()
    if fmt == "jsonl":
        for compression in EXTENSIONS:
            path = root / layout.jsonl_path(type_name, symbol, label, provider, compression)
            if path.is_file():
                seen |= keys_of(cls, read_jsonl_events(path, cls))
        return seen
    directory = root / layout.parquet_dir(type_name, symbol, label, provider)
    if directory.is_dir():
        wanted = set(KEY_FIELDS[cls])
        for part in sorted(directory.iterdir()):
            parsed = parse_part(part.name)
            if parsed is not None and not parsed[2]:
                present = [n for n in pq.ParquetFile(part).schema_arrow.names if n in wanted]
                seen |= table_keys(cls, pq.read_table(part, columns=present))
    return seen
