"""Backfill jobs: what to fetch, split into chunks, and their state on disk.

A job is symbols × date range × data type × granularity, split into chunks of one symbol and a
few days. After every chunk the whole job is written to ``{root}/_backfill/jobs/<id>.json``
(temp file, fsync, atomic rename), so a killed process resumes at the first chunk not done.
A running job holds an ``flock`` on ``<id>.lock``: the kernel drops it when the process dies,
which is how a job left in state ``running`` is known to be interrupted. Pause and cancel
requests from another process are ``<id>.control`` files the runner polls between pages.
A job file that cannot be read is left where it is, listed in :attr:`JobStore.unreadable` with
the reason, logged once, and shown by ``mdc backfill --list``, ``/status`` and ``/metrics``.
"""

from __future__ import annotations

import fcntl
import logging
import os
import secrets
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Final, Literal

import msgspec
from msgspec import Meta

from mdc.config.load import ConfigError, convert
from mdc.config.schema import BackfillConfig, BackfillType, Granularity, check_granularity
from mdc.domain.time import now_ns
from mdc.providers.symbols import canonical

JOBS_DIR: Final = ("_backfill", "jobs")
MAX_CHUNKS: Final = 200_000
"""A job file is rewritten after each chunk; beyond this many chunks, split the job."""

JobState = Literal["queued", "running", "paused", "cancelled", "done", "failed"]
ChunkState = Literal["pending", "done", "failed", "skipped"]
Control = Literal["pause", "cancel"]
FINISHED: Final[frozenset[str]] = frozenset({"cancelled", "done", "failed"})
log = logging.getLogger(__name__)


class JobError(ValueError):
    """A job request that cannot be carried out; the message says why."""


class JobNotFound(KeyError):
    def __str__(self) -> str:
        return f"no backfill job {self.args[0]!r}"


class JobBusy(RuntimeError):
    """Another process (or task) is running this job."""


class JobSpec(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """What a job fetches: the dashboard posts this, the CLI builds it from its options."""

    symbols: Annotated[list[str], Meta(min_length=1)]
    """Spelled any way (``brk-b``); stored canonical (``BRK.B``, ``providers/symbols.py``)."""
    start: date
    end: date
    """Inclusive."""
    type: BackfillType = "bars"
    granularity: Granularity = "1d"
    """Bar interval; ignored (``tick``) for trades, quotes and corporate actions."""
    providers: list[str] = []
    """Failover chain for this job; empty means ``backfill.providers``."""
    priority: int = 0
    """Higher runs first; a queued job of higher priority pre-empts a running one between chunks."""
    adjusted: bool = True
    chunk_days: Annotated[int, Meta(ge=1, le=3650)] | None = None
    """Days per chunk; ``None`` means the config default for the type."""
    repair: bool = False
    """Only the days the gap finder reports missing (chunks are planned by the caller)."""

    def __post_init__(self) -> None:
        check_granularity(self.granularity)
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        for symbol in self.symbols:
            if not symbol.strip():
                raise ValueError(f"bad symbol {symbol!r}")
        self.symbols = [canonical(s) for s in self.symbols]
        if len(set(self.symbols)) != len(self.symbols):
            raise ValueError("symbols repeat")

    @property
    def interval(self) -> str:
        """The bar interval, or ``tick`` for the kinds that are not bars."""
        return self.granularity if self.type == "bars" else "tick"


class Attempt(msgspec.Struct, kw_only=True):
    """One provider's try at a chunk (the failover record)."""

    provider: str
    outcome: Literal[
        "ok", "unsupported", "unavailable", "not_found", "failed", "stalled", "benched"
    ]
    error: str = ""
    rows: int = 0
    outside: int = 0
    """Rows the provider sent for days outside the chunk (dropped, counted)."""
    seconds: float = 0.0


class Chunk(msgspec.Struct, kw_only=True):
    """One symbol over ``start``..``end`` (inclusive): fetched, spooled and written as a unit."""

    symbol: str
    start: date
    end: date
    state: ChunkState = "pending"
    rows: int = 0
    provider: str | None = None
    """Who served it: the ``provider`` field of every row written for it."""
    reason: str = ""
    """Why it was skipped or failed."""
    attempts: list[Attempt] = []
    finished_ns: int = 0


class Job(msgspec.Struct, kw_only=True):
    id: str
    spec: JobSpec
    state: JobState = "queued"
    chunks: list[Chunk] = []
    created_ns: int = 0
    updated_ns: int = 0
    started_ns: int = 0
    finished_ns: int = 0
    elapsed_s: float = 0.0
    """Time spent running, summed over resumes."""
    error: str = ""

    def counters(self) -> dict[str, int]:
        """Progress: rows written and chunks by state."""
        counts = {"pending": 0, "done": 0, "failed": 0, "skipped": 0}
        rows = 0
        for chunk in self.chunks:
            counts[chunk.state] += 1
            rows += chunk.rows
        return {
            "rows_written": rows,
            "chunks_total": len(self.chunks),
            "chunks_done": counts["done"],
            "chunks_failed": counts["failed"],
            "chunks_skipped": counts["skipped"],
            "chunks_pending": counts["pending"],
        }

    def by_symbol(self) -> dict[str, dict[str, Any]]:
        """Per-symbol summary: rows, chunk counts, and which providers served it."""
        out: dict[str, dict[str, Any]] = {}
        for chunk in self.chunks:
            entry = out.setdefault(
                chunk.symbol,
                {"rows": 0, "done": 0, "failed": 0, "skipped": 0, "pending": 0, "providers": []},
            )
            entry["rows"] += chunk.rows
            entry[chunk.state] += 1
            if chunk.provider and chunk.provider not in entry["providers"]:
                entry["providers"].append(chunk.provider)
        return out

    def to_dict(self) -> dict[str, Any]:
        """Plain data for the API and the CLI (no chunk detail)."""
        return {
            "id": self.id,
            "state": self.state,
            "spec": msgspec.to_builtins(self.spec),
            "priority": self.spec.priority,
            "created_ns": self.created_ns,
            "updated_ns": self.updated_ns,
            "started_ns": self.started_ns,
            "finished_ns": self.finished_ns,
            "elapsed_s": round(self.elapsed_s, 3),
            "error": self.error,
            **self.counters(),
        }


def parse_spec(raw: Mapping[str, Any]) -> JobSpec:
    """A :class:`JobSpec` from plain data (API, CLI); :class:`JobError` names the bad key."""
    try:
        return msgspec.convert(raw, JobSpec, str_keys=True)
    except msgspec.ValidationError as exc:
        if " - at `$" not in str(exc):  # a rule across fields (__post_init__): no key to name
            raise JobError(str(exc)) from None
    try:
        convert(raw, JobSpec)
    except ConfigError as exc:
        raise JobError(str(exc)) from None
    raise JobError("invalid job spec")  # pragma: no cover - msgspec refused it just above


def chunk_days_for(spec: JobSpec, config: BackfillConfig) -> int:
    if spec.chunk_days is not None:
        return spec.chunk_days
    return config.tick_chunk_days if spec.type in ("trades", "quotes") else config.chunk_days


def plan_chunks(spec: JobSpec, days_per_chunk: int) -> list[Chunk]:
    """Each symbol's range cut into runs of ``days_per_chunk`` calendar days, symbol by symbol."""
    chunks: list[Chunk] = []
    for symbol in spec.symbols:
        first = spec.start
        while first <= spec.end:
            last = min(first + timedelta(days=days_per_chunk - 1), spec.end)
            chunks.append(Chunk(symbol=symbol, start=first, end=last))
            first = last + timedelta(days=1)
    return chunks


def plan_days(symbol: str, days: list[date], days_per_chunk: int) -> list[Chunk]:
    """Chunks covering exactly ``days`` (repair): consecutive days share a chunk."""
    chunks: list[Chunk] = []
    for day in sorted(set(days)):
        last = chunks[-1] if chunks else None
        if (
            last is not None
            and last.end + timedelta(days=1) == day
            and (day - last.start).days < days_per_chunk
        ):
            last.end = day
        else:
            chunks.append(Chunk(symbol=symbol, start=day, end=day))
    return chunks


def new_job_id(now: datetime | None = None) -> str:
    """Sortable by creation time, unique without coordination: ``bf-20240102T153000-1a2b3c``."""
    now = now or datetime.now(UTC)
    return f"bf-{now:%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"


class JobStore:
    """Job files under the data root; safe against crashes and against a second process."""

    def __init__(self, root: str | Path) -> None:
        self.dir = Path(root).joinpath(*JOBS_DIR)
        self._encoder = msgspec.json.Encoder()
        self._decoder = msgspec.json.Decoder(Job)
        self._held: dict[str, int] = {}
        self._cache: dict[Path, tuple[tuple[int, int], Job]] = {}
        """Decoded job files by (inode, mtime): the scheduler lists jobs after every chunk."""
        self.unreadable: dict[Path, str] = {}
        """Job files the latest :meth:`list` could not read, with the reason."""

    def create(self, spec: JobSpec, chunks: list[Chunk]) -> Job:
        if len(chunks) > MAX_CHUNKS:
            raise JobError(
                f"{len(chunks)} chunks is more than {MAX_CHUNKS}: use fewer symbols, a shorter "
                "range or larger chunks"
            )
        now = now_ns()
        job = Job(id=new_job_id(), spec=spec, chunks=chunks, created_ns=now, updated_ns=now)
        self.save(job)
        return job

    def save(self, job: Job) -> None:
        """Write atomically: a reader (or a crash) sees the old file or the new one."""
        job.updated_ns = now_ns()
        self.dir.mkdir(parents=True, exist_ok=True)
        path = self._path(job.id, ".json")
        tmp = path.with_name(path.name + ".tmp")
        with tmp.open("wb") as f:
            f.write(self._encoder.encode(job))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        dir_fd = os.open(self.dir, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    def load(self, job_id: str) -> Job:
        path = self._path(job_id, ".json")
        try:
            return self._decoder.decode(path.read_bytes())
        except FileNotFoundError:
            raise JobNotFound(job_id) from None
        except msgspec.DecodeError as exc:
            raise JobError(f"{path}: unreadable job file ({exc})") from None

    def list(self) -> list[Job]:
        """Every readable job, oldest first (unreadable files are left alone, not fatal, and
        recorded in :attr:`unreadable`).

        For reading: change a job through :meth:`load` and :meth:`save`."""
        if not self.dir.is_dir():
            self.unreadable.clear()
            return []
        jobs = []
        seen = set()
        unreadable: dict[Path, str] = {}
        for path in self.dir.glob("bf-*.json"):
            try:
                stat = path.stat()
                stamp = (stat.st_ino, stat.st_mtime_ns)  # every save is a new inode
                cached = self._cache.get(path)
                if cached is None or cached[0] != stamp:
                    cached = (stamp, self._decoder.decode(path.read_bytes()))
                    self._cache[path] = cached
            except FileNotFoundError:
                continue  # removed since the listing: not a job any more
            except (OSError, msgspec.DecodeError) as exc:
                unreadable[path] = str(exc)
                if self.unreadable.get(path) != unreadable[path]:
                    log.warning(
                        "backfill job file %s is unreadable (%s): not listed, left in place; "
                        "fix or remove it",
                        path,
                        exc,
                    )
                continue
            seen.add(path)
            jobs.append(msgspec.structs.replace(cached[1]))
        for gone in set(self._cache) - seen:
            del self._cache[gone]
        self.unreadable = unreadable
        return sorted(jobs, key=lambda j: (j.created_ns, j.id))

    def effective_state(self, job: Job) -> str:
        """``interrupted`` for a job whose file says running but whose process is gone."""
        if job.state == "running" and not self.is_locked(job.id):
            return "interrupted"
        return job.state

    # Locks: one runner per job, across processes.

    @contextmanager
    def lock(self, job_id: str) -> Iterator[None]:
        """Hold the job's lock for the block; :class:`JobBusy` if someone else holds it."""
        if job_id in self._held:
            raise JobBusy(f"job {job_id} is already running in this process")
        self.dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self._path(job_id, ".lock"), os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise JobBusy(f"job {job_id} is running in another process") from None
        self._held[job_id] = fd
        try:
            yield
        finally:
            del self._held[job_id]
            os.close(fd)

    def is_locked(self, job_id: str) -> bool:
        if job_id in self._held:
            return True
        path = self._path(job_id, ".lock")
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        finally:
            os.close(fd)  # closing drops a lock we may just have taken
        return False

    # Control requests (pause / cancel) for a job running elsewhere.

    def request(self, job_id: str, action: Control) -> None:
        self.load(job_id)  # JobNotFound for a typo
        path = self._path(job_id, ".control")
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(action, encoding="ascii")
        os.replace(tmp, path)

    def pending_request(self, job_id: str) -> Control | None:
        try:
            text = self._path(job_id, ".control").read_text(encoding="ascii").strip()
        except FileNotFoundError:
            return None
        if text == "cancel":
            return "cancel"
        if text == "pause":
            return "pause"
        return None

    def clear_request(self, job_id: str) -> None:
        self._path(job_id, ".control").unlink(missing_ok=True)

    def _path(self, job_id: str, suffix: str) -> Path:
        if not job_id.startswith("bf-") or "/" in job_id or ".." in job_id:
            raise JobNotFound(job_id)
        return self.dir / f"{job_id}{suffix}"
