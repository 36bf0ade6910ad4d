"""Re-derivation (``mdc rederive``): today's parser over the stored raw frames, as a new archive
version (or in place, swapped in atomically), so a parser fix repairs history.

The raw capture (``_raw/{provider}/{day}.frames.zst``, see ``storage/raw.py``) keeps every frame
a streaming provider received with its receive time. Re-derivation writes a **new root**:

* every stored event is copied, except the derived ones of the provider received in the range
  (``ts_recv`` in ``[from, to)``, types in :data:`DERIVED`);
* the provider's raw frames received in the range go through a fresh instance of the
  provider's wire protocol (``parse(frame, ts_recv)``, the code ``mdc collect`` runs) and the
  collectors (books, BBO, aggressor side, sequence checks), and what comes out is written;
* ``_raw`` and ``_bad`` are copied (so the new version can be re-derived again), as are the
  other ``_`` directories and the control files that are not the store's own; a frame today's
  parser rejects goes to the new root's ``_bad`` and is counted, never fatal.

Gaps, statuses and corporate actions are copied as stored: a disconnect or a halt is a fact of
the collection, not of parsing (a parser that now finds a sequence hole adds its gap; one it
no longer finds is not removed). The raw capture has no connection boundaries, so the parser is
not reset between connections of a day; the collector resets on each reconnect, which matters
only to continuity checks across an outage.

The report counts rows removed and added per (type, UTC day of ``ts_event``), comparing whole
rows (a multiset of their JSON encodings), so an unchanged re-derivation reports nothing.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import msgspec

from mdc.collectors.chain import Collectors
from mdc.config.schema import Config, StorageConfig
from mdc.domain.events import TAGS, TYPE_NAMES, TYPES_BY_NAME, Event, encode_json
from mdc.domain.time import NS_PER_DAY, NS_PER_S, date_to_ns, ns_to_date
from mdc.providers.base import ProviderError
from mdc.providers.connection import Reconnect
from mdc.providers.registry import get_spec, load_class
from mdc.storage import open_store
from mdc.storage.archive import Archive, TimeArg, to_ns
from mdc.storage.arrow import from_table
from mdc.storage.fsutil import DirLock, exchange_paths
from mdc.storage.layout import CONTROL_DIR, RAW_DIR
from mdc.storage.raw import iter_raw, raw_days
from mdc.storage.reader import read_jsonl_table, read_parquet_table

DERIVED: Final = frozenset(
    ("trades", "quotes", "book_deltas", "book_snapshots", "bars", "integrity")
)
"""Types replaced by the re-derivation (what a parser and the collectors make of frames)."""
STORE_OWN: Final = frozenset(
    ("LOCK", "checkpoint.json", "layout.json", "wal", "wal-archive", "tmp")
)
"""Control files a store writes for itself: never copied into a new version."""
BATCH_FRAMES: Final = 2_000
COPY_BATCH: Final = 50_000


class RederiveError(ValueError):
    """Cannot re-derive: the message says what to change."""


class Change(msgspec.Struct, kw_only=True):
    type: str
    day: str
    removed: int
    added: int


class RederiveReport(msgspec.Struct, kw_only=True):
    provider: str
    source: str
    out: str
    from_ns: int
    to_ns: int
    covered_from_ns: int
    covered_to_ns: int
    """The first and one past the last raw frame's ``ts_recv`` in the range: only events
    received in this span are replaced (before raw capture was on, they stay as stored)."""
    frames: int = 0
    bad_frames: int = 0
    resets: int = 0
    """Frames after which the live connection would have ended (the parser is reset)."""
    bad_examples: list[str] = []
    copied: int = 0
    replaced: int = 0
    derived: int = 0
    changes: list[Change] = []

    @property
    def unchanged(self) -> bool:
        return not self.changes


class _NullSink:
    """A provider is built with a sink; re-derivation never runs its connection."""

    async def publish(self, events: list[Event]) -> None:
        raise AssertionError("re-derivation does not publish")

    def raw(self, provider: str, ts_recv: int, data: bytes | str) -> None:
        pass

    def bad_frame(self, provider: str, ts_recv: int, data: bytes | str, error: str) -> None:
        pass


def _parser(config: Config, provider: str) -> Any:
    """The provider's wire protocol, fresh (its ``parse`` is what ``mdc collect`` runs)."""
    spec = get_spec(provider)
    if spec.streaming is None:
        raise RederiveError(f"{provider} has no live stream, so no raw frames to re-derive")
    stream = load_class(spec.streaming)(config, _NullSink())
    make = getattr(stream, "make_protocol", None)
    if make is None:
        raise RederiveError(
            f"{provider} is not a WebSocket provider, the kind whose frames rederive re-parses "
            "(NYSE captures are re-read with `mdc import nyse-xdp`)"
        )
    return make()


def _digest(ev: Event) -> bytes:
    return hashlib.blake2b(encode_json(ev), digest_size=16).digest()


def _day(ts: int) -> str:
    return ns_to_date(ts).isoformat()


def _storage_for(source: Archive, out: Path, fmt: str) -> StorageConfig:
    spec = source.spec
    return StorageConfig(
        root=str(out),
        format=fmt,  # type: ignore[arg-type]
        layout=spec.layout,
        partition=spec.partition,
        provider_in_path=spec.provider_in_path,
        file_prefix=spec.file_prefix,
        raw_capture=False,
    )


def _source_format(source: Archive) -> str:
    formats = {f.format for f in source.files()}
    return "both" if formats == {"jsonl", "parquet"} else (formats.pop() if formats else "jsonl")


def _stored(source: Archive) -> Iterator[list[Event]]:
    """Every stored event, partition by partition, in chunks."""
    for p in source.partitions():
        cls = TYPES_BY_NAME[p.type_name]
        for f in p.files(source.source):
            table = (
                read_parquet_table(f.path, cls)
                if f.format == "parquet"
                else (read_jsonl_table(f.path, cls))
            )
            for start in range(0, table.num_rows, COPY_BATCH):
                yield from_table(cls, table.slice(start, COPY_BATCH))


def rederive(
    config: Config,
    source_root: Path,
    out: Path,
    provider: str,
    start: TimeArg,
    end: TimeArg,
) -> RederiveReport:
    """Write the new version of ``source_root`` to ``out`` (which must not exist yet)."""
    lo, hi = to_ns(start), to_ns(end, end=True)
    if lo is None or hi is None or lo >= hi:
        raise RederiveError("--from and --to are required, --from before --to")
    if out.exists():
        raise RederiveError(f"{out} exists; re-derivation writes a new archive version there")
    source = Archive(source_root)
    days = [
        (d, path)
        for d, path in raw_days(source_root / RAW_DIR, provider)
        if date_to_ns(d) < hi and date_to_ns(d) + NS_PER_DAY > lo
    ]
    if not days:
        raise RederiveError(
            f"no raw frames of {provider} in {source_root / RAW_DIR} for that range; raw "
            "capture ([storage] raw_capture = true) must have been on while collecting"
        )
    covered = _coverage([path for _, path in days], lo, hi)
    if covered is None:
        raise RederiveError(f"no raw frames of {provider} were received in that range")
    protocol = _parser(config, provider)
    spec = get_spec(provider)
    report = RederiveReport(
        provider=provider,
        source=str(source_root),
        out=str(out),
        from_ns=lo,
        to_ns=hi,
        covered_from_ns=covered[0],
        covered_to_ns=covered[1],
    )
    lo, hi = covered  # events outside what the capture holds stay as stored
    before: Counter[tuple[str, str, bytes]] = Counter()
    after: Counter[tuple[str, str, bytes]] = Counter()
    out.mkdir(parents=True)
    _carry_over(source_root, out)
    store = open_store(_storage_for(source, out, _source_format(source)))
    try:
        for batch in _stored(source):
            keep: list[Event] = []
            for ev in batch:
                name = TYPE_NAMES[type(ev)]
                if name in DERIVED and ev.provider == provider and lo <= ev.ts_recv < hi:
                    before[(name, _day(ev.ts_event), _digest(ev))] += 1
                    report.replaced += 1
                else:
                    keep.append(ev)
            if keep:
                store.append(keep)
                report.copied += len(keep)
        collectors = _collectors(config)
        collectors.register_provider(spec.name, spec.capabilities)
        pending: list[Event] = []
        for _, path in days:
            for ts_recv, data in iter_raw(path):
                if not lo <= ts_recv < hi:
                    continue
                report.frames += 1
                if protocol.is_heartbeat(data):
                    continue
                try:
                    pending.extend(protocol.parse(data, ts_recv))
                except (Reconnect, ProviderError):
                    report.resets += 1  # live, the connection ended here and was reset
                    protocol.reset()
                except Exception as exc:  # as live: a bad frame never stops the run
                    error = f"{type(exc).__name__}: {exc}"
                    report.bad_frames += 1
                    if len(report.bad_examples) < 5:
                        report.bad_examples.append(error[:300])
                    store.write_bad_frame(provider, ts_recv, data, error)
                if report.frames % BATCH_FRAMES == 0 and pending:
                    _write(store, collectors, pending, after, report)
                    pending = []
        if pending:
            _write(store, collectors, pending, after, report)
    finally:
        store.close()
    report.changes = _changes(before, after)
    return report


def rederive_in_place(
    config: Config,
    root: Path,
    provider: str,
    start: TimeArg,
    end: TimeArg,
    now: datetime | None = None,
) -> tuple[RederiveReport, Path]:
    """Re-derive ``root`` itself: the new version is built beside it under the root's lock (no
    collector can write meanwhile), then swapped in with one atomic exchange; the previous
    version is kept at the returned path (``<root>.before-rederive-<time>``)."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S")
    work = root.with_name(f".{root.name}.rederive-{stamp}")
    kept = root.with_name(f"{root.name}.before-rederive-{stamp}")
    for path in (work, kept):
        if path.exists():
            raise RederiveError(f"{path} exists (an earlier run?): look at it, then move it away")
    lock = DirLock(root / CONTROL_DIR / "LOCK")
    lock.acquire()
    try:
        try:
            report = rederive(config, root, work, provider, start, end)
        except BaseException:
            if work.exists():
                shutil.rmtree(work)  # a half-written new version, never swapped in
            raise
        try:
            exchange_paths(work, root)
        except OSError as exc:
            raise RederiveError(
                f"{exc}; the new version is complete at {work}: swap it in by hand, or use --out"
            ) from exc
        os.rename(work, kept)  # before this, the previous version is at `work`: still kept
    finally:
        lock.release()
    report.out = str(root)
    return report, kept


def _coverage(paths: list[Path], lo: int, hi: int) -> tuple[int, int] | None:
    """``ts_recv`` of the first raw frame in ``[lo, hi)`` and one past the last one."""
    first = next((ts for path in paths for ts, _ in iter_raw(path) if lo <= ts < hi), None)
    if first is None:
        return None
    for path in reversed(paths):
        last = max((ts for ts, _ in iter_raw(path) if lo <= ts < hi), default=None)
        if last is not None:
            return first, last + 1
    return None


def _carry_over(source: Path, out: Path) -> None:
    """What is not events comes along: raw and bad frames, backfill jobs, packages, and the
    control files (imports, instruments, watchlists) but the store's own (WAL, checkpoint,
    layout, lock), which the new version's store writes."""
    for entry in sorted(source.iterdir()):
        if not entry.name.startswith("_"):
            continue  # event data: copied event by event
        if entry.name != CONTROL_DIR:
            _copy(entry, out / entry.name)
            continue
        for item in sorted(entry.iterdir()):
            if item.name not in STORE_OWN:
                _copy(item, out / CONTROL_DIR / item.name)


def _copy(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    if src.is_dir():
        shutil.copytree(src, dst)
    else:
        shutil.copy2(src, dst)


def _collectors(config: Config) -> Collectors:
    """The collectors as the runtime builds them for ``config``."""
    depth = max((s.depth_levels for s in config.symbol_configs()), default=10)
    return Collectors(
        depth_levels=depth, stale_after_ns=int(config.pipeline.stale_after_s * NS_PER_S)
    )


def _write(
    store: Any,
    collectors: Collectors,
    events: list[Event],
    after: Counter[tuple[str, str, bytes]],
    report: RederiveReport,
) -> None:
    batch = collectors.process(events)
    keep: list[Event] = []
    gaps: list[Event] = []
    for ev in batch:
        name = TYPE_NAMES[type(ev)]
        if name in DERIVED:
            after[(name, _day(ev.ts_event), _digest(ev))] += 1
            keep.append(ev)
        elif TAGS[type(ev)] == "gap":
            gaps.append(ev)
    if keep:
        store.append(keep)
        report.derived += len(keep)
    if gaps:
        store.append(gaps, dedup=True)  # the stored gaps were copied; a new one is added
        report.derived += len(gaps)


def _changes(
    before: Counter[tuple[str, str, bytes]], after: Counter[tuple[str, str, bytes]]
) -> list[Change]:
    removed: Counter[tuple[str, str]] = Counter()
    added: Counter[tuple[str, str]] = Counter()
    for (t, d, _), n in (before - after).items():
        removed[(t, d)] += n
    for (t, d, _), n in (after - before).items():
        added[(t, d)] += n
    keys = sorted(set(removed) | set(added))
    return [Change(type=t, day=d, removed=removed[(t, d)], added=added[(t, d)]) for t, d in keys]
