"""A real ``mdc collect`` subprocess: it writes, and SIGINT/SIGTERM drain it to exit code 0."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest


def archive_lines(root: Path) -> int:
    return sum(
        sum(1 for _ in p.open("rb")) for p in root.rglob("*.jsonl") if not p.name.startswith("_")
    )


def start(tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "MDC_LOG_FORMAT": "json", "MDC_PROVIDERS__SIMULATED__RATE": "20000"}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mdc.cli",
            "collect",
            "--no-http",
            "--data",
            str(tmp_path / "data"),
            *args,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def wait_for_growth(root: Path, proc: subprocess.Popen[str], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    seen = 0
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        now = archive_lines(root) if root.exists() else 0
        if seen and now > seen:
            return
        seen = now or seen
        time.sleep(0.2)
    pytest.fail(f"archive under {root} did not grow")


def stored_count(stderr: str) -> int:
    for line in stderr.splitlines():
        if line.startswith("{"):
            match = re.match(r"stopped: (\d+) events stored", json.loads(line)["msg"])
            if match:
                return int(match.group(1))
    raise AssertionError(f"no shutdown summary in:\n{stderr}")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signal_drains_everything_and_exits_0(tmp_path: Path, sig: signal.Signals) -> None:
    proc = start(tmp_path)
    root = tmp_path / "data"
    wait_for_growth(root, proc)
    proc.send_signal(sig)
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 0, stderr
    stored = stored_count(stderr)
    assert stored > 0
    assert archive_lines(root) == stored


def test_duration_bounds_a_run(tmp_path: Path) -> None:
    proc = start(tmp_path, "--duration", "2", "--symbols", "QQQ")
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 0, stderr
    assert (tmp_path / "data").exists()
    assert archive_lines(tmp_path / "data") == stored_count(stderr) > 0


def test_unknown_provider_is_a_usage_error(tmp_path: Path) -> None:
    proc = start(tmp_path, "--provider", "nope")
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert "unknown provider 'nope'" in stderr


@pytest.mark.parametrize(
    ("command", "flags"),
    [("collect", ("--http-port", "--no-http")), ("serve", ("--port",))],
)
def test_a_busy_port_names_the_flags_and_leaves_nothing_on_disk(
    tmp_path: Path, command: str, flags: tuple[str, ...]
) -> None:
    root = tmp_path / "data"
    if command == "serve":
        root.mkdir()
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        port_flag = "--http-port" if command == "collect" else "--port"
        done = subprocess.run(
            [sys.executable, "-m", "mdc.cli", command, "-d", str(root), port_flag, str(port)],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "MDC_LOG_LEVEL": "ERROR"},
        )
    assert done.returncode == 1, done.stderr
    (line,) = done.stderr.splitlines()
    assert line.startswith(f"error: cannot serve HTTP on 127.0.0.1:{port}: Address already in use")
    for flag in flags:
        assert f"{flag}" in line
    # collect: the port is checked before the store exists, so no archive, WAL or lock is left
    assert (not root.exists()) if command == "collect" else list(root.iterdir()) == []
