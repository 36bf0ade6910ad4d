"""The k-way merge: every (type, symbol, provider) stream of the range in ``ts_event`` order.

Each stream reads its partitions in time order, a chunk at a time (``streams.py``), so memory is
one chunk per stream whatever the length of the range. Ties keep a fixed order (the order of
``types``, then symbols), so a replay is the same every time. Within a file, events are in write
order, which is time order but for local disorder (live feeds, bars of several intervals imported
one after another): each chunk read (about 1 MiB of JSON, or a Parquet batch) is sorted before
it is merged. An event older than one already replayed from its own stream is still replayed,
at once, and counted in ``late``.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Final

from mdc.domain.events import TYPES_BY_NAME, Event
from mdc.replay.streams import partition_chunks
from mdc.storage.archive import Archive, Partition

DEFAULT_TYPES: Final = (
    "trades",
    "quotes",
    "bars",
    "quote_bars",
    "book_snapshots",
    "book_deltas",
    "gaps",
    "statuses",
)
"""What a replay carries unless told otherwise (``gaps`` too: outages are part of the day)."""


@dataclass
class MergeStats:
    streams: int = 0
    events: int = 0
    late: int = 0
    by_type: dict[str, int] = field(default_factory=dict)


def merged(
    archive: Archive,
    symbols: Sequence[str] | None,
    types: Sequence[str],
    lo: int,
    hi: int,
    stats: MergeStats | None = None,
) -> Iterator[Event]:
    """Events of ``symbols`` (all when None) and ``types`` with ``lo <= ts_event < hi``, merged
    by ``ts_event``."""
    stats = stats if stats is not None else MergeStats()
    for name in types:
        if name not in TYPES_BY_NAME:
            known = ", ".join(sorted(TYPES_BY_NAME))
            raise ValueError(f"unknown event type {name!r}; known: {known}")
    streams: list[Iterator[tuple[int, int, int, Event]]] = []
    for name in types:
        cls = TYPES_BY_NAME[name]
        wanted = archive.symbols(name) if symbols is None else list(symbols)
        for symbol in wanted:
            groups: dict[str | None, list[Partition]] = {}
            for p in archive.partitions(name, symbol):
                if p.end_ns > lo and p.start_ns < hi:
                    groups.setdefault(p.provider, []).append(p)
            for provider_parts in groups.values():
                order = len(streams)
                chunks = partition_chunks(provider_parts, cls, archive.source, lo, hi)
                streams.append(_keyed(chunks, order, stats, name))
    stats.streams = len(streams)
    for *_, event in heapq.merge(*streams):
        stats.events += 1
        yield event


def _keyed(
    chunks: Iterator[list[Event]], order: int, stats: MergeStats, name: str
) -> Iterator[tuple[int, int, int, Event]]:
    """``(ts, stream, n, event)`` in time order, each chunk sorted (stably) first; the keys
    are unique, so the merge never compares two events."""
    last = -(1 << 63)
    count = 0
    try:
        for chunk in chunks:
            chunk.sort(key=_ts)  # linear when already in order, the usual case
            if chunk and chunk[0].ts_event < last:
                late = [e for e in chunk if e.ts_event < last]
                stats.late += len(late)
                for e in late:  # replayed now, in place: each stream must stay ordered
                    count += 1
                    yield last, order, count, e
                chunk = chunk[len(late) :]
            for e in chunk:
                count += 1
                yield e.ts_event, order, count, e
            if chunk:
                last = chunk[-1].ts_event
    finally:
        stats.by_type[name] = stats.by_type.get(name, 0) + count


def _ts(e: Event) -> int:
    return e.ts_event
