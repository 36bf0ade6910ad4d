"""The Containerfile: a non-root user, and a HEALTHCHECK whose command really tells a healthy
collector from a dead one. No container engine runs here (docs/operating.md), so the image is
not built; its health command runs as written against a live collector instead."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
from pathlib import Path

from mdc.config import load_config
from tests.support.collector import CollectorThread

ROOT = Path(__file__).resolve().parents[2]
TEXT = (ROOT / "Containerfile").read_text()


def health_command(port: int) -> list[str]:
    (cmd,) = re.findall(r"^\s+CMD (\[.*\])$", TEXT, re.MULTILINE)
    argv: list[str] = json.loads(cmd)
    assert argv[0] == "python" and "http://127.0.0.1:8080/health" in argv[-1]
    return [sys.executable, *argv[1:-1], argv[-1].replace(":8080/", f":{port}/")]


def test_runs_as_a_non_root_user_on_the_data_volume() -> None:
    lines = TEXT.splitlines()
    assert "USER mdc" in lines and "VOLUME /data" in lines
    assert lines.index("USER mdc") < lines.index('ENTRYPOINT ["mdc", "collect"]')
    assert "MDC_STORAGE__ROOT=/data" in TEXT and "EXPOSE 8080" in lines


def test_healthcheck_passes_on_a_live_collector_and_fails_without_one(tmp_path: Path) -> None:
    config = load_config(env={"MDC_STORAGE__ROOT": str(tmp_path), "MDC_SYMBOLS": "SPY"})
    with CollectorThread(config) as running:
        ok = subprocess.run(health_command(running.port), capture_output=True, timeout=30)
        assert ok.returncode == 0, ok.stderr
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    down = subprocess.run(health_command(closed), capture_output=True, timeout=30)
    assert down.returncode == 1
