"""Hot reload on a real ``mdc collect`` subprocess: a file edit adds and removes symbols and
changes retention, a broken file is refused while collecting goes on, the API resubscribes a
symbol at a new depth and names a key that needs a restart, SIGHUP and ``mdc config reload``
reload; the archive then holds exactly the acknowledged events, each once."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

CONFIG = """\
symbols = [{symbols}]
[storage]
root = "{root}"
{storage}
[http]
port = {port}
[logging]
format = "json"
[providers.simulated]
rate = 4000
"""


def write(path: Path, root: Path, symbols: str, storage: str = "", port: int = 0) -> None:
    path.write_text(CONFIG.format(symbols=symbols, root=root, storage=storage, port=port))


class Collector:
    """The subprocess, its stderr lines (read by a thread) and its HTTP API."""

    def __init__(self, config: Path) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MDC_")}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "mdc.cli", "collect", "--config", str(config)],
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            text=True,
            env=env,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        line = self.wait_for(lambda msg: msg.startswith("dashboard on "))
        self.url = line.removeprefix("dashboard on ").rstrip("/")

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line)

    def messages(self) -> list[str]:
        return [json.loads(line)["msg"] for line in self.lines if line.startswith("{")]

    def wait_for(self, match: Any, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, "".join(self.lines)
            for msg in self.messages():
                if match(msg):
                    return msg
            time.sleep(0.05)
        pytest.fail(f"no matching log line in:\n{''.join(self.lines)}")

    def status(self) -> dict[str, Any]:
        data: dict[str, Any] = httpx.get(f"{self.url}/status", timeout=5).json()
        return data

    def reloads(self, count: int, timeout: float = 30) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            reloads: list[dict[str, Any]] = self.status()["config"]["reloads"]
            if len(reloads) >= count:
                return reloads
            time.sleep(0.1)
        pytest.fail(f"fewer than {count} reloads: {self.status()['config']}")

    def events_of(self, symbol: str) -> int:
        count: int = self.status()["symbols"].get(symbol, {}).get("events", 0)
        return count


def wait_until(check: Any, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline
        time.sleep(0.1)


def archive(root: Path) -> list[dict[str, Any]]:
    return [
        json.loads(line)
        for p in sorted(root.rglob("*.jsonl"))
        if not p.name.startswith("_")
        for line in p.read_text().splitlines()
    ]


def test_reloads_apply_live_refuse_bad_files_and_lose_nothing(tmp_path: Path) -> None:
    root, config = tmp_path / "data", tmp_path / "mdc.toml"
    write(config, root, '"SPY", {symbol = "AAPL", depth_levels = 5}')
    c = Collector(config)
    try:
        wait_until(lambda: c.events_of("AAPL") > 0 and c.events_of("SPY") > 0)

        # 1. the file changes: QQQ added at depth 3, AAPL removed, retention and budget set
        write(
            config,
            root,
            '"SPY", {symbol = "QQQ", depth_levels = 3}',
            "retention_days = 30\nmin_free_mb = 50",
        )
        (first,) = c.reloads(1)
        assert first["ok"] and first["trigger"] == "file"
        assert (first["added"], first["removed"]) == (["QQQ"], ["AAPL"])
        assert first["restart_needed"] == []
        assert first["applied"] == ["storage.min_free_mb", "storage.retention_days", "symbols"]
        assert sorted(c.status()["symbols"]) == ["QQQ", "SPY"]
        shown = httpx.get(f"{c.url}/api/config", timeout=5).json()["storage"]
        assert (shown["retention_days"], shown["min_free_mb"]) == (30, 50)
        wait_until(lambda: c.events_of("QQQ") > 0)

        # 2. a broken file: refused, naming the key; collecting goes on with the old config
        write(config, root, '"SPY", {symbol = "QQQ", depth_levels = 80}')
        refused = c.reloads(2)[1]
        assert not refused["ok"]
        assert refused["message"].startswith(
            "config not reloaded, still running the previous one: symbols[1].depth_levels"
        )
        c.wait_for(lambda m: m.startswith("config not reloaded") and "depth_levels" in m)
        qqq = c.events_of("QQQ")
        wait_until(lambda: c.events_of("QQQ") > qqq)  # still collecting
        assert sorted(c.status()["symbols"]) == ["QQQ", "SPY"]

        # 3. through the API: SPY at depth 2 is resubscribed; a new port needs a restart
        write(
            config,
            root,
            '{symbol = "SPY", depth_levels = 2}, {symbol = "QQQ", depth_levels = 3}',
            "retention_days = 30\nmin_free_mb = 50",
            port=1,
        )
        res = httpx.post(f"{c.url}/api/config/reload", timeout=10)
        assert res.status_code == 200, res.text
        third = res.json()
        assert (third["trigger"], third["resubscribed"], third["restart_needed"]) == (
            "api",
            ["SPY"],
            ["http.port"],
        )
        assert third["message"].endswith("needs a restart of mdc collect for http.port")
        assert httpx.get(f"{c.url}/api/config", timeout=5).json()["http"]["port"] == 0

        # 4. SIGHUP with nothing changed since
        c.proc.send_signal(signal.SIGHUP)
        fourth = c.reloads(4)[3]
        assert (fourth["trigger"], fourth["message"]) == (
            "sighup",
            "config reloaded: no changes; needs a restart of mdc collect for http.port",
        )
        # 5. from the CLI, as an operator would
        done = subprocess.run(
            [sys.executable, "-m", "mdc.cli", "config", "reload", "--url", c.url],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=tmp_path,
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == fourth["message"]
        assert c.reloads(5)[4]["trigger"] == "api"
        spy = c.events_of("SPY")
        wait_until(lambda: c.events_of("SPY") > spy + 100)
    finally:
        c.proc.send_signal(signal.SIGTERM)
        c.proc.wait(30)
        c._reader.join(10)
    assert c.proc.returncode == 0, "".join(c.lines)
    stored = next(
        int(m.group(1))
        for msg in c.messages()
        if (m := re.match(r"stopped: (\d+) events stored", msg))
    )
    events = archive(root)
    assert len(events) == stored  # every acknowledged event, nothing else
    keys = Counter(json.dumps(e, sort_keys=True) for e in events)
    assert keys.most_common(1)[0][1] == 1  # each exactly once
    statuses = [e for e in events if e["type"] == "status" and e["kind"] == "config"]
    assert [s["state"] for s in statuses] == ["reloaded", "refused"] + ["reloaded"] * 3
    late_aapl = [e for e in events if e["symbol"] == "AAPL" and e["ts_recv"] > refused["at_ns"]]
    assert late_aapl == [] and any(e["symbol"] == "AAPL" for e in events)
    snapshots = [e for e in events if e["type"] == "book_snapshot"]
    qqq_books = [s for s in snapshots if s["symbol"] == "QQQ"]
    assert qqq_books and all(len(s["bids"]) <= 3 and len(s["asks"]) <= 3 for s in qqq_books)
    spy_late = [s for s in snapshots if s["symbol"] == "SPY" and s["ts_recv"] > third["at_ns"]]
    assert spy_late and all(len(s["bids"]) <= 2 and len(s["asks"]) <= 2 for s in spy_late)
