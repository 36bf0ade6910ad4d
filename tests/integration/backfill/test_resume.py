"""A real ``mdc backfill`` process is SIGKILLed mid-job and rerun: the archive it leaves equals,
row for row, the archive of a run that was never interrupted.

The chain is Polygon (the real REST client, against a local server that answers AAPL minute
aggregates in Polygon's documented format and 404 for other tickers) then the simulated history
(which serves MSFT). Polygon stamps ``ts_recv`` with the download time, so rows are compared on
every field but ``ts_recv``.
"""

from __future__ import annotations

import json
import math
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from mdc.domain.calendar import sessions
from mdc.domain.time import NS_PER_MS, ns_to_date

FROM, TO = "2024-07-01", "2024-07-12"
ARGS = ["backfill", "--symbols", "AAPL,MSFT", "--from", FROM, "--to", TO, "-g", "1m"]
WINDOW = re.compile(r"^/v2/aggs/ticker/(?P<ticker>[^/]+)/range/1/minute/(?P<a>\d+)/(?P<b>\d+)$")


def polygon_aggs(request: Request) -> Response:
    """``/v2/aggs/ticker/AAPL/range/1/minute/{from_ms}/{to_ms}``: a bar per session minute."""
    match = WINDOW.match(request.path)
    assert match is not None
    if match["ticker"] != "AAPL":
        return Response('{"status":"NOT_FOUND","message":"ticker not found"}', status=404)
    a, b = int(match["a"]), int(match["b"])
    results = []
    for day in sessions("XNYS", ns_to_date(a * NS_PER_MS), ns_to_date(b * NS_PER_MS)):
        for t in range(day.open_ns // NS_PER_MS, day.close_ns // NS_PER_MS, 60_000):
            if a <= t <= b:
                price = round(200 + 10 * math.sin(t / 3.6e6), 2)
                results.append(
                    {"v": 1000 + t % 997, "vw": price, "o": price, "c": price + 0.01,
                     "h": price + 0.05, "l": price - 0.05, "t": t, "n": 10 + t % 13}
                )  # fmt: skip
    body = {
        "ticker": "AAPL",
        "queryCount": len(results),
        "resultsCount": len(results),
        "adjusted": True,
        "results": results,
        "status": "OK",
        "request_id": "local",
        "count": len(results),
    }
    return Response(json.dumps(body), content_type="application/json")


@pytest.fixture
def server() -> Iterator[HTTPServer]:
    srv = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    srv.no_handler_status_code = 418
    srv.expect_request(WINDOW).respond_with_handler(polygon_aggs)
    srv.start()
    try:
        yield srv
    finally:
        srv.clear()
        srv.stop()


def mdc(root: Path, url: str, *args: str) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "MDC_BACKFILL__PROVIDERS": '["polygon", "simulated"]',
        "MDC_BACKFILL__CHUNK_DAYS": "1",
        "MDC_STORAGE__ROOT": str(root),
        "MDC_PROVIDERS__POLYGON__REST__URL": url,
        "MDC_PROVIDERS__POLYGON__REST__RATE_LIMITS": "{}",
        "POLYGON_API_KEY": "pk_local_test",
        "COLUMNS": "120",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "mdc.cli", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def job_file(root: Path) -> Path | None:
    files = list((root / "_backfill" / "jobs").glob("bf-*.json"))
    return files[0] if files else None


def chunks_done(path: Path) -> int:
    try:
        job = json.loads(path.read_text())
    except (OSError, ValueError):
        return 0
    return sum(1 for c in job["chunks"] if c["state"] != "pending")


def archive_rows(root: Path) -> list[dict[str, Any]]:
    rows = []
    for path in sorted(root.glob("*/bars/*.jsonl")):
        for line in path.read_text().splitlines():
            row = json.loads(line)
            del row["ts_recv"]
            rows.append(row)
    return sorted(rows, key=lambda r: (r["symbol"], r["ts_event"]))


def test_killed_backfill_resumes_to_the_same_archive(tmp_path: Path, server: HTTPServer) -> None:
    url = server.url_for("/")
    clean, killed = tmp_path / "clean", tmp_path / "killed"
    done = mdc(clean, url, *ARGS)
    out, err = done.communicate(timeout=120)
    assert done.returncode == 0, err

    victim = mdc(killed, url, *ARGS)
    deadline = time.monotonic() + 60
    while (path := job_file(killed)) is None or chunks_done(path) < 9:
        assert victim.poll() is None, "the job finished before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.002)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    job = json.loads(path.read_text())
    assert job["state"] == "running"
    assert 9 <= chunks_done(path) < len(job["chunks"]) == 24

    rerun = mdc(killed, url, *ARGS)  # the same command resumes the interrupted job
    out, err = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, err
    assert f"resuming unfinished job {job['id']}" in out
    final = json.loads(path.read_text())
    assert final["state"] == "done"
    served = {(c["symbol"], c["start"]): (c["state"], c["provider"]) for c in final["chunks"]}
    assert served[("AAPL", "2024-07-01")] == ("done", "polygon")
    assert served[("MSFT", "2024-07-01")] == ("done", "simulated")
    assert served[("AAPL", "2024-07-04")] == ("skipped", None)  # Independence Day
    assert len(list((killed / "_backfill" / "jobs").glob("bf-*.json"))) == 1

    expected, got = archive_rows(clean), archive_rows(killed)
    # 9 sessions of AAPL minutes from Polygon; MSFT from the simulator, which (no holiday
    # calendar) also trades the 4th, skipped here as a non-session day: 9 sessions too.
    assert len(expected) == 2 * 9 * 390 - 180  # July 3rd closes at 13:00 for Polygon's AAPL
    assert got == expected
    assert {r["provider"] for r in got if r["symbol"] == "AAPL"} == {"polygon"}
    assert {r["provider"] for r in got if r["symbol"] == "MSFT"} == {"simulated"}
