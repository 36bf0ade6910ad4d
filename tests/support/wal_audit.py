"""The WAL as the side channel of what was acknowledged, compared with what the archive holds.

With ``fsync = "always"`` an append returns only once its record is on disk, so the intact
records are the acknowledged batches; with ``wal.keep_segments`` the store moves them to
``_mdc/wal-archive`` instead of deleting them.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import msgspec

from mdc.domain.events import EVENT_TYPES, TYPE_NAMES, Event
from mdc.storage.archive import open_archive
from mdc.storage.wal import iter_records


def acknowledged(root: Path) -> dict[str, Counter[bytes]]:
    """Every event of every intact WAL record, per type (records read once by LSN)."""
    records: dict[int, list[Event]] = {}
    for directory in (root / "_mdc/wal-archive", root / "_mdc/wal"):
        for lsn, _, events in iter_records(directory):
            records.setdefault(lsn, events)
    out: dict[str, Counter[bytes]] = {TYPE_NAMES[t]: Counter() for t in EVENT_TYPES}
    for events in records.values():
        for e in events:
            out[TYPE_NAMES[type(e)]][msgspec.msgpack.encode(e)] += 1
    return out


def archived(root: Path, source: str) -> dict[str, Counter[bytes]]:
    archive = open_archive(root, source=source)  # type: ignore[arg-type]
    return {
        TYPE_NAMES[t]: Counter(msgspec.msgpack.encode(e) for e in archive.events(TYPE_NAMES[t]))
        for t in EVENT_TYPES
    }


def assert_exactly_once(root: Path, source: str) -> int:
    """Every acknowledged event is in the archive once; returns how many there are."""
    expected = acknowledged(root)
    got = archived(root, source)
    for type_name, want in expected.items():
        have = got[type_name]
        missing = want - have
        doubled = have - want
        assert not missing, f"{source} {type_name}: {sum(missing.values())} missing"
        assert not doubled, f"{source} {type_name}: {sum(doubled.values())} extra"
    return sum(sum(c.values()) for c in expected.values())
