"""The store: WAL first, then the archive (JSONL and/or Parquet), checkpoints, recovery.

One ``Store`` per archive root and process (``_mdc/LOCK``). All methods run on the caller's
thread (the asyncio loop); fsyncs happen on two worker threads (WAL group commit, checkpoints).
This module orchestrates; the jobs live in their own modules: routing (``routing``), the
outputs and their dedup (``outputs``), recovery (``recovery``), checkpoints (``checkpoint``),
the disk guard (``diskguard``), raw capture (``capture``) and retention (``retention``). The
protocol, and why it is exactly once, is in docs/durability.md.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from pathlib import Path
from typing import Any, Final

import msgspec

from mdc.config.schema import StorageConfig
from mdc.domain.events import Event, Integrity, encode_msgpack_batch
from mdc.domain.time import now_ns
from mdc.storage import checkpoint as ckpt
from mdc.storage import diskguard
from mdc.storage.capture import FrameCapture
from mdc.storage.checkpoint import Checkpoint, CheckpointCorrupt, Checkpointer, Job
from mdc.storage.diskguard import DiskGuard
from mdc.storage.fsutil import (
    ArchiveRootError,
    DirLock,
    atomic_write,
    is_no_space,
)
from mdc.storage.layout import CONTROL_DIR, Layout, LayoutSpec, read_spec
from mdc.storage.outputs import Outputs, ReplayFloor
from mdc.storage.positions import Positions
from mdc.storage.recovery import (
    ISSUE_SYMBOL,
    Issue,
    Severity,
    cut_outputs,
    remove_unfinished_parts,
    replay_wal,
)
from mdc.storage.retention import RetentionTask
from mdc.storage.routing import PartKey, Router
from mdc.storage.wal import (
    FLAG_DEDUP,
    KIND_JSONL,
    KIND_MSGPACK,
    MAX_RECORD_EVENTS,
    WalError,
    WalWriter,
)
from mdc.storage.wal import last_lsn as wal_last_lsn
from mdc.storage.wal import pending as wal_pending

log = logging.getLogger(__name__)

TICK_S: Final = 0.05
"""Housekeeping (checkpoint due? disk? retention?) is looked at most this often."""
RETENTION_INTERVAL_S: Final = 600.0
MB: Final = 1024 * 1024

__all__ = ["LayoutMismatch", "PartKey", "StoragePaused", "Store"]


class StoragePaused(RuntimeError):
    """The store cannot write now (disk full, I/O error); nothing of the batch past
    ``acknowledged`` events was written. Retry ``batch[acknowledged:]`` after
    ``await store.wait_writable()``."""

    def __init__(self, reason: str, acknowledged: int = 0) -> None:
        super().__init__(reason)
        self.reason = reason
        self.acknowledged = acknowledged


class LayoutMismatch(ArchiveRootError):
    """The config's layout differs from the one the archive root was created with."""


class Store:
    """The :class:`~mdc.storage.base.EventStore` of a running collector.

    Two LSNs describe where the archive stands: ``_archived_lsn`` (P in docs/durability.md),
    the newest record whose events were handed to the outputs, and ``_committed_lsn`` (L), the
    newest record the checkpoint vouches for in every output.
    """

    def __init__(self, config: StorageConfig) -> None:
        self.config = config
        self.root = Path(config.root)
        self.control = self.root / CONTROL_DIR
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            self.control.mkdir(exist_ok=True)
        except (FileExistsError, NotADirectoryError):
            files = (p for p in (self.control, *self.control.parents) if p.is_file())
            culprit = next(files, self.root)
            raise ArchiveRootError(
                f"storage.root {self.root} cannot be an archive: {culprit} is a file, not a "
                "directory; point storage.root (--data) at a directory, or move the file away"
            ) from None
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
        self._layout_pending = existing is None
        """A new root's ``layout.json`` is still to be written (a full disk at start)."""
        if existing is not None and existing != spec:
            raise LayoutMismatch(
                f"archive {self.root} was created with layout {msgspec.to_builtins(existing)}; "
                f"the config asks for {msgspec.to_builtins(spec)}. Use a new storage.root or "
                "the archive's settings."
            )
        self.layout = Layout(spec)
        self._spec = spec
        self._router = Router(self.layout)
        self._encoder = msgspec.json.Encoder()
        self.events_acknowledged = 0
        self.errors = 0
        self.last_error = ""
        self.issues: list[Issue] = []
        self.replayed_records = 0
        self.replayed_events = 0
        self.wal_corrupt_records = 0
        self.wal_quarantined_bytes = 0
        self.raw_dropped_paused = 0
        """Raw frames not captured because writing was paused (raw capture is not WAL-backed)."""
        self._guard = DiskGuard(self.root, cfg.min_free_mb)
        now = time.monotonic()
        self._next_tick = now + TICK_S
        self._next_checkpoint = now + cfg.checkpoint_interval_s
        self._next_retention = now + RETENTION_INTERVAL_S
        self._capture = FrameCapture(self.root)
        self._retention = RetentionTask(
            self.root, self.layout, cfg.retention_days, cfg.retention_max_mb * MB, self._protected
        )

        cp = self._read_checkpoint()
        self._checkpointer = Checkpointer(
            self.control / "checkpoint.json",
            wal=None,
            sync=self.sync,
            wal_archive=(self.control / "wal-archive") if cfg.wal.keep_segments else None,
            last=cp or Checkpoint(created_ns=now_ns()),
        )
        self._outputs = Outputs(self.root, cfg, self.layout, self._checkpointer)
        self._committed_lsn = cp.lsn if cp is not None else 0
        self._archived_lsn = self._committed_lsn
        self._snapshot_lsn = self._committed_lsn
        """The archived LSN at the previous snapshot: outputs written after it are not idle."""
        try:
            last_lsn = self._recover(cp)
            # A torn tail's LSNs are used up: the checkpoint moves past them, so the next
            # recovery does not take them for missing records.
            self._archived_lsn = max(self._archived_lsn, last_lsn)
        except OSError as exc:
            # Disk full (or an I/O error) while rebuilding: start paused, rebuild on resume.
            last_lsn = max(self._archived_lsn, wal_last_lsn(self.control / "wal"))
            self._archive_failed(exc)
        self._wal = WalWriter(
            self.control / "wal",
            next_lsn=max(self._committed_lsn, last_lsn, self._archived_lsn) + 1,
            policy=cfg.wal.fsync,
            interval_ms=cfg.wal.fsync_interval_ms,
            segment_max_bytes=cfg.wal.segment_max_mb * MB,
            segment_max_age_s=cfg.wal.segment_max_age_s,
        )
        self._checkpointer.wal = self._wal
        self.positions = Positions(self.control, self.sync)
        self._wal.hold = self.positions.floor
        self._check_disk()
        try:
            self._finish_setup()
        except OSError as exc:
            self._pause(f"cannot start writing: {exc.strerror or exc}", rebuild=False)
        if self._guard.paused is None:
            try:
                self._checkpoint(blocking=True)
            except OSError as exc:
                self._archive_failed(exc)
        self._report_issues()
        self._retention.start()

    def _finish_setup(self) -> None:
        """What a start on a full disk could not do: write a new root's layout, open the WAL
        segment. Runs at start and again before resuming."""
        if self._layout_pending:
            atomic_write(self.control / "layout.json", msgspec.json.encode(self._spec), self.sync)
            self._layout_pending = False
        self._wal.ensure_open()

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
            issues, cut, kept = cut_outputs(self.root, cp, self.sync)
            for issue in issues:
                self._issue(issue.kind, issue.severity, issue.detail)
            if cut:
                log.info("recovery: cut %d uncommitted bytes/parts back to the checkpoint", cut)
            self._outputs.retained = {e.path: e for e in kept}
            entries = {e.path: e.lsn for e in kept}
        else:
            remove_unfinished_parts(self.root)
            entries = {}
        self._outputs.replay = ReplayFloor(entries, self._committed_lsn)
        try:
            result = replay_wal(
                self.control,
                self._committed_lsn,
                dedup_all=cp is None and self._has_wal(),
                sync=self.sync,
                write=self._replay_record,
                issue=self._issue,
            )
        finally:
            self._outputs.replay = None
        self.replayed_records += result.records
        self.replayed_events += result.events
        self.wal_corrupt_records += result.corrupt_records
        self.wal_quarantined_bytes += result.quarantined_bytes
        return result.last_lsn

    def _replay_record(self, events: list[Event], lsn: int, dedup: bool) -> None:
        self._outputs.write(self._router.route(events), None, lsn, dedup)
        self._archived_lsn = lsn

    def _has_wal(self) -> bool:
        wal_dir = self.control / "wal"
        return wal_dir.is_dir() and any(wal_dir.iterdir())

    def _issue(self, kind: str, severity: Severity, detail: str) -> None:
        log.error("storage integrity: %s: %s", kind, detail)
        self.issues.append(Issue(kind, severity, detail))

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
        return self._guard.paused is None and not self._closed

    @property
    def acknowledged_lsn(self) -> int:
        """The newest record the fsync policy vouches for (fsynced; written with ``off``)."""
        return self._wal.durable_lsn

    @property
    def wal_dir(self) -> Path:
        return self._wal.dir

    @property
    def committed_lsn(self) -> int:
        """The newest record the last checkpoint vouches for in every output (L)."""
        return self._checkpointer.last.lsn

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
            if self._guard.paused is not None and not self._try_resume():
                raise StoragePaused(self._guard.paused, acknowledged=done)
            chunk = batch[done : done + MAX_RECORD_EVENTS]
            groups = self._router.route(chunk)
            encoded: list[bytes] | None = None
            if self._outputs.jsonl_on:  # one JSON encoding serves the WAL and the JSONL files
                encode = self._encoder.encode_lines
                encoded = [encode(g) for g in groups.values()]
                payload, kind = encoded, KIND_JSONL
            else:
                payload, kind = [encode_msgpack_batch(chunk)], KIND_MSGPACK
            try:
                lsn = self._wal.append(payload, kind, len(chunk), FLAG_DEDUP if dedup else 0)
            except WalError as exc:
                self._pause(exc.strerror or str(exc), rebuild=False)
                raise StoragePaused(self._guard.paused or "", acknowledged=done) from exc
            done += len(chunk)
            self.events_acknowledged += len(chunk)
            if self._guard.written_enough(self._wal.bytes_written):
                self._check_disk()
            try:
                self._outputs.write(groups, encoded, lsn, dedup)
            except OSError as exc:
                self._archive_failed(exc)
            self._archived_lsn = lsn

    def append_lines(self, groups: dict[PartKey, tuple[bytes, int]]) -> None:
        """Acknowledge and archive one batch given as JSON lines per partition, with each
        group's event count (the compiled fast path, ``pipeline/fastpath.py``).

        The WAL record is the kind :meth:`append` writes with JSONL on, so recovery replays it
        like any other. All or nothing: on :class:`StoragePaused` no part of it was written.
        """
        if self._closed:
            raise StoragePaused("the store is closed")
        if not self._outputs.jsonl_on:
            raise ValueError("append_lines needs JSONL output (storage.format jsonl or both)")
        count = sum(c for _, c in groups.values())
        if count > MAX_RECORD_EVENTS:
            raise ValueError(f"{count} events in one append_lines (at most {MAX_RECORD_EVENTS})")
        now = time.monotonic()
        if now >= self._next_tick:
            self._tick(now)
        if not count:
            return
        if self._guard.paused is not None and not self._try_resume():
            raise StoragePaused(self._guard.paused)
        try:
            lsn = self._wal.append([lines for lines, _ in groups.values()], KIND_JSONL, count, 0)
        except WalError as exc:
            self._pause(exc.strerror or str(exc), rebuild=False)
            raise StoragePaused(self._guard.paused or "") from exc
        self.events_acknowledged += count
        if self._guard.written_enough(self._wal.bytes_written):
            self._check_disk()
        try:
            self._outputs.write_lines(groups, lsn)
        except OSError as exc:
            self._archive_failed(exc)
        self._archived_lsn = lsn

    # -- checkpoints and housekeeping --------------------------------------------------------
    def _tick(self, now: float) -> None:
        self._next_tick = now + TICK_S
        if self._guard.interval_due(now):
            self._check_disk()
        if now >= self._next_checkpoint and self._guard.paused is None:
            self._next_checkpoint = now + self.config.checkpoint_interval_s
            if not self._checkpointer.busy:
                try:
                    self._checkpoint(blocking=False)
                except OSError as exc:
                    self._archive_failed(exc)
        if now >= self._next_retention:
            self._next_retention = now + RETENTION_INTERVAL_S
            self._retention.start()
        if self._retention.job is not None:
            self._retention.collect()

    def maintain(self) -> None:
        """Housekeeping without an append (a quiet feed): call every ~0.1 s from the loop."""
        if not self._closed:
            now = time.monotonic()
            if now >= self._next_tick:
                self._tick(now)
            if self._guard.paused is not None:
                self._try_resume()

    def _checkpoint(self, blocking: bool) -> None:
        """Snapshot the outputs (loop thread), then fsync + write the checkpoint."""
        job = self._snapshot()
        if blocking:
            self._checkpointer.run_now(job)
        else:
            self._checkpointer.submit(job)

    def _snapshot(self) -> Job:
        idle, self._snapshot_lsn = self._snapshot_lsn, self._archived_lsn
        self._capture.flush()
        job = self._outputs.snapshot(self._archived_lsn, idle)
        job.fds.extend(self._capture.dirty_fds())
        return job

    def checkpoint(self) -> None:
        """A synchronous checkpoint now (tests, shutdown paths)."""
        self._checkpointer.wait()
        self._checkpoint(blocking=True)

    # -- disk guard and errors ---------------------------------------------------------------
    def _check_disk(self) -> None:
        reason = self._guard.check(self._wal.bytes_written)
        if reason is not None:
            self._pause(reason, rebuild=False)

    def _pause(self, reason: str, rebuild: bool) -> None:
        if self._guard.pause(reason, rebuild):
            log.error("storage paused: %s (resumes by itself when space is back)", reason)
            self.errors += 1
            self.last_error = reason

    def _archive_failed(self, exc: OSError) -> None:
        """An archive write failed after the WAL acknowledged: drop the outputs' state and
        rebuild from the last checkpoint on resume."""
        what = "disk full" if is_no_space(exc) else "I/O error"
        self._pause(f"archive write failed ({what}): {exc.strerror or exc}", rebuild=True)
        self._outputs.abandon()

    def _try_resume(self) -> bool:
        guard = self._guard
        if guard.paused is None:
            return True
        if not guard.poll_due():
            return False
        if not guard.needs_rebuild:
            self._reclaim_wal()
        if not guard.space_to_resume():
            return False
        try:
            self._finish_setup()
            if guard.needs_rebuild:
                self._rebuild()
        except OSError as exc:
            log.error("storage still cannot write: %s", exc.strerror or exc)
            self._outputs.abandon()
            return False
        log.info("storage resumed (%d MB free)", guard.free // MB)
        if self.raw_dropped_paused:
            log.warning(
                "%d raw frames were not captured while paused (raw_frames_dropped)",
                self.raw_dropped_paused,
            )
        guard.resumed()
        return True

    def _reclaim_wal(self) -> None:
        """While paused, commit what the archive holds so the WAL behind it can go: on a full
        disk the WAL is the one thing that can shrink without losing anything."""
        if self._checkpointer.last.lsn >= self._archived_lsn or self._checkpointer.busy:
            return
        try:
            segments = self._wal.segments()
            if not segments or self._wal.written_lsn >= segments[-1][0]:
                self._wal.roll()
            self._checkpoint(blocking=True)
        except OSError as exc:
            log.debug("checkpoint while paused failed: %s", exc)

    def _rebuild(self) -> None:
        """In-process recovery: the archive back to the last checkpoint, then the WAL replayed."""
        self._outputs.abandon()
        self._checkpointer.wait()
        cp = self._checkpointer.last
        self._committed_lsn = cp.lsn
        self._checkpointer.covered = {e.key for e in cp.entries}
        self._recover(cp)
        self._checkpoint(blocking=True)

    async def wait_writable(self) -> None:
        """Wait until the store accepts appends again (polls the disk every 0.5 s)."""
        while not self._try_resume():
            if self._closed:
                raise StoragePaused("the store is closed")
            await asyncio.sleep(diskguard.RESUME_POLL_S)

    # -- raw capture -------------------------------------------------------------------------
    def write_raw(self, provider: str, ts_recv: int, data: bytes | str) -> None:
        if not self.config.raw_capture or self._closed:
            return
        if self._guard.paused is not None:
            if not self.raw_dropped_paused:
                log.warning("raw capture drops frames while storage is paused (counted)")
            self.raw_dropped_paused += 1
            return
        self._capture.write_raw(provider, ts_recv, data)

    def write_bad_frame(self, provider: str, ts_recv: int, data: bytes | str, error: str) -> None:
        if self._closed:
            return
        self._capture.write_bad_frame(provider, ts_recv, data, error)

    # -- retention ---------------------------------------------------------------------------
    def set_budgets(self, retention_days: int, retention_max_mb: int, min_free_mb: int) -> None:
        """New retention and disk budgets (a config reload); retention runs again soon."""
        self.config = msgspec.structs.replace(
            self.config,
            retention_days=retention_days,
            retention_max_mb=retention_max_mb,
            min_free_mb=min_free_mb,
        )
        self._retention.days = retention_days
        self._retention.max_bytes = retention_max_mb * MB
        self._guard.set_min_free(min_free_mb)
        self._next_retention = 0.0

    def _protected(self, path: Path) -> bool:
        """Open outputs, outputs the checkpoint names, and today's raw files stay."""
        rel = str(path.relative_to(self.root)).replace(os.sep, "/")
        if any(e.path == rel for e in self._checkpointer.last.entries):
            return True
        return self._outputs.holds(rel) or self._capture.holds(path)

    # -- shutdown and stats ------------------------------------------------------------------
    def close(self) -> None:
        """Finish parts, flush, fsync and write a final checkpoint; idempotent."""
        if self._closed:
            return
        try:
            if not self._guard.needs_rebuild:
                self._outputs.close_all(self._archived_lsn)
                self._checkpointer.wait()
                self._checkpoint(blocking=True)
        except OSError as exc:
            # Everything acknowledged is in the WAL: the next start recovers it.
            self.errors += 1
            self.last_error = f"final checkpoint failed: {exc.strerror or exc}"
            log.error("%s; what it would have committed stays in the WAL", self.last_error)
            self._outputs.abandon()
        finally:
            self._closed = True
            try:
                self._retention.close()
                self._capture.close()
                self._wal.close()
                self._checkpointer.close()
                self._log_pending()
            finally:
                self._lock.release()

    def _log_pending(self) -> None:
        """Say what a close that could not commit everything (paused, disk full) leaves in
        the WAL: acknowledged, not yet in the archive, replayed by the next start."""
        committed = self._checkpointer.last.lsn
        if self._wal.written_lsn <= committed:
            return
        try:
            records, events = wal_pending(self.control / "wal", committed)
        except OSError as exc:  # the numbers are a courtesy; the WAL itself is what counts
            log.warning("records after LSN %d stay in the WAL (%s)", committed, exc)
            return
        log.warning(
            "closed with %d acknowledged events (%d WAL records, LSN %d..%d) not yet in the "
            "archive%s; they are safe in %s and the next start replays them",
            events,
            records,
            committed + 1,
            self._wal.written_lsn,
            f" (storage paused: {self._guard.paused})" if self._guard.paused else "",
            self.control / "wal",
        )

    def stats(self) -> dict[str, Any]:
        """Plain numbers for /status and Prometheus (see docs/durability.md)."""
        wal = self._wal
        cp = self._checkpointer
        out = self._outputs
        guard = self._guard
        raw, bad = self._capture.raw, self._capture.bad
        return {
            "writable": self.writable,
            "paused": guard.paused is not None,
            "pause_reason": guard.paused,
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
            "files_open": out.open_count,
            "events_acknowledged": self.events_acknowledged,
            "events_written": out.events_written,
            "events_deduplicated": out.events_deduplicated,
            "bytes_written": out.bytes_written,
            "parquet_parts": out.parquet_parts,
            "parquet_buffered_rows": out.pq_buffered,
            "checkpoint_lsn": cp.last.lsn,
            "last_checkpoint_ns": cp.last_ns,
            "checkpoints": cp.count,
            "registrations": cp.registrations,
            "disk_free_bytes": guard.free,
            "min_free_bytes": guard.min_free,
            "errors": self.errors + self._retention.errors + wal.errors + cp.errors,
            "last_error": (
                self.last_error
                or self._retention.last_error
                or self._capture.last_error
                or wal.last_error
                or cp.last_error
            ),
            "recovered_records": self.replayed_records,
            "recovered_events": self.replayed_events,
            "wal_corrupt_records": self.wal_corrupt_records,
            "wal_quarantined_bytes": self.wal_quarantined_bytes,
            "integrity_issues": len(self.issues),
            "raw_frames": raw.frames,
            "raw_frames_dropped": self.raw_dropped_paused,
            "raw_write_errors": raw.errors,
            "raw_bytes": raw.bytes,
            "bad_frames": bad.frames,
            "retention_deleted_files": self._retention.report.files,
            "retention_deleted_bytes": self._retention.report.bytes,
        }
