"""What used to vanish without a trace: an unreadable backfill job file, archive lines that do not
decode, store figures when ``stats()`` fails. Each is counted, logged once naming what, and
shown in ``/metrics`` and ``/status``."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client import generate_latest
from typer.testing import CliRunner

from mdc.backfill.archive import FileArchive
from mdc.backfill.jobs import Chunk, JobSpec, JobStore
from mdc.backfill.scheduler import BackfillScheduler
from mdc.backfill.service import BackfillService
from mdc.cli.main import app
from mdc.config import load_config
from mdc.config.schema import Config
from mdc.domain.events import Event
from mdc.pipeline.runtime import Runtime
from mdc.web.app import create_app


def errors_in(metrics: str) -> float:
    found = re.search(r"^mdc_storage_stats_errors_total (\S+)$", metrics, re.MULTILINE)
    assert found, metrics
    return float(found[1])


async def discard(batch: list[Event]) -> None:
    del batch


def config_at(root: Path) -> Config:
    return load_config(env={"MDC_STORAGE__ROOT": str(root), "MDC_STORAGE__RAW_CAPTURE": "false"})


def a_job(jobs: JobStore) -> str:
    spec = JobSpec(symbols=["SPY"], start="2024-07-01", end="2024-07-02")  # type: ignore[arg-type]
    return jobs.create(spec, [Chunk(symbol="SPY", start=spec.start, end=spec.end)]).id


def test_an_unreadable_job_file_is_named_once_and_listed_as_unreadable(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    jobs = JobStore(tmp_path)
    good = a_job(jobs)
    bad = jobs.dir / "bf-20240101T000000-dead.json"
    bad.write_bytes(b'{"id": "bf-20240101T000000-dead", "spec": ')
    with caplog.at_level(logging.WARNING, logger="mdc.backfill.jobs"):
        assert [j.id for j in jobs.list()] == [good]
        assert [j.id for j in jobs.list()] == [good]
    assert list(jobs.unreadable) == [bad]
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1  # once, not on every listing
    assert warnings[0].startswith(f"backfill job file {bad} is unreadable (")
    assert warnings[0].endswith("): not listed, left in place; fix or remove it")
    assert bad.exists()
    bad.unlink()
    jobs.list()
    assert jobs.unreadable == {}


def test_metrics_and_status_show_unreadable_jobs_and_corrupt_lines(tmp_path: Path) -> None:
    config = config_at(tmp_path)
    jobs = JobStore(tmp_path)
    a_job(jobs)
    (jobs.dir / "bf-20240101T000000-dead.json").write_bytes(b"not json")
    trades = tmp_path / "SPY" / "trades"
    trades.mkdir(parents=True)
    line = b'{"type":"trade","symbol":"SPY","venue":"X","provider":"p","ts_event":%d,'
    line += b'"ts_recv":1,"price":1.0,"size":1.0}\n'
    (trades / "2024-07-01.jsonl").write_bytes(line % 1 + b"{torn\n" + line % 2 + b"}\n")
    archive = FileArchive(tmp_path)
    assert archive.timestamps("trades", "SPY", 0, 10, None) == [1, 2]
    service = BackfillService(BackfillScheduler(config, discard, jobs), archive)
    with TestClient(create_app(config, backfill_service=service)) as client:
        metrics = client.get("/metrics").text
        status = client.get("/status").json()
    assert "mdc_backfill_unreadable_job_files 1.0" in metrics
    assert "mdc_backfill_archive_corrupt_lines 2.0" in metrics
    dead = str(jobs.dir / "bf-20240101T000000-dead.json")
    assert list(status["backfill"]["unreadable_job_files"]) == [dead]
    assert status["backfill"]["corrupt_archive_lines"] == {str(trades / "2024-07-01.jsonl"): 2}


def test_failing_store_stats_are_counted_logged_once_and_metrics_stay_up(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = config_at(tmp_path)
    runtime = Runtime(config)
    try:

        def broken() -> dict[str, object]:
            raise OSError(5, "Input/output error")

        monkeypatch.setattr(runtime.store, "stats", broken)
        app = create_app(config, runtime)
        with caplog.at_level(logging.ERROR, logger="mdc.pipeline.runtime"):
            first = generate_latest(app.state.web.registry).decode()
            second = generate_latest(app.state.web.registry).decode()
            with TestClient(app) as client:
                storage = client.get("/status").json()["storage"]
                checks = {c["name"]: c for c in client.get("/health").json()["checks"]}
                page = client.get("/api/storage/stats").json()
    finally:
        runtime.store.close()
    # Each scrape asks twice (the health check, then the storage families) and counts both.
    assert 0 < errors_in(first) < errors_in(second)
    assert "mdc_uptime_seconds" in second and "mdc_storage_events_written" not in second
    assert storage["writable"] is False
    assert storage["last_error"] == "store stats failed: OSError: [Errno 5] Input/output error"
    assert storage["stats_errors"] >= 3
    writable = checks["storage_writable"]
    assert (writable["status"], writable["detail"]) == ("unhealthy", storage["last_error"])
    # The storage page shows the failure as /status does, and the disk figures without the
    # store's (no WAL lag from a store that could not say).
    assert page["store"] == {**storage, "stats_errors": page["store"]["stats_errors"]}
    assert page["store"]["stats_errors"] > storage["stats_errors"]
    assert page["summary"]["writing"] is False
    assert "wal" not in page["summary"] and "checkpoint" not in page["summary"]
    logged = [r.getMessage() for r in caplog.records]
    assert logged == [
        "store stats failed: OSError: [Errno 5] Input/output error "
        "(counted in mdc_storage_stats_errors_total)"
    ]


def test_backfill_list_names_an_unreadable_job_file(tmp_path: Path) -> None:
    jobs = JobStore(tmp_path)
    good = a_job(jobs)
    bad = jobs.dir / "bf-20240101T000000-dead.json"
    bad.write_bytes(b"{")
    listed = CliRunner().invoke(
        app, ["backfill", "--list", "-d", str(tmp_path)], env={"COLUMNS": "250"}
    )
    assert listed.exit_code == 0, listed.output
    assert good in listed.stdout
    assert f"unreadable job file {bad} (" in listed.stderr
    assert listed.stderr.rstrip().endswith("): not listed; fix or remove it")
