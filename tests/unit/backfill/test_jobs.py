"""Job specs, chunk planning, the job store (atomic files, locks, control requests)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path

import msgspec
import pytest

from mdc.backfill.jobs import (
    Chunk,
    JobBusy,
    JobNotFound,
    JobSpec,
    JobStore,
    chunk_days_for,
    plan_chunks,
    plan_days,
)
from mdc.config.load import ConfigError, convert
from mdc.config.schema import BackfillConfig


def spec(**kw: object) -> JobSpec:
    base: dict[str, object] = {
        "symbols": ["AAPL", "MSFT"],
        "start": "2024-01-01",
        "end": "2024-01-10",
    }
    return convert({**base, **kw}, JobSpec)


def test_chunks_per_symbol_and_run_of_days() -> None:
    chunks = plan_chunks(spec(), 4)
    assert [(c.symbol, c.start.day, c.end.day) for c in chunks] == [
        ("AAPL", 1, 4),
        ("AAPL", 5, 8),
        ("AAPL", 9, 10),
        ("MSFT", 1, 4),
        ("MSFT", 5, 8),
        ("MSFT", 9, 10),
    ]
    assert all(c.state == "pending" for c in chunks)


def test_repair_chunks_cover_exactly_the_days() -> None:
    days = [date(2024, 7, d) for d in (1, 2, 3, 5, 8, 9, 10, 11)]
    chunks = plan_days("SPY", days, 3)
    assert [(c.start.day, c.end.day) for c in chunks] == [(1, 3), (5, 5), (8, 10), (11, 11)]


def test_chunk_days_defaults_by_type() -> None:
    config = BackfillConfig(chunk_days=30, tick_chunk_days=2)
    assert chunk_days_for(spec(), config) == 30
    assert chunk_days_for(spec(type="trades", granularity="tick"), config) == 2
    assert chunk_days_for(spec(chunk_days=5), config) == 5


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"end": "2023-12-31"}, "end 2023-12-31 is before start 2024-01-01"),
        ({"symbols": []}, "symbols: "),
        ({"symbols": ["A", "A"]}, "symbols repeat"),
        ({"type": "book"}, "type: not one of the allowed values"),
        ({"granularity": "1x"}, "granularity: "),
        ({"colour": "red"}, "colour: unknown key"),
    ],
)
def test_bad_specs_are_refused_with_the_key(override: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        spec(**override)


def test_store_round_trip_and_counters(tmp_path: Path) -> None:
    store = JobStore(tmp_path)
    job = store.create(spec(), plan_chunks(spec(), 5))
    job.chunks[0].state, job.chunks[0].rows, job.chunks[0].provider = "done", 7, "polygon"
    job.chunks[1].state = "skipped"
    job.chunks[2].state = "failed"
    store.save(job)
    again = store.load(job.id)
    assert again == job
    assert again.counters() == {
        "rows_written": 7,
        "chunks_total": 4,
        "chunks_done": 1,
        "chunks_failed": 1,
        "chunks_skipped": 1,
        "chunks_pending": 1,
    }
    assert again.by_symbol()["AAPL"]["providers"] == ["polygon"]
    path = tmp_path / "_backfill" / "jobs" / f"{job.id}.json"
    assert json.loads(path.read_text())["id"] == job.id
    assert list(path.parent.glob("*.tmp")) == []
    assert [j.id for j in store.list()] == [job.id]
    with pytest.raises(JobNotFound, match="no backfill job 'bf-nope'"):
        store.load("bf-nope")
    with pytest.raises(JobNotFound):
        store.load("../../etc/passwd")


def test_unreadable_job_files_do_not_break_the_list(tmp_path: Path) -> None:
    store = JobStore(tmp_path)
    job = store.create(spec(), [])
    (store.dir / "bf-broken.json").write_text("{not json")
    assert [j.id for j in store.list()] == [job.id]


def test_lock_is_exclusive_across_processes_and_dies_with_them(tmp_path: Path) -> None:
    store = JobStore(tmp_path)
    job = store.create(spec(), [])
    script = textwrap.dedent(
        f"""
        import sys, time
        from mdc.backfill.jobs import JobStore
        with JobStore({str(tmp_path)!r}).lock({job.id!r}):
            print("locked", flush=True)
            sys.stdin.readline()
        """
    )
    child = subprocess.Popen(
        [sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None and child.stdout.readline() == "locked\n"
        assert store.is_locked(job.id)
        job.state = "running"
        assert store.effective_state(job) == "running"
        with pytest.raises(JobBusy, match="another process"), store.lock(job.id):
            pass
    finally:
        child.kill()
        child.wait()
    assert not store.is_locked(job.id)
    assert store.effective_state(job) == "interrupted"
    with store.lock(job.id):
        assert store.is_locked(job.id)
        with pytest.raises(JobBusy, match="this process"), store.lock(job.id):
            pass


def test_control_requests(tmp_path: Path) -> None:
    store = JobStore(tmp_path)
    job = store.create(spec(), [])
    assert store.pending_request(job.id) is None
    store.request(job.id, "pause")
    assert store.pending_request(job.id) == "pause"
    store.request(job.id, "cancel")
    assert store.pending_request(job.id) == "cancel"
    store.clear_request(job.id)
    assert store.pending_request(job.id) is None
    with pytest.raises(JobNotFound):
        store.request("bf-missing", "cancel")


def test_job_dict_is_plain_data(tmp_path: Path) -> None:
    store = JobStore(tmp_path)
    job = store.create(
        spec(priority=3), [Chunk(symbol="AAPL", start=date(2024, 1, 1), end=date(2024, 1, 1))]
    )
    data = job.to_dict()
    assert msgspec.json.decode(msgspec.json.encode(data)) == data
    assert data["priority"] == 3 and data["chunks_pending"] == 1
    assert data["spec"]["symbols"] == ["AAPL", "MSFT"]
