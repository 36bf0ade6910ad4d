"""Output lifecycle: the open JSONL files and Parquet writers of a store.

Opens outputs (registering each in the checkpoint before its first byte), writes one WAL
record's groups to them (through dedup when asked or when the output has a key set), closes
ended or evicted ones, finishes Parquet parts, and lists what a checkpoint must name. The
protocol is in docs/durability.md ("Checkpoints", "Registration", "Dedup").
"""

from __future__ import annotations

import os
import time
from collections import OrderedDict
from collections.abc import Hashable
from pathlib import Path

import msgspec

from mdc.config.schema import StorageConfig
from mdc.domain.events import TYPE_NAMES, Event
from mdc.domain.time import NS_PER_S, now_ns
from mdc.storage.checkpoint import Checkpointer, Entry, Job
from mdc.storage.dedup import filter_new, load_partition_keys
from mdc.storage.jsonl import JsonlFile, JsonlFiles
from mdc.storage.layout import EXTENSIONS, Layout, label_range
from mdc.storage.parquet import PartitionWriter, new_writer_id
from mdc.storage.routing import PartKey
from mdc.storage.wal import decode_lines

PATH_CACHE_MAX = 100_000
"""Cached relative paths per format before the cache starts over (a long backfill)."""


class ReplayFloor:
    """What recovery replays into: an output gets a record only above its entry's LSN, or
    above the checkpoint's LSN for outputs without an entry."""

    def __init__(self, entries: dict[str, int], committed_lsn: int) -> None:
        self.entries = entries
        self.committed_lsn = committed_lsn

    def of(self, rel: str) -> int:
        return self.entries.get(rel, self.committed_lsn)


class Outputs:
    """Every output the store has open, and the entries of closed ones the checkpoint keeps."""

    def __init__(
        self, root: Path, config: StorageConfig, layout: Layout, checkpointer: Checkpointer
    ) -> None:
        self.root = root
        self.config = config
        self.layout = layout
        self.checkpointer = checkpointer
        self.jsonl_on = config.format in ("jsonl", "both")
        self.parquet_on = config.format in ("parquet", "both")
        self.encoder = msgspec.json.Encoder()
        self.jsonl = JsonlFiles(config.max_open_files)
        self.writers: dict[PartKey, PartitionWriter] = {}
        """Every partition with a Parquet writer: rows buffer here, files open only to write."""
        self._part_files: OrderedDict[PartKey, PartitionWriter] = OrderedDict()
        """Writers whose part file is open, least recently written first (``max_open_files``)."""
        self.retained: dict[str, Entry] = {}
        """Entries of closed outputs, kept in checkpoints until the committed LSN passes them."""
        self.replay: ReplayFloor | None = None
        """Set while recovery replays the WAL."""
        self.pq_buffered = 0
        self._jsonl_paths: dict[PartKey, str] = {}
        self._parquet_dirs: dict[PartKey, str] = {}
        self._keysets: dict[tuple[str, PartKey], set[Hashable]] = {}
        self._to_sync: list[Path] = []
        self._new_dirs: set[Path] = set()
        self._pending_writer_ids: dict[PartKey, str] = {}
        self.events_written = 0
        self.events_deduplicated = 0
        self.bytes_written = 0
        self.parquet_parts = 0

    @property
    def open_count(self) -> int:
        return len(self.jsonl.open) + len(self._part_files)

    # -- writing -----------------------------------------------------------------------------
    def write(
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
        self._register_new(targets, lsn)
        keysets = self._keysets
        for i, (pk, group) in enumerate(groups.items()):
            to_jsonl, to_parquet = targets[pk]
            count = 0
            if to_jsonl:
                events = group
                if dedup or ("jsonl", pk) in keysets:
                    events = self._dedup("jsonl", pk, group)
                if events:
                    f = self.jsonl.get(pk) or self._open_jsonl(pk, lsn)
                    before = f.size
                    if encoded is not None and events is group:
                        f.write(encoded[i], lsn)
                    else:
                        f.write(self.encoder.encode_lines(events), lsn)
                    self.bytes_written += f.size - before
                    count = len(events)
            if to_parquet:
                events = group
                if dedup or ("parquet", pk) in keysets:
                    events = self._dedup("parquet", pk, group, count_dropped=not to_jsonl)
                if events:
                    w = self.writers.get(pk) or self._open_writer(pk, lsn)
                    before = w.buffered
                    w.write(events, lsn)
                    self.pq_buffered += w.buffered - before
                    if w.part_rows + w.buffered >= self.config.parquet_part_max_rows:
                        self.finish_part(w)
                    elif w.row_group_due:
                        self._write_row_group(w, make_room=False)
                    count = max(count, len(events))
            self.events_written += count
        if self.pq_buffered > self.config.parquet_max_buffered_rows:
            self._spill_row_groups()

    def write_lines(self, groups: dict[PartKey, tuple[bytes, int]], lsn: int) -> None:
        """Write one record's groups given as their JSON lines and event counts (what the
        compiled fast path makes). The lines go to the JSONL files as they are; when an output
        needs the events themselves (Parquet, a dedup key set, a replay) they are decoded from
        the lines and written the usual way."""
        keysets = self._keysets
        if (
            self.parquet_on
            or self.replay is not None
            or any(("jsonl", pk) in keysets for pk in groups)
        ):
            events = {pk: decode_lines(lines) for pk, (lines, _) in groups.items()}
            self.write(events, [lines for lines, _ in groups.values()], lsn, dedup=False)
            return
        self._register_new(dict.fromkeys(groups, (True, False)), lsn)
        for pk, (lines, count) in groups.items():
            f = self.jsonl.get(pk) or self._open_jsonl(pk, lsn)
            before = f.size
            f.write(lines, lsn)
            self.bytes_written += f.size - before
            self.events_written += count

    def _targets(
        self, groups: dict[PartKey, list[Event]], lsn: int
    ) -> dict[PartKey, tuple[bool, bool]]:
        """Per group: (write to JSONL, write to Parquet)."""
        both = (self.jsonl_on, self.parquet_on)
        floor = self.replay
        if floor is None:
            return dict.fromkeys(groups, both)
        return {
            pk: (
                self.jsonl_on and lsn > max(floor.of(v) for v in self._jsonl_variants(pk)),
                self.parquet_on and lsn > floor.of(self._parquet_rel(pk)),
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

    # -- dedup -------------------------------------------------------------------------------
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
            f = self.jsonl.get(pk)
            if f is not None:
                f.end_frame()
        else:
            w = self.writers.get(pk)
            if w is not None and w.pending:
                self.finish_part(w)
        cls, symbol, label, provider = pk
        return load_partition_keys(self.root, self.layout, cls, symbol, label, provider, fmt)

    # -- opening and closing -----------------------------------------------------------------
    def _jsonl_rel(self, pk: PartKey) -> str:
        rel = self._jsonl_paths.get(pk)
        if rel is None:
            if len(self._jsonl_paths) > PATH_CACHE_MAX:
                self._jsonl_paths.clear()
            rel = self._jsonl_paths[pk] = self.layout.jsonl_path(
                TYPE_NAMES[pk[0]], pk[1], pk[2], pk[3], self.config.compression
            )
        return rel

    def _parquet_rel(self, pk: PartKey) -> str:
        rel = self._parquet_dirs.get(pk)
        if rel is None:
            if len(self._parquet_dirs) > PATH_CACHE_MAX:
                self._parquet_dirs.clear()
            rel = self._parquet_dirs[pk] = self.layout.parquet_dir(
                TYPE_NAMES[pk[0]], pk[1], pk[2], pk[3]
            )
        return rel

    def _register_new(self, targets: dict[PartKey, tuple[bool, bool]], lsn: int) -> None:
        """Outputs about to get their first bytes go into the checkpoint first."""
        covered = self.checkpointer.covered
        entries = []
        for pk, (to_jsonl, to_parquet) in targets.items():
            if to_jsonl and pk not in self.jsonl.open:
                rel = self._jsonl_rel(pk)
                if rel not in covered:
                    try:
                        length = (self.root / rel).stat().st_size
                    except FileNotFoundError:
                        length = 0
                    entries.append(Entry(path=rel, kind="jsonl", lsn=lsn - 1, length=length))
            if to_parquet and pk not in self.writers:
                rel = self._parquet_rel(pk)
                writer = new_writer_id()
                self._pending_writer_ids[pk] = writer
                entries.append(Entry(path=rel, kind="parquet", lsn=lsn - 1, writer=writer))
        if entries:
            self.checkpointer.register(entries)

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
        self.retained.pop(rel, None)
        for old in self.jsonl.add(f):
            self._close_jsonl(old, lsn)
        return f

    def _close_jsonl(self, f: JsonlFile, lsn: int) -> None:
        """Close an output; its entry stays in checkpoints until L passes it."""
        entry_lsn = lsn if f.last_lsn >= lsn else lsn - 1
        was_dirty = f.dirty
        f.close()
        if was_dirty:
            self._to_sync.append(f.path)
        self.retained[f.rel] = Entry(path=f.rel, kind="jsonl", lsn=entry_lsn, length=f.length)
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
        w.writer = self._pending_writer_ids.pop(pk)  # registered by _register_new
        self.retained.pop(rel, None)
        self.writers[pk] = w
        return w

    def _write_row_group(self, w: PartitionWriter, make_room: bool) -> None:
        """Write ``w``'s buffer as row groups. Its part file must be open: with every handle
        taken, a due row group waits in memory, unless memory is short (``make_room``): then
        the open part holding the most rows is finished. Handle pressure alone never finishes
        a part (nor makes parts of a few rows)."""
        files = self._part_files
        if not w.has_file and len(files) >= self.config.max_open_files:
            if not make_room:
                return
            self.finish_part(max(files.values(), key=lambda f: f.part_rows))
        self.pq_buffered -= w.buffered
        w.flush_row_group()
        files[w.key] = w  # type: ignore[index]
        files.move_to_end(w.key)  # type: ignore[arg-type]

    def finish_part(self, w: PartitionWriter) -> None:
        """Footer and rename (a part never written to is written in one go, then closed)."""
        self._part_files.pop(w.key, None)  # type: ignore[call-overload]
        self.pq_buffered -= w.buffered
        done = w.finish()
        if done is not None:
            self._to_sync.append(done)
            self.parquet_parts += 1
            self.bytes_written += done.stat().st_size

    def _close_writer(self, w: PartitionWriter, lsn: int) -> None:
        self.finish_part(w)
        del self.writers[w.key]  # type: ignore[arg-type]
        entry_lsn = lsn if w.last_lsn >= lsn else lsn - 1
        self.retained[w.rel] = Entry(path=w.rel, kind="parquet", lsn=entry_lsn, writer=w.writer)
        self._keysets.pop(("parquet", w.key), None)  # type: ignore[arg-type]

    def _spill_row_groups(self) -> None:
        """Too many rows buffered: write the largest buffers out as row groups."""
        target = self.config.parquet_max_buffered_rows // 2
        for w in sorted(self.writers.values(), key=lambda w: w.buffered, reverse=True):
            if self.pq_buffered <= target:
                break
            self._write_row_group(w, make_room=True)

    def close_all(self, archived_lsn: int) -> None:
        """Finish every part and close every file (shutdown)."""
        for w in list(self.writers.values()):
            self._close_writer(w, archived_lsn + 1)
        for f in list(self.jsonl.open.values()):
            self.jsonl.pop(f.key)
            self._close_jsonl(f, archived_lsn + 1)

    def abandon(self) -> None:
        """Drop every output's state after a write error (recovery rebuilds from the WAL)."""
        for f in self.jsonl.open.values():
            f.abandon()
        self.jsonl.open.clear()
        for w in self.writers.values():
            w.abandon()
        self.writers.clear()
        self._part_files.clear()
        self.pq_buffered = 0
        self._keysets.clear()
        self._to_sync = []
        self._pending_writer_ids.clear()

    # -- checkpoints -------------------------------------------------------------------------
    def snapshot(self, archived_lsn: int, idle_lsn: int) -> Job:
        """Close what is due, end every written file's frame and list the entries.

        ``idle_lsn`` is the archived LSN at the previous snapshot: an ended partition closes
        once idle for a checkpoint interval, so backfills and replays of old days do not close
        and reopen the files they are writing every second. The job's LSN is the archived one,
        held back to just before the first record of any unfinished Parquet part.
        """
        P = archived_lsn
        now = now_ns()
        grace = int(self.config.partition_close_grace_s * NS_PER_S)
        max_age = self.config.parquet_part_max_age_s
        mono = time.monotonic()
        for f in list(self.jsonl.open.values()):
            if f.end_ns + grace < now and f.last_lsn <= idle_lsn:
                self.jsonl.pop(f.key)
                self._close_jsonl(f, P + 1)
        for w in list(self.writers.values()):
            if w.end_ns + grace < now and w.last_lsn <= idle_lsn:
                self._close_writer(w, P + 1)
            elif w.pending and mono - w.part_started >= max_age:
                self.finish_part(w)
        job = Job(lsn=P, entries=[])
        for f in self.jsonl.open.values():
            if f.dirty:
                f.end_frame()
                job.fds.append(os.dup(f.fd))
                f.dirty = False
            job.entries.append(Entry(path=f.rel, kind="jsonl", lsn=P, length=f.length))
        L = P
        for w in self.writers.values():
            if w.pending and w.pending_lsn is not None:
                L = min(L, w.pending_lsn - 1)
                job.entries.append(
                    Entry(path=w.rel, kind="parquet", lsn=w.committed_lsn, writer=w.writer)
                )
            else:
                job.entries.append(Entry(path=w.rel, kind="parquet", lsn=P, writer=w.writer))
        job.lsn = L
        self.retained = {p: e for p, e in self.retained.items() if e.lsn > L}
        open_paths = {e.path for e in job.entries}
        job.entries.extend(e for p, e in self.retained.items() if p not in open_paths)
        job.paths, self._to_sync = self._to_sync, []
        job.dirs, self._new_dirs = {d for d in self._new_dirs if d.exists()}, set()
        return job

    def holds(self, rel: str) -> bool:
        """Whether ``rel`` is open or named by a kept entry (retention must not delete it)."""
        if rel in self.retained:
            return True
        if any(f.rel == rel for f in self.jsonl.open.values()):
            return True
        return any(w.rel == rel for w in self.writers.values())
