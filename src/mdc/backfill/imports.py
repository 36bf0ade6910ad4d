"""File imports into the archive (``mdc import <kind> FILE``): idempotent and resumable.

An importer turns a file into batches of events in a fixed order; this module writes them
through the normal store with ``dedup`` (natural keys already stored are dropped), and keeps a
small state file per (kind, file) under ``<root>/_mdc/imports/``: the file's size and mtime, how
many batches are committed, and whether the import finished. A finished file is skipped unless
forced. An interrupted one is decoded again from its start — an order book needs every message
before the next — but the batches already committed are not written again; anything in
between is dropped by dedup. A file that changed since its state was written starts over.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Final

import msgspec

from mdc.domain.events import TYPE_NAMES, Event
from mdc.storage.base import EventStore
from mdc.storage.layout import CONTROL_DIR

IMPORTS_DIR: Final = "imports"


class ImportState(msgspec.Struct, kw_only=True):
    kind: str
    source: str
    size: int
    mtime_ns: int
    batches: int = 0
    events: int = 0
    by_type: dict[str, int] = {}
    done: bool = False
    started_at: float = 0.0
    finished_at: float | None = None


class ImportResult(msgspec.Struct, kw_only=True):
    state: ImportState
    skipped: bool
    """True when the file had been imported already (nothing was written)."""
    written: int
    """Events handed to the store in this run (dedup may have dropped some)."""


def state_path(root: Path, kind: str, source: Path) -> Path:
    digest = hashlib.sha256(f"{kind}\0{source.resolve()}".encode()).hexdigest()[:24]
    return root / CONTROL_DIR / IMPORTS_DIR / f"{kind}-{digest}.json"


def load_state(root: Path, kind: str, source: Path) -> ImportState | None:
    path = state_path(root, kind, source)
    try:
        return msgspec.json.decode(path.read_bytes(), type=ImportState)
    except FileNotFoundError:
        return None
    except msgspec.DecodeError:
        return None  # a torn state file: start over (dedup keeps the archive exact)


def list_states(root: Path) -> list[ImportState]:
    """Every import this root has seen, newest first."""
    folder = root / CONTROL_DIR / IMPORTS_DIR
    out = []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            out.append(msgspec.json.decode(path.read_bytes(), type=ImportState))
        except msgspec.DecodeError:
            continue
    return sorted(out, key=lambda s: s.started_at, reverse=True)


def _save(root: Path, state: ImportState, source: Path) -> None:
    path = state_path(root, state.kind, source)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(msgspec.json.encode(state))
    os.replace(tmp, path)


def record_import(root: Path, kind: str, source: Path, by_type: dict[str, int]) -> ImportState:
    """Record a file imported outside the event store (a reference table) as done, so
    ``mdc import list`` and ``/api/imports`` show it beside the event imports."""
    st = source.stat()
    now = time.time()
    state = ImportState(
        kind=kind,
        source=str(source.resolve()),
        size=st.st_size,
        mtime_ns=st.st_mtime_ns,
        batches=1,
        events=sum(by_type.values()),
        by_type=by_type,
        done=True,
        started_at=now,
        finished_at=now,
    )
    _save(root, state, source)
    return state


def run_import(
    store: EventStore,
    root: Path,
    kind: str,
    source: Path,
    batches: Iterable[list[Event]],
    force: bool = False,
    on_batch: Callable[[ImportState], None] | None = None,
) -> ImportResult:
    """Write ``batches`` (from ``source``) through ``store``; see the module docstring."""
    st = source.stat()
    state = load_state(root, kind, source)
    same_file = state is not None and (state.size, state.mtime_ns) == (st.st_size, st.st_mtime_ns)
    if state is not None and same_file and state.done and not force:
        return ImportResult(state=state, skipped=True, written=0)
    if state is None or not same_file or force:
        state = ImportState(
            kind=kind,
            source=str(source.resolve()),
            size=st.st_size,
            mtime_ns=st.st_mtime_ns,
            started_at=time.time(),
        )
    committed = state.batches
    written = 0
    counts: Counter[str] = Counter(state.by_type)
    for number, batch in enumerate(batches):
        if number < committed or not batch:
            continue
        store.append(batch, dedup=True)
        written += len(batch)
        for ev in batch:
            counts[TYPE_NAMES[type(ev)]] += 1
        state.batches = number + 1
        state.events += len(batch)
        state.by_type = dict(counts)
        _save(root, state, source)
        if on_batch is not None:
            on_batch(state)
    state.done = True
    state.finished_at = time.time()
    _save(root, state, source)
    return ImportResult(state=state, skipped=False, written=written)
