"""`mdc collect` serves HTTP (or refuses an unsafe bind); `mdc serve` serves an archive."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import httpx
from tests.support.serving import MDC, env, free_port, wait_http


def test_collect_serves_http_and_stops_cleanly(tmp_path: Path) -> None:
    port = free_port()
    proc = subprocess.Popen(
        [*MDC, "collect", "--data", str(tmp_path / "data"), "--http-port", str(port)],
        env=env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert wait_http(f"http://127.0.0.1:{port}/live", proc).json() == {"status": "alive"}
        status = httpx.get(f"http://127.0.0.1:{port}/status", timeout=5).json()
        assert status["mode"] == "live"
        assert set(status["symbols"]) == {"SPY", "AAPL", "MSFT"}
        with httpx.stream("GET", f"http://127.0.0.1:{port}/api/stream", timeout=5) as res:
            # An open SSE stream must not hold up the shutdown.
            next(res.iter_lines())
            proc.send_signal(signal.SIGINT)
            _, err = proc.communicate(timeout=20)
    finally:
        proc.kill()
    assert proc.returncode == 0, err.decode()
    assert f"dashboard on http://127.0.0.1:{port}/" in err.decode()


def test_collect_refuses_a_public_bind_without_an_api_key(tmp_path: Path) -> None:
    result = subprocess.run(
        [*MDC, "collect", "--data", str(tmp_path), "--http-host", "0.0.0.0", "--duration", "1"],
        env=env(),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "refusing to serve HTTP on 0.0.0.0" in result.stderr
    assert not (tmp_path / "SPY").exists()


def test_collect_without_http_runs_without_a_server(tmp_path: Path) -> None:
    port = free_port()
    result = subprocess.run(
        [*MDC, "collect", "--data", str(tmp_path), "--no-http", "--duration", "1"],
        env=env(MDC_HTTP__PORT=str(port)),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert "dashboard on" not in result.stderr


def test_serve_serves_an_archive_read_only(tmp_path: Path) -> None:
    (tmp_path / "SPY" / "trades").mkdir(parents=True)
    (tmp_path / "SPY" / "trades" / "2024-03-01.jsonl").write_text('{"x": 1}\n')
    port = free_port()
    proc = subprocess.Popen(
        [*MDC, "serve", "--data", str(tmp_path), "--port", str(port)],
        env=env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        assert wait_http(f"{base}/status", proc).json()["mode"] == "archive"
        assert httpx.get(f"{base}/api/symbols").json() == []
        assert httpx.get(f"{base}/api/live/SPY").status_code == 409
        add = httpx.post(f"{base}/api/symbols", json={"symbols": [{"symbol": "X"}]})
        assert add.status_code == 409
        tree = httpx.get(f"{base}/api/storage/tree", params={"path": "SPY/trades"}).json()
        assert [e["name"] for e in tree["entries"]] == ["2024-03-01.jsonl"]
        assert httpx.get(f"{base}/ready").json() == {"ready": True, "reason": "ready"}
        assert httpx.get(f"{base}/ui/").status_code == 200
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=15)
    finally:
        proc.kill()
    assert proc.returncode == 0


def test_serve_rejects_a_missing_archive(tmp_path: Path) -> None:
    result = subprocess.run(
        [*MDC, "serve", "--data", str(tmp_path / "nope")],
        env=env(),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "is not a directory (no archive there)" in result.stderr
