"""The dashboard's one job runner: what a job reports while queued, running, done and failed,
one at a time when serial, and how many are kept. Work blocks on events the test sets, so no
assertion depends on timing."""

from __future__ import annotations

import threading
from collections.abc import Callable

from mdc.web.jobs import MAX_JOBS, Job, Jobs

WAIT_S = 10.0  # a bound on waiting for the worker thread, not a timing assertion


def until(jobs: Jobs[str, list[str]], job_id: str, state: str) -> Job[str, list[str]]:
    seen = []
    for _ in range(1000):
        job = jobs.get(job_id)
        assert job is not None
        if job.state == state:
            return job
        seen.append(job.state)
        threading.Event().wait(0.01)
    raise AssertionError(f"{job_id} never reached {state}: {sorted(set(seen))}")


def blocked(gate: threading.Event, out: list[str]) -> Callable[[str], list[str]]:
    def work(job_id: str) -> list[str]:
        out.append(f"{job_id} started")
        assert gate.wait(WAIT_S)
        out.append(f"{job_id} wrote")
        return out

    return work


def test_a_serial_runner_queues_the_second_job_until_the_first_is_done() -> None:
    jobs: Jobs[str, list[str]] = Jobs(serial=True)
    first_gate, second_gate = threading.Event(), threading.Event()
    first_out: list[str] = []
    first = jobs.start("lean", "a", blocked(first_gate, first_out), progress=first_out)
    until(jobs, first.id, "running")
    second = jobs.start("lean", "b", blocked(second_gate, []))
    assert (second.state, second.result) == ("queued", None)
    assert [j.id for j in jobs.list()] == [second.id, first.id]
    # The running job's progress record shows what it did so far.
    assert until(jobs, first.id, "running").result == [f"{first.id} started"]
    assert jobs.get(second.id).state == "queued"  # type: ignore[union-attr]
    first_gate.set()
    done = until(jobs, first.id, "done")
    assert done.result == [f"{first.id} started", f"{first.id} wrote"]
    assert done.finished_ns is not None and done.finished_ns >= done.created_ns
    until(jobs, second.id, "running")
    second_gate.set()
    assert until(jobs, second.id, "done").result == [f"{second.id} started", f"{second.id} wrote"]


def test_jobs_run_side_by_side_unless_serial() -> None:
    jobs: Jobs[str, list[str]] = Jobs()
    gate = threading.Event()
    started = [jobs.start("package", "x", blocked(gate, [])) for _ in range(2)]
    assert [j.state for j in started] == ["running", "running"]
    for job in started:
        until(jobs, job.id, "running")
    gate.set()
    assert {until(jobs, j.id, "done").kind for j in started} == {"package"}


def test_a_failure_is_its_message_and_keeps_the_progress_so_far() -> None:
    jobs: Jobs[str, list[str]] = Jobs(serial=True)
    out: list[str] = []

    def work(job_id: str) -> list[str]:
        out.append("one file")
        raise FileNotFoundError(f"archive root for {job_id} does not exist")

    job = jobs.start("lean", "a", work, progress=out)
    failed = until(jobs, job.id, "failed")
    assert failed.error == f"archive root for {job.id} does not exist"
    assert failed.result == ["one file"]
    bare = until(jobs, jobs.start("verify", "b", lambda _id: [][0]).id, "failed")
    assert (bare.error, bare.result) == ("list index out of range", None)


def test_ids_carry_kind_time_and_count_and_only_the_latest_are_kept() -> None:
    jobs: Jobs[str, list[str]] = Jobs()
    ids = [jobs.start("verify", str(n), lambda _id: []).id for n in range(MAX_JOBS + 3)]
    parts = [i.split("-") for i in ids]
    assert {(kind, ms.isdigit()) for kind, ms, _ in parts} == {("verify", True)}
    assert [int(count) for _, _, count in parts] == list(range(1, MAX_JOBS + 4))
    assert [j.id for j in jobs.list()] == ids[:2:-1]
    assert jobs.get(ids[0]) is None and jobs.get(ids[3]) is not None
