"""``mdc collect --provider ib`` with no TWS listening: a real process says what to do, keeps
retrying, and stops cleanly on SIGTERM — no traceback."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path


def free_port() -> int:
    """A port nothing listens on (bound, read, released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_collect_without_tws_names_the_fix_and_keeps_retrying(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "MDC_PROVIDERS__IB__PORT": str(port),
        "MDC_PROVIDERS__IB__RECONNECT_INITIAL_S": "0.05",
        "MDC_PROVIDERS__IB__RECONNECT_MAX_S": "0.1",
    }
    args = ["collect", "--provider", "ib", "--symbols", "AAPL", "--no-http", "--data"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "mdc.cli", *args, str(tmp_path)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    expected = f"no TWS/IB Gateway on 127.0.0.1:{port} — start it and enable API connections"
    lines: list[str] = []
    retried = threading.Event()

    def read() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.append(line)
            if sum(expected in seen for seen in lines) >= 3:
                retried.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        # A bound on a hung process only; the assertions below count lines, not time.
        assert retried.wait(60), "".join(lines)
        assert proc.poll() is None  # still running: it retries rather than exits
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
        reader.join(10)
    err = "".join(lines)
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    attempts = [line for line in lines if expected in line]
    assert all("retrying in" in line for line in attempts)
