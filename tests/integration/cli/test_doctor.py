"""``mdc doctor`` as a subprocess: the checks against a local time server (skewed and not), and
the bundle from a running collector, with planted secrets found nowhere in it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from tests.support.collector import CollectorThread

from mdc.config import load_config

PLANTED_KEY = "pk_planted_0123456789abcdef"
PLANTED_API_KEY = "api_planted_fedcba9876543210"


def time_server(offset: timedelta) -> ThreadingHTTPServer:
    """An HTTP server whose one ``Date`` header runs ``offset`` ahead of this clock."""

    class Handler(BaseHTTPRequestHandler):
        def date_time_string(self, timestamp: float | None = None) -> str:
            return format_datetime(datetime.now(UTC) + offset, usegmt=True)

        def do_HEAD(self) -> None:
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def clock_ok() -> Iterator[str]:
    server = time_server(timedelta(0))
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


@pytest.fixture
def clock_late() -> Iterator[str]:
    server = time_server(timedelta(minutes=5))
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


@pytest.fixture
def collector(tmp_path: Path) -> Iterator[CollectorThread]:
    config = load_config(env={"MDC_STORAGE__ROOT": str(tmp_path / "live"), "MDC_SYMBOLS": "SPY"})
    with CollectorThread(config) as running:
        yield running


def doctor(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    config = tmp_path / "mdc.toml"
    config.write_text(
        f'[storage]\nroot = "{tmp_path / "data"}"\n[http]\nport = 0\n'
        f'api_key = "{PLANTED_API_KEY}"\n'
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("MDC_")}
    env["POLYGON_API_KEY"] = PLANTED_KEY
    return subprocess.run(
        [sys.executable, "-m", "mdc.cli", "doctor", "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**env, "COLUMNS": "200"},
        check=False,
    )


def test_checks_pass_with_a_true_clock(tmp_path: Path, clock_ok: str) -> None:
    done = doctor(tmp_path, "--time-url", clock_ok)
    assert done.returncode == 0, done.stdout + done.stderr
    checks = [line.split()[:2] for line in done.stdout.splitlines()]
    assert checks == [
        ["ok", "python"],
        ["ok", "config"],
        ["ok", "credentials"],
        ["ok", "permissions"],
        ["ok", "disk"],
        ["ok", "port"],
        ["ok", "clock"],
        ["ok", "kernels"],
    ]


def test_bundle_holds_the_report_and_no_secret(
    tmp_path: Path, clock_late: str, collector: CollectorThread
) -> None:
    log = tmp_path / "mdc.log"
    log.write_text(f"INFO something\nERROR polygon rejected key {PLANTED_KEY}\n")
    out = tmp_path / "out.zip"
    done = doctor(
        tmp_path,
        "--bundle",
        str(out),
        "--log",
        str(log),
        "--url",
        collector.url,
        "--time-url",
        clock_late,
    )
    assert done.returncode == 1  # the clock is five minutes off
    clock = next(line for line in done.stdout.splitlines() if " clock " in line)
    assert clock.startswith("fail clock") and "enable NTP" in clock
    with zipfile.ZipFile(out) as zf:
        names = sorted(zf.namelist())
        files = {name: zf.read(name) for name in names}
    assert names == [
        "config-file.toml",
        "config.json",
        "doctor.json",
        "environment.txt",
        "logs/mdc.log",
        "metrics.txt",
        "status.json",
        "versions.json",
    ]
    for name, data in files.items():
        assert PLANTED_KEY.encode() not in data, name
        assert PLANTED_API_KEY.encode() not in data, name
    assert b"ERROR polygon rejected key ****" in files["logs/mdc.log"]
    assert b'api_key = "****"' in files["config-file.toml"]
    assert json.loads(files["config.json"])["http"]["api_key"] == "****"
    assert "POLYGON_API_KEY is set" in files["environment.txt"].decode()
    assert json.loads(files["status.json"])["symbols"].keys() == {"SPY"}
    assert b"mdc_events_stored_total" in files["metrics.txt"]
    assert [f["check"] for f in json.loads(files["doctor.json"])][-2:] == ["clock", "kernels"]
    assert json.loads(files["versions.json"])["python"] == sys.version.split()[0]
