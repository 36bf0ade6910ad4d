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

from mdc.domain.events import (
    TYPE_NAMES,
    Bar,
    BookDelta,
    BookSnapshot,
    CorporateAction,
    Event,
    Gap,
    Integrity,
    Quote,
    Status,
    Trade,
)
from mdc.storage.layout import EXTENSIONS, Layout
from mdc.storage.parquet import parse_part
from mdc.storage.reader import read_jsonl_events, read_parquet_events

KeyFunc = Callable[[Any], Hashable]

_trade_id = attrgetter("venue", "symbol", "ts_event", "seq", "trade_id")
_trade_content = attrgetter("venue", "symbol", "ts_event", "price", "size", "side")
_quote_seq = attrgetter("venue", "symbol", "ts_event", "seq")
_quote_content = attrgetter(
    "venue", "symbol", "ts_event", "bid_price", "bid_size", "ask_price", "ask_size"
)


def _trade_key(e: Trade) -> Hashable:
    if e.seq is None and e.trade_id is None:
        return _trade_content(e)
    return _trade_id(e)


def _quote_key(e: Quote) -> Hashable:
    return _quote_content(e) if e.seq is None else _quote_seq(e)


def _snapshot_key(e: BookSnapshot) -> Hashable:
    if e.seq is None:
        return (e.venue, e.symbol, e.ts_event, tuple(e.bids), tuple(e.asks))
    return (e.venue, e.symbol, e.ts_event, e.seq)


KEYS: Final[dict[type[Event], KeyFunc]] = {
    Trade: _trade_key,
    Quote: _quote_key,
    BookDelta: attrgetter("venue", "symbol", "ts_event", "seq", "side", "price", "size"),
    BookSnapshot: _snapshot_key,
    Bar: attrgetter("venue", "symbol", "interval", "ts_event", "adjusted"),
    Gap: attrgetter("venue", "symbol", "from_ts", "to_ts", "reason"),
    Integrity: attrgetter("venue", "symbol", "ts_event", "kind", "detail"),
    Status: attrgetter("venue", "symbol", "ts_event", "kind", "state", "detail"),
    CorporateAction: attrgetter("venue", "symbol", "ts_event", "kind"),
}


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


def load_partition_keys(
    root: Path, layout: Layout, cls: type[Event], symbol: str, label: str, provider: str | None
) -> set[Hashable]:
    """Keys of everything a partition holds: its JSONL file(s), any codec, and finished parts."""
    type_name = TYPE_NAMES[cls]
    seen: set[Hashable] = set()
    for compression in EXTENSIONS:
        path = root / layout.jsonl_path(type_name, symbol, label, provider, compression)
        if path.is_file():
            seen |= keys_of(cls, read_jsonl_events(path, cls))
    directory = root / layout.parquet_dir(type_name, symbol, label, provider)
    if directory.is_dir():
        for part in sorted(directory.iterdir()):
            parsed = parse_part(part.name)
            if parsed is not None and not parsed[2]:
                seen |= keys_of(cls, read_parquet_events(part, cls))
    return seen
