"""The store: WAL first, then the archive (JSONL and/or Parquet), checkpoints, recovery.

One ``Store`` per archive root and process (``_mdc/LOCK``). All methods run on the caller's
thread (the asyncio loop); fsyncs happen on two worker threads (WAL group commit, checkpoints).
The protocol, and why it is exactly once, is in docs/durability.md.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Hashable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, Final

import msgspec

from mdc.config.schema import StorageConfig
from mdc.domain.events import (
    TYPE_NAMES,
    Event,
    Integrity,
    encode_msgpack_batch,
)
from mdc.domain.time import NS_PER_S, now_ns
from mdc.storage import checkpoint as ckpt
from mdc.storage.checkpoint import Checkpoint, CheckpointCorrupt, Checkpointer, Entry, Job
from mdc.storage.dedup import filter_new, load_partition_keys
from mdc.storage.fsutil import (
    DirLock,
    StorageError,
    atomic_write,
    free_bytes,
    is_no_space,
)
from mdc.storage.jsonl import JsonlFile, JsonlFiles
from mdc.storage.layout import (
    BAD_DIR,
    CONTROL_DIR,
    EXTENSIONS,
    RAW_DIR,
    Layout,
    LayoutSpec,
    label_range,
    read_spec,
)
from mdc.storage.parquet import PartitionWriter, new_writer_id
from mdc.storage.raw import FrameLog, frame_fields
from mdc.storage.recovery import ISSUE_SYMBOL, Issue, cut_outputs, remove_unfinished_parts
from mdc.storage.retention import RetentionReport, Unit, delete, plan, scan_units
from mdc.storage.wal import (
    FLAG_DEDUP,
    KIND_JSONL,
    KIND_MSGPACK,
    MAX_RECORD_EVENTS,
    WalError,
    WalWriter,
    decode_payload,
    recover_segments,
)
from mdc.storage.wal import last_lsn as wal_last_lsn

log = logging.getLogger(__name__)

TICK_S: Final = 0.05
"""Housekeeping (checkpoint due? disk? retention?) is looked at most this often."""
DISK_CHECK_INTERVAL_S: Final = 1.0
RESUME_POLL_S: Final = 0.5
RESUME_MARGIN_MB: Final = 16
"""Hysteresis: resume when free space exceeds min_free_mb by this (or 5 % of the disk)."""
RETENTION_INTERVAL_S: Final = 600.0
MB: Final = 1024 * 1024

PartKey = tuple[type[Event], str, str, str | None]
"""(event class, symbol, partition label, provider when in the path)."""


class StoragePaused(RuntimeError):
    """The store cannot write now (disk full, I/O error); nothing of the batch past
    ``acknowledged`` events was written. Retry ``batch[acknowledged:]`` after
    ``await store.wait_writable()``."""

    def __init__(self, reason: str, acknowledged: int = 0) -> None:
        super().__init__(reason)
        self.reason = reason
        self.acknowledged = acknowledged


class LayoutMismatch(StorageError):
    """The config's layout differs from the one the archive root was created with."""


class Store:
    """The :class:`~mdc.storage.base.EventStore` of a running collector."""

    def __init__(self, config: StorageConfig) -> None:
        self.config = config
        self.root = Path(config.root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.control = self.root / CONTROL_DIR
        self.sync = config.wal.fsync != "off"
        self._lock = DirLock(self.control / "LOCK")
        self._lock.acquire()
        self._closed = False
        try:
            self._setup()
        except BaseException:
            self._lock.release()
            raise

    # -- setup and recovery ------------------------------------------------------------------
    def _setup(self) -> None:
        cfg = self.config
        spec = LayoutSpec(
            layout=cfg.layout,
            partition=cfg.partition,
            provider_in_path=cfg.provider_in_path,
            file_prefix=cfg.file_prefix,
        )
        existing = read_spec(self.root)
        if existing is None:
            atomic_write(self.control / "layout.json", msgspec.json.encode(spec), self.sync)
        elif existing != spec:
            raise LayoutMismatch(
                f"archive {self.root} was created with layout {msgspec.to_builtins(existing)}; "
                f"the config asks for {msgspec.to_builtins(spec)}. Use a new storage.root or "
                "the archive's settings."
            )
        self.layout = Layout(spec)
        self._div = self.layout.bucket_ns
        self._with_provider = spec.provider_in_path
        self._jsonl_on = cfg.format in ("jsonl", "both")
        self._parquet_on = cfg.format in ("parquet", "both")
        self._encoder = msgspec.json.Encoder()
        self._jsonl = JsonlFiles(cfg.max_open_files)
        self._writers: dict[PartKey, PartitionWriter] = {}
        self._jsonl_paths: dict[PartKey, str] = {}
        self._parquet_dirs: dict[PartKey, str] = {}
        self._keysets: dict[tuple[str, PartKey], set[Hashable]] = {}
        self._retained: dict[str, Entry] = {}
        self._to_sync: list[Path] = []
        self._new_dirs: set[Path] = set()
        self._skip: dict[str, int] | None = None
        self._pq_buffered = 0
        self._pending_writer_ids: dict[PartKey, str] = {}
        # counters
        self.events_acknowledged = 0
        self.events_written = 0
        self.events_deduplicated = 0
        self.bytes_written = 0
        self.parquet_parts = 0
        self.errors = 0
        self.last_error = ""
        self.issues: list[Issue] = []
        self.replayed_records = 0
        self.replayed_events = 0
        self.wal_corrupt_records = 0
        self.wal_quarantined_bytes = 0
        self.retention = RetentionReport()
        self._paused: str | None = None
        self._needs_rebuild = False
        self._disk_free = free_bytes(self.root)
        self._min_free = cfg.min_free_mb * MB
        # Also look at the disk after this many bytes: a fast writer fills it between ticks.
        self._disk_check_bytes = max(MB, self._min_free // 4)
        self._disk_check_at = 0
        now = time.monotonic()
        self._next_tick = now + TICK_S
        self._next_disk = now + DISK_CHECK_INTERVAL_S
        self._next_checkpoint = now + cfg.checkpoint_interval_s
        self._next_retention = now + RETENTION_INTERVAL_S
        self._next_resume = 0.0
        self._retention_pool = ThreadPoolExecutor(1, thread_name_prefix="retention")
        self._retention_job: Future[list[Unit]] | None = None
        self._raw = FrameLog(self.root / RAW_DIR, compressed=True)
        self._bad = FrameLog(self.root / BAD_DIR, compressed=False)

        cp = self._read_checkpoint()
        self._checkpointer = Checkpointer(
            self.control / "checkpoint.json",
            wal=None,
            sync=self.sync,
            wal_archive=(self.control / "wal-archive") if cfg.wal.keep_segments else None,
            last=cp or Checkpoint(created_ns=now_ns()),
        )
        self._L = cp.lsn if cp is not None else 0
        self._P = self._L
        self._snapshot_lsn = self._L
        """``P`` at the previous snapshot: outputs written after it are not idle."""
        try:
            last_lsn = self._recover(cp)
        except OSError as exc:
            # Disk full (or an I/O error) while rebuilding: start paused, rebuild on resume.
            last_lsn = max(self._P, wal_last_lsn(self.control / "wal"))
            self._archive_failed(exc)
        self._wal = WalWriter(
            self.control / "wal",
            next_lsn=max(self._L, last_lsn, self._P) + 1,
            policy=cfg.wal.fsync,
            interval_ms=cfg.wal.fsync_interval_ms,
            segment_max_bytes=cfg.wal.segment_max_mb * MB,
            segment_max_age_s=cfg.wal.segment_max_age_s,
        )
        self._checkpointer.wal = self._wal
        self._check_disk()
        if self._paused is None:
            try:
                self._checkpoint(blocking=True)
            except OSError as exc:
                self._archive_failed(exc)
        self._report_issues()
        self._start_retention()

    def _read_checkpoint(self) -> Checkpoint | None:
        try:
            return ckpt.read(self.control / "checkpoint.json")
        except CheckpointCorrupt as exc:
            self._issue(
                "checkpoint_corrupt",
                "error",
                f"{self.control / 'checkpoint.json'}: {exc}; replaying the whole WAL with "
                "dedup, nothing cut",
            )
            return None

    def _recover(self, cp: Checkpoint | None) -> int:
        """Cut outputs to the checkpoint and replay the WAL after it; returns the last LSN."""
        if cp is not None:
            issues, cut = cut_outputs(self.root, cp, self.sync)
            for issue in issues:
                self._issue(issue.kind, issue.severity, issue.detail)
            if cut:
                log.info("recovery: cut %d uncommitted bytes/parts back to the checkpoint", cut)
            self._retained = {e.path: e for e in cp.entries}
            skip = {e.path: e.lsn for e in cp.entries}
        else:
            remove_unfinished_parts(self.root)
            skip = {}
        return self._replay(self._L, skip, dedup_all=cp is None and self._has_wal())

    def _has_wal(self) -> bool:
        wal_dir = self.control / "wal"
        return wal_dir.is_dir() and any(wal_dir.iterdir())

    def _replay(self, after: int, skip: dict[str, int], dedup_all: bool) -> int:
        last_lsn = after
        expected: int | None = None if dedup_all else after + 1  # no checkpoint: no known start
        self._skip = skip
        try:
            scans = recover_segments(
                self.control / "wal", after, self.control / "quarantine", self.sync
            )
            for scan, data in scans:
                for damage in scan.damage:
                    self.wal_quarantined_bytes += damage.end - damage.start
                    if damage.next_lsn is not None and damage.next_lsn - 1 <= after:
                        log.warning(
                            "WAL %s: damaged bytes at offset %d held only records the "
                            "checkpoint already committed; nothing lost",
                            scan.path.name,
                            damage.start,
                        )
                        continue
                    self.wal_corrupt_records += 1
                    self._issue(
                        damage.kind,
                        "error",
                        f"WAL segment {scan.path.name}: {damage.end - damage.start} bytes at "
                        f"offset {damage.start} hold no intact record; moved to "
                        f"{CONTROL_DIR}/quarantine",
                    )
                for rec in scan.records:
                    if expected is not None and rec.lsn != expected:
                        self._issue(
                            "wal_missing_records",
                            "error",
                            f"WAL records {expected}..{rec.lsn - 1} are missing (a segment was "
                            f"cut or lost before {scan.path.name})",
                        )
                    expected = rec.lsn + 1
                    events = decode_payload(data, rec)
                    dedup = dedup_all or bool(rec.flags & FLAG_DEDUP)
                    self._write_archive(self._route(events), None, rec.lsn, dedup)
                    self._P = rec.lsn
                    self.replayed_records += 1
                    self.replayed_events += len(events)
                last_lsn = max(last_lsn, scan.last_lsn)
        finally:
            self._skip = None
        if self.replayed_records:
            log.info(
                "recovery: replayed %d WAL records (%d events) after LSN %d",
                self.replayed_records,
                self.replayed_events,
                after,
            )
        return last_lsn

    def _issue(self, kind: str, severity: str, detail: str) -> None:
        log.error("storage integrity: %s: %s", kind, detail)
        self.issues.append(Issue(kind, severity, detail))  # type: ignore[arg-type]

    def _report_issues(self) -> None:
        """Integrity events for what recovery found, through the normal (WAL) path."""
        if not self.issues:
            return
        now = now_ns()
        events: list[Event] = [
            Integrity(
                symbol=ISSUE_SYMBOL,
                venue="",
                provider="mdc",
                ts_event=now,
                ts_recv=now,
                kind=issue.kind,
                severity=issue.severity,
                detail=issue.detail,
            )
            for issue in self.issues
        ]
        try:
            self.append(events)
        except StoragePaused as exc:
            log.error("cannot record %d integrity events now: %s", len(events), exc.reason)

    # -- the write path ----------------------------------------------------------------------
    @property
    def writable(self) -> bool:
        return self._paused is None and not self._closed

    @property
    def acknowledged_lsn(self) -> int:
        """The newest record the fsync policy vouches for (fsynced; written with ``off``)."""
        return self._wal.durable_lsn

    @property
    def wal_lsn(self) -> int:
        """The newest record written to the WAL (survives a process crash)."""
        return self._wal.written_lsn

    def append(self, batch: list[Event], *, dedup: bool = False) -> None:
        """Acknowledge ``batch`` (WAL) and write it to the archive; see :class:`StoragePaused`.

        ``dedup=True`` for re-written data (backfill, replay): events whose natural key the
        partition already holds are dropped.
        """
        if self._closed:
            raise StoragePaused("the store is closed")
        now = time.monotonic()
        if now >= self._next_tick:
            self._tick(now)
        done = 0
        while done < len(batch):
            if self._paused is not None and not self._try_resume():
                raise StoragePaused(self._paused, acknowledged=done)
            chunk = batch[done : done + MAX_RECORD_EVENTS]
            groups = self._route(chunk)
            encoded: list[bytes] | None = None
            if self._jsonl_on:  # one JSON encoding serves the WAL and the JSONL files
                encode = self._encoder.encode_lines
                encoded = [encode(g) for g in groups.values()]
                payload, kind = encoded, KIND_JSONL
            else:
                payload, kind = [encode_msgpack_batch(chunk)], KIND_MSGPACK
            try:
                lsn = self._wal.append(payload, kind, len(chunk), FLAG_DEDUP if dedup else 0)
            except WalError as exc:
                self._pause(exc.strerror or str(exc), rebuild=False)
                raise StoragePaused(self._paused or "", acknowledged=done) from exc
            done += len(chunk)
            self.events_acknowledged += len(chunk)
            if self._wal.bytes_written >= self._disk_check_at:
                self._check_disk()
            try:
                self._write_archive(groups, encoded, lsn, dedup)
            except OSError as exc:
                self._archive_failed(exc)
            self._P = lsn

    def _route(self, batch: list[Event]) -> dict[PartKey, list[Event]]:
        """Events grouped by output partition, each group in batch order."""
        div = self._div
        groups: dict[tuple[Any, ...], list[Event]] = {}
        get = groups.get
        if self._with_provider:
            for e in batch:
                k: tuple[Any, ...] = (e.__class__, e.symbol, e.ts_event // div, e.provider)
                g = get(k)
                if g is None:
                    groups[k] = [e]
                else:
                    g.append(e)
        else:
            for e in batch:
                k = (e.__class__, e.symbol, e.ts_event // div)
                g = get(k)
                if g is None:
                    groups[k] = [e]
                else:
                    g.append(e)
        label = self.layout.label
        out: dict[PartKey, list[Event]] = {}
        merged = False
        for k, events in groups.items():
            pk: PartKey = (k[0], k[1], label(k[2]), k[3] if self._with_provider else None)
            if pk in out:
                merged = True
                out[pk] = out[pk] + events
            else:
                out[pk] = events
        if merged:  # several buckets share a label (monthly, none): restore batch order
            for pk in out:
                out[pk] = [e for e in batch if self._partkey(e) == pk]
        return out

    def _partkey(self, e: Event) -> PartKey:
        return (
            e.__class__,
            e.symbol,
            self.layout.label(e.ts_event // self._div),
            e.provider if self._with_provider else None,
        )

    def _write_archive(
        self,
        groups: dict[PartKey, list[Event]],
        encoded: list[bytes] | None,
        lsn: int,
        dedup: bool,
    ) -> None:
        """Write one record's groups (``encoded``: their JSON lines, when already made).

        During replay an output gets a record only if the record is above the output's entry
        in the checkpoint; outputs that get nothing are not even opened (or registered).
        """
        targets = self._targets(groups, lsn)
        self._register_new_outputs(targets, lsn)
        keysets = self._keysets
        for i, (pk, group) in enumerate(groups.items()):
            to_jsonl, to_parquet = targets[pk]
            count = 0
            if to_jsonl:
                events = group
                if dedup or ("jsonl", pk) in keysets:
                    events = self._dedup("jsonl", pk, group)
                if events:
                    f = self._jsonl.get(pk) or self._open_jsonl(pk, lsn)
                    before = f.size
                    if encoded is not None and events is group:
                        f.write(encoded[i], lsn)
                    else:
                        f.write(self._encoder.encode_lines(events), lsn)
                    self.bytes_written += f.size - before
                    count = len(events)
            if to_parquet:
                events = group
                if dedup or ("parquet", pk) in keysets:
                    events = self._dedup("parquet", pk, group, count_dropped=not to_jsonl)
                if events:
                    w = self._writers.get(pk) or self._open_writer(pk, lsn)
                    before = w.buffered
                    w.write(events, lsn)
                    self._pq_buffered += w.buffered - before
                    if w.part_rows + w.buffered >= self.config.parquet_part_max_rows:
                        self._finish_part(w)
                    count = max(count, len(events))
            self.events_written += count
        if self._pq_buffered > self.config.parquet_max_buffered_rows:
            self._spill_row_groups()

    def _targets(
        self, groups: dict[PartKey, list[Event]], lsn: int
    ) -> dict[PartKey, tuple[bool, bool]]:
        """Per group: (write to JSONL, write to Parquet)."""
        both = (self._jsonl_on, self._parquet_on)
        skip = self._skip
        if skip is None:
            return dict.fromkeys(groups, both)
        floor = self._L
        return {
            pk: (
                self._jsonl_on and lsn > max(skip.get(v, floor) for v in self._jsonl_variants(pk)),
                self._parquet_on and lsn > skip.get(self._parquet_rel(pk), floor),
            )
            for pk in groups
        }

    def _jsonl_variants(self, pk: PartKey) -> list[str]:
        """The partition's JSONL paths in every codec: a root whose ``compression`` changed
        holds one file per codec, each committed up to its own entry's LSN."""
        return [
            self.layout.jsonl_path(TYPE_NAMES[pk[0]], pk[1], pk[2], pk[3], codec)
            for codec in EXTENSIONS
        ]

    def _dedup(
        self, fmt: str, pk: PartKey, events: list[Event], count_dropped: bool = True
    ) -> list[Event]:
        """Drop events the output already holds. Key sets are per format: during replay the
        JSONL and Parquet outputs of a partition may be committed to different points."""
        key = (fmt, pk)
        seen = self._keysets.get(key)
        if seen is None:
            seen = self._keysets[key] = self._load_keys(fmt, pk)
        out = filter_new(pk[0], events, seen)
        if count_dropped:
            self.events_deduplicated += len(events) - len(out)
        return out

    def _load_keys(self, fmt: str, pk: PartKey) -> set[Hashable]:
        """The natural keys the output holds now (its files flushed, its part finished)."""
        if fmt == "jsonl":
            f = self._jsonl.get(pk)
            if f is not None:
                f.end_frame()
        else:
            w = self._writers.get(pk)
            if w is not None and w.pending:
                self._finish_part(w)
        cls, symbol, label, provider = pk
        return load_partition_keys(self.root, self.layout, cls, symbol, label, provider, fmt)

    # -- outputs -----------------------------------------------------------------------------
    def _jsonl_rel(self, pk: PartKey) -> str:
        rel = self._jsonl_paths.get(pk)
        if rel is None:
            if len(self._jsonl_paths) > 100_000:
                self._jsonl_paths.clear()
            rel = self._jsonl_paths[pk] = self.layout.jsonl_path(
                TYPE_NAMES[pk[0]], pk[1], pk[2], pk[3], self.config.compression
            )
        return rel

    def _parquet_rel(self, pk: PartKey) -> str:
        rel = self._parquet_dirs.get(pk)
        if rel is None:
            if len(self._parquet_dirs) > 100_000:
                self._parquet_dirs.clear()
            rel = self._parquet_dirs[pk] = self.layout.parquet_dir(
                TYPE_NAMES[pk[0]], pk[1], pk[2], pk[3]
            )
        return rel

    def _register_new_outputs(self, targets: dict[PartKey, tuple[bool, bool]], lsn: int) -> None:
        """Outputs about to get their first bytes go into the checkpoint first."""
        covered = self._checkpointer.covered
        entries = []
        for pk, (to_jsonl, to_parquet) in targets.items():
            if to_jsonl and pk not in self._jsonl.open:
                rel = self._jsonl_rel(pk)
                if rel not in covered:
                    try:
                        length = (self.root / rel).stat().st_size
                    except FileNotFoundError:
                        length = 0
                    entries.append(Entry(path=rel, kind="jsonl", lsn=lsn - 1, length=length))
            if to_parquet and pk not in self._writers:
                rel = self._parquet_rel(pk)
                writer = new_writer_id()
                self._pending_writer_ids[pk] = writer
                entries.append(Entry(path=rel, kind="parquet", lsn=lsn - 1, writer=writer))
        if entries:
            self._checkpointer.register(entries)

    def _track_new_dirs(self, directory: Path) -> None:
        """Remember directories to fsync: the file's own and those mkdir is about to create."""
        d = directory
        while not d.exists():
            self._new_dirs.add(d.parent)
            d = d.parent
        self._new_dirs.add(directory)

    def _open_jsonl(self, pk: PartKey, lsn: int) -> JsonlFile:
        rel = self._jsonl_rel(pk)
        self._track_new_dirs((self.root / rel).parent)
        f = JsonlFile(self.root, rel, self.config.compression, pk, label_range(pk[2])[1], lsn - 1)
        self._retained.pop(rel, None)
        for old in self._jsonl.add(f):
            self._close_jsonl(old, lsn)
        return f

    def _close_jsonl(self, f: JsonlFile, lsn: int) -> None:
        """Close an output; its entry stays in checkpoints until L passes it."""
        entry_lsn = lsn if f.last_lsn >= lsn else lsn - 1
        was_dirty = f.dirty
        f.close()
        if was_dirty:
            self._to_sync.append(f.path)
        self._retained[f.rel] = Entry(path=f.rel, kind="jsonl", lsn=entry_lsn, length=f.length)
        self._keysets.pop(("jsonl", f.key), None)  # type: ignore[arg-type]

    def _open_writer(self, pk: PartKey, lsn: int) -> PartitionWriter:
        rel = self._parquet_rel(pk)
        self._track_new_dirs(self.root / rel)
        w = PartitionWriter(
            self.root,
            rel,
            pk[0],
            pk,
            label_range(pk[2])[1],
            lsn - 1,
            self.config.parquet_row_group_rows,
        )
        writer_id = self._pending_writer_ids.pop(pk, None)
        if writer_id is None:  # reopened within the batch after an eviction
            writer_id = w.writer
            self._checkpointer.register(
                [Entry(path=rel, kind="parquet", lsn=lsn - 1, writer=writer_id)]
            )
        w.writer = writer_id
        self._retained.pop(rel, None)
        self._writers[pk] = w
        while len(self._writers) > self.config.max_open_files:
            oldest = next(iter(self._writers))
            self._close_writer(self._writers[oldest], lsn)
        return w

    def _finish_part(self, w: PartitionWriter) -> None:
        self._pq_buffered -= w.buffered
        done = w.finish()
        if done is not None:
            self._to_sync.append(done)
            self.parquet_parts += 1
            self.bytes_written += done.stat().st_size

    def _close_writer(self, w: PartitionWriter, lsn: int) -> None:
        self._finish_part(w)
        del self._writers[w.key]  # type: ignore[arg-type]
        entry_lsn = lsn if w.last_lsn >= lsn else lsn - 1
        self._retained[w.rel] = Entry(path=w.rel, kind="parquet", lsn=entry_lsn, writer=w.writer)
        self._keysets.pop(("parquet", w.key), None)  # type: ignore[arg-type]

    def _spill_row_groups(self) -> None:
        """Too many rows buffered: write the largest buffers out as row groups."""
        target = self.config.parquet_max_buffered_rows // 2
        for w in sorted(self._writers.values(), key=lambda w: w.buffered, reverse=True):
            if self._pq_buffered <= target:
                break
            self._pq_buffered -= w.buffered
            w.flush_row_group()

    # -- checkpoints and housekeeping --------------------------------------------------------
    def _tick(self, now: float) -> None:
        self._next_tick = now + TICK_S
        if now >= self._next_disk:
            self._next_disk = now + DISK_CHECK_INTERVAL_S
            self._check_disk()
        if now >= self._next_checkpoint and self._paused is None:
            self._next_checkpoint = now + self.config.checkpoint_interval_s
            if not self._checkpointer.busy:
                try:
                    self._checkpoint(blocking=False)
                except OSError as exc:
                    self._archive_failed(exc)
        if now >= self._next_retention:
            self._next_retention = now + RETENTION_INTERVAL_S
            self._start_retention()
        if self._retention_job is not None:
            self._collect_retention()

    def maintain(self) -> None:
        """Housekeeping without an append (a quiet feed): call every ~0.1 s from the loop."""
        if not self._closed:
            now = time.monotonic()
            if now >= self._next_tick:
                self._tick(now)
            if self._paused is not None:
                self._try_resume()

    def _checkpoint(self, blocking: bool) -> None:
        """Snapshot the outputs (loop thread), then fsync + write the checkpoint."""
        job = self._snapshot()
        if blocking:
            self._checkpointer.run_now(job)
        else:
            self._checkpointer.submit(job)

    def _snapshot(self) -> Job:
        P = self._P
        now = now_ns()
        grace = int(self.config.partition_close_grace_s * NS_PER_S)
        max_age = self.config.parquet_part_max_age_s
        mono = time.monotonic()
        # An ended partition closes once idle for a checkpoint interval, so backfills and
        # replays of old days do not close and reopen the files they are writing every second.
        idle = self._snapshot_lsn
        self._snapshot_lsn = P
        for f in list(self._jsonl.open.values()):
            if f.end_ns + grace < now and f.last_lsn <= idle:
                self._jsonl.pop(f.key)
                self._close_jsonl(f, P + 1)
        for w in list(self._writers.values()):
            if w.end_ns + grace < now and w.last_lsn <= idle:
                self._close_writer(w, P + 1)
            elif w.pending and mono - w.part_started >= max_age:
                self._finish_part(w)
        self._raw.flush()
        self._bad.flush()
        job = Job(lsn=P, entries=[])
        for f in self._jsonl.open.values():
            if f.dirty:
                f.end_frame()
                job.fds.append(os.dup(f.fd))
                f.dirty = False
            job.entries.append(Entry(path=f.rel, kind="jsonl", lsn=P, length=f.length))
        L = P
        for w in self._writers.values():
            if w.pending and w.pending_lsn is not None:
                L = min(L, w.pending_lsn - 1)
                job.entries.append(
                    Entry(path=w.rel, kind="parquet", lsn=w.committed_lsn, writer=w.writer)
                )
            else:
                job.entries.append(Entry(path=w.rel, kind="parquet", lsn=P, writer=w.writer))
        job.lsn = L
        self._retained = {p: e for p, e in self._retained.items() if e.lsn > L}
        open_paths = {e.path for e in job.entries}
        job.entries.extend(e for p, e in self._retained.items() if p not in open_paths)
        job.fds.extend(self._raw.dirty_fds() + self._bad.dirty_fds())
        job.paths, self._to_sync = self._to_sync, []
        job.dirs, self._new_dirs = {d for d in self._new_dirs if d.exists()}, set()
        return job

    def checkpoint(self) -> None:
        """A synchronous checkpoint now (tests, shutdown paths)."""
        self._checkpointer.wait()
        self._checkpoint(blocking=True)

    # -- disk guard and errors ---------------------------------------------------------------
    def _check_disk(self) -> None:
        # The archive grows about as fast as the WAL: check again after that much more.
        self._disk_check_at = self._wal.bytes_written + self._disk_check_bytes // 2
        try:
            self._disk_free = free_bytes(self.root)
        except OSError as exc:
            log.warning("cannot read free space of %s: %s", self.root, exc)
            return
        if self._paused is None and self._disk_free < self._min_free:
            self._pause(
                f"free space {self._disk_free // MB} MB < min_free_mb "
                f"{self.config.min_free_mb} MB on {self.root}",
                rebuild=False,
            )

    def _pause(self, reason: str, rebuild: bool) -> None:
        if self._paused is None:
            log.error("storage paused: %s (resumes by itself when space is back)", reason)
            self.errors += 1
            self.last_error = reason
        self._paused = self._paused or reason
        self._needs_rebuild = self._needs_rebuild or rebuild
        self._next_resume = time.monotonic() + RESUME_POLL_S

    def _archive_failed(self, exc: OSError) -> None:
        """An archive write failed after the WAL acknowledged: drop the outputs' state and
        rebuild from the last checkpoint on resume."""
        what = "disk full" if is_no_space(exc) else "I/O error"
        self._pause(f"archive write failed ({what}): {exc.strerror or exc}", rebuild=True)
        self._abandon_outputs()

    def _abandon_outputs(self) -> None:
        for f in self._jsonl.open.values():
            f.abandon()
        self._jsonl.open.clear()
        for w in self._writers.values():
            w.abandon()
        self._writers.clear()
        self._pq_buffered = 0
        self._keysets.clear()
        self._to_sync = []
        self._pending_writer_ids.clear()

    def _try_resume(self) -> bool:
        if self._paused is None:
            return True
        now = time.monotonic()
        if now < self._next_resume:
            return False
        self._next_resume = now + RESUME_POLL_S
        if not self._needs_rebuild:
            self._reclaim_wal()
        try:
            self._disk_free = free_bytes(self.root)
        except OSError:
            return False
        if self._disk_free < self._min_free + self._resume_margin():
            return False
        if self._needs_rebuild:
            try:
                self._rebuild()
            except OSError as exc:
                log.error("storage still cannot write: %s", exc.strerror or exc)
                self._abandon_outputs()
                return False
        log.info("storage resumed (%d MB free)", self._disk_free // MB)
        self._paused = None
        self._needs_rebuild = False
        return True

    def _reclaim_wal(self) -> None:
        """While paused, commit what the archive holds so the WAL behind it can go: on a full
        disk the WAL is the one thing that can shrink without losing anything."""
        if self._checkpointer.last.lsn >= self._P or self._checkpointer.busy:
            return
        try:
            if self._wal.written_lsn >= self._wal.segments()[-1][0]:
                self._wal.roll()
            self._checkpoint(blocking=True)
        except OSError as exc:
            log.debug("checkpoint while paused failed: %s", exc)

    def _resume_margin(self) -> int:
        """Free space above ``min_free_mb`` needed to resume (hysteresis), small disks too."""
        try:
            st = os.statvfs(self.root)
        except OSError:
            return RESUME_MARGIN_MB * MB
        return min(RESUME_MARGIN_MB * MB, st.f_blocks * st.f_frsize // 20)

    def _rebuild(self) -> None:
        """In-process recovery: the archive back to the last checkpoint, then the WAL replayed."""
        self._abandon_outputs()
        self._checkpointer.wait()
        cp = self._checkpointer.last
        self._L = cp.lsn
        self._checkpointer.covered = {e.key for e in cp.entries}
        self._recover(cp)
        self._checkpoint(blocking=True)

    async def wait_writable(self) -> None:
        """Wait until the store accepts appends again (polls the disk every 0.5 s)."""
        while not self._try_resume():
            if self._closed:
                raise StoragePaused("the store is closed")
            await asyncio.sleep(RESUME_POLL_S)

    # -- raw capture -------------------------------------------------------------------------
    def write_raw(self, provider: str, ts_recv: int, data: bytes | str) -> None:
        if not self.config.raw_capture or self._paused is not None or self._closed:
            return
        try:
            self._raw.write_frame(provider, ts_recv, data)
        except OSError as exc:
            self._raw.errors += 1
            self.last_error = f"raw capture write failed: {exc.strerror or exc}"

    def write_bad_frame(self, provider: str, ts_recv: int, data: bytes | str, error: str) -> None:
        if self._closed:
            return
        try:
            self._bad.write(provider, ts_recv, {"error": error, **frame_fields(data)})
        except OSError as exc:
            self._bad.errors += 1
            self.last_error = f"bad-frame write failed: {exc.strerror or exc}"

    # -- retention ---------------------------------------------------------------------------
    def _start_retention(self) -> None:
        """Scan on a worker thread; :meth:`_collect_retention` deletes on this thread."""
        cfg = self.config
        if not (cfg.retention_days or cfg.retention_max_mb) or self._retention_job is not None:
            return
        self._retention_job = self._retention_pool.submit(scan_units, self.root, self.layout)

    def _collect_retention(self) -> None:
        job = self._retention_job
        if job is None or not job.done():
            return
        self._retention_job = None
        try:
            units = job.result()
        except OSError as exc:
            self.errors += 1
            self.last_error = f"retention scan failed: {exc.strerror or exc}"
            log.error("%s", self.last_error)
            return
        cfg = self.config
        chosen = plan(units, cfg.retention_days, cfg.retention_max_mb * MB, now_ns())
        if chosen:
            self.retention.add(delete(chosen, self.root, self._protected))

    def _protected(self, path: Path) -> bool:
        """Open outputs, outputs the checkpoint names, and today's raw files stay."""
        rel = str(path.relative_to(self.root)).replace(os.sep, "/")
        if rel in self._retained or any(e.path == rel for e in self._checkpointer.last.entries):
            return True
        if any(f.rel == rel for f in self._jsonl.open.values()):
            return True
        if any(w.rel == rel for w in self._writers.values()):
            return True
        return path in self._raw.open_paths() or path in self._bad.open_paths()

    # -- shutdown and stats ------------------------------------------------------------------
    def close(self) -> None:
        """Finish parts, flush, fsync and write a final checkpoint; idempotent."""
        if self._closed:
            return
        try:
            if not self._needs_rebuild:
                P = self._P
                for w in list(self._writers.values()):
                    self._close_writer(w, P + 1)
                for f in list(self._jsonl.open.values()):
                    self._jsonl.pop(f.key)
                    self._close_jsonl(f, P + 1)
                self._checkpointer.wait()
                self._checkpoint(blocking=True)
        except OSError as exc:
            # Everything acknowledged is in the WAL: the next start recovers it.
            self.errors += 1
            self.last_error = f"final checkpoint failed: {exc.strerror or exc}"
            log.error("%s; the next start replays the WAL", self.last_error)
            self._abandon_outputs()
        finally:
            self._closed = True
            try:
                self._retention_pool.shutdown(wait=True, cancel_futures=True)
                self._raw.close()
                self._bad.close()
                self._wal.close()
                self._checkpointer.close()
            finally:
                self._lock.release()

    def stats(self) -> dict[str, Any]:
        """Plain numbers for /status and Prometheus (see docs/durability.md)."""
        wal = self._wal
        cp = self._checkpointer
        return {
            "writable": self.writable,
            "paused": self._paused is not None,
            "pause_reason": self._paused,
            "format": self.config.format,
            "fsync_policy": self.config.wal.fsync,
            "wal_lsn": wal.written_lsn,
            "acknowledged_lsn": wal.durable_lsn,
            "wal_bytes": wal.disk_bytes(),
            "wal_segments": len(wal.segments()),
            "wal_bytes_written": wal.bytes_written,
            "fsync_count": wal.fsyncs,
            "fsync_seconds_total": wal.fsync_seconds,
            "fsync_max_seconds": wal.fsync_max_s,
            "fsync_recent_seconds": list(wal.fsync_samples),
            "files_open": len(self._jsonl.open) + len(self._writers),
            "events_acknowledged": self.events_acknowledged,
            "events_written": self.events_written,
            "events_deduplicated": self.events_deduplicated,
            "bytes_written": self.bytes_written,
            "parquet_parts": self.parquet_parts,
            "parquet_buffered_rows": self._pq_buffered,
            "checkpoint_lsn": cp.last.lsn,
            "last_checkpoint_ns": cp.last_ns,
            "checkpoints": cp.count,
            "registrations": cp.registrations,
            "disk_free_bytes": self._disk_free,
            "min_free_bytes": self._min_free,
            "errors": self.errors + wal.errors + cp.errors,
            "last_error": self.last_error or wal.last_error or cp.last_error,
            "recovered_records": self.replayed_records,
            "recovered_events": self.replayed_events,
            "wal_corrupt_records": self.wal_corrupt_records,
            "wal_quarantined_bytes": self.wal_quarantined_bytes,
            "integrity_issues": len(self.issues),
            "raw_frames": self._raw.frames,
            "raw_bytes": self._raw.bytes,
            "bad_frames": self._bad.frames,
            "retention_deleted_files": self.retention.files,
            "retention_deleted_bytes": self.retention.bytes,
        }
