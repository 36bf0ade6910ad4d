"""The k-way merge: every (type, symbol, provider) stream of the range in ``ts_event`` order.

Each stream reads its partitions in time order, a chunk at a time (``streams.py``), so memory is
one chunk per stream whatever the length of the range. Ties keep a fixed order (the order of
``types``, then symbols), so a replay is the same every time. Within a file, events are in write
order, which is time order but for local disorder (live feeds, bars of several intervals imported
one after another): a reorder buffer of ``REORDER_WINDOW`` events per stream sorts that out. An
event older than one already replayed from its own stream is still replayed, at once, and
counted in ``late``.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Final

from mdc.domain.events import TYPES_BY_NAME, Event
from mdc.replay.streams import partition_events
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
REORDER_WINDOW: Final = 10_000
"""Events held per stream to put locally disordered files in time order (bounds memory)."""


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
                events = partition_events(provider_parts, cls, archive.source, lo, hi)
                streams.append(_keyed(events, order, stats, name))
    stats.streams = len(streams)
    for *_, event in heapq.merge(*streams):
        stats.events += 1
        yield event


def _keyed(
    events: Iterator[Event], order: int, stats: MergeStats, name: str
) -> Iterator[tuple[int, int, int, Event]]:
    """``(ts, stream, n, event)`` in time order through a bounded reorder buffer; the keys are
    unique, so the merge never compares two events."""
    buffer: list[tuple[int, int, int, Event]] = []
    last = None
    count = 0
    try:
        for e in events:
            count += 1
            heapq.heappush(buffer, (e.ts_event, order, count, e))
            if len(buffer) > REORDER_WINDOW:
                item = heapq.heappop(buffer)
                if last is not None and item[0] < last:
                    stats.late += 1
                    item = (last, *item[1:])  # replayed now, in place
                last = item[0]
                yield item
        while buffer:
            item = heapq.heappop(buffer)
            if last is not None and item[0] < last:
                stats.late += 1
                item = (last, *item[1:])
            last = item[0]
            yield item
    finally:
        stats.by_type[name] = stats.by_type.get(name, 0) + count
