"""/health, /ready: a stalled feed, a full queue, an unwritable or full archive, and recovery."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.support.collector import CollectorThread, provider_of, scripted
from tests.support.feed import SYMBOLS, push, scripted_config, trades

STALE_S = 0.6


def check(client: httpx.Client, name: str) -> tuple[int, str, dict[str, Any]]:
    res = client.get("/health")
    body = res.json()
    by_name = {c["name"]: c for c in body["checks"]}
    return res.status_code, body["status"], by_name[name]


@pytest.fixture
def stalling(tmp_path: Path) -> Iterator[tuple[CollectorThread, httpx.Client]]:
    config = scripted_config(tmp_path / "data", MDC_PIPELINE__STALE_AFTER_S=str(STALE_S))
    with (
        CollectorThread(config, scripted) as running,
        httpx.Client(base_url=running.url, timeout=10) as http,
    ):
        yield running, http


def test_healthy_collector_reports_every_check(
    collector: CollectorThread, client: httpx.Client
) -> None:
    push(collector, trades(SYMBOLS))
    res = client.get("/health")
    assert res.status_code == 200
    body = res.json()
    assert body["status"] == "healthy"
    assert [c["name"] for c in body["checks"]] == [
        "pipeline",
        "providers",
        "freshness",
        "queue_utilisation",
        "drop_rate",
        "integrity_rate",
        "storage_writable",
        "disk_space",
    ]
    assert client.get("/ready").json() == {"ready": True, "reason": "ready"}
    assert client.get("/live").json() == {"status": "alive"}


def test_stalled_feed_turns_freshness_degraded_then_unhealthy_and_recovers(
    stalling: tuple[CollectorThread, httpx.Client],
) -> None:
    collector, client = stalling
    push(collector, trades(SYMBOLS))
    assert check(client, "freshness")[1:] == (
        "healthy",
        {"name": "freshness", "status": "healthy", "detail": "2 streams fresh", "value": 0},
    )
    # AAA keeps flowing, BBB stalls: degraded, naming BBB.
    deadline = time.monotonic() + STALE_S * 2
    while time.monotonic() < deadline:
        push(collector, trades(["AAA"]))
        time.sleep(0.1)
    code, overall, fresh = check(client, "freshness")
    assert (code, overall, fresh["status"], fresh["value"]) == (200, "degraded", "degraded", 1)
    assert fresh["detail"] == "1 of 2 streams silent for more than 0.6 s: BBB"
    # Everything stalls: unhealthy, 503.
    time.sleep(STALE_S + 0.2)
    code, overall, fresh = check(client, "freshness")
    assert (code, overall, fresh["status"], fresh["value"]) == (503, "unhealthy", "unhealthy", 2)
    # The feed resumes: healthy again.
    push(collector, trades(SYMBOLS))
    code, overall, fresh = check(client, "freshness")
    assert (code, overall, fresh["status"]) == (200, "healthy", "healthy")


def test_provider_disconnect_is_unhealthy_and_reconnect_recovers(
    collector: CollectorThread, client: httpx.Client
) -> None:
    push(collector, trades(SYMBOLS))
    provider = provider_of(collector, "scripted")
    collector.call(lambda: provider.set_connected(False))
    # Within the start-up grace a disconnected provider is degraded, after it unhealthy.
    code, overall, prov = check(client, "providers")
    assert (code, overall, prov["status"]) == (200, "degraded", "degraded")
    assert prov["detail"] == "not connected: scripted (reconnecting)"
    assert collector.app is not None
    collector.app.state.web.health.provider_grace_s = 0.0
    code, overall, prov = check(client, "providers")
    assert (code, overall, prov["status"]) == (503, "unhealthy", "unhealthy")
    collector.call(lambda: provider.set_connected(True))
    assert check(client, "providers")[2]["status"] == "healthy"


def test_full_queue_degrades_and_draining_recovers(
    collector: CollectorThread, client: httpx.Client
) -> None:
    assert collector.runtime is not None
    runtime = collector.runtime
    # A live consumer that has stopped reading: 100 events of room, drop_newest.
    slow = collector.call(lambda: runtime.fanout.add("slow", 100, "drop_newest"))
    push(collector, trades(SYMBOLS, 75))  # 150 events: 100 queued, 50 dropped
    code, overall, queues = check(client, "queue_utilisation")
    assert (code, overall) == (200, "degraded")
    assert queues == {
        "name": "queue_utilisation",
        "status": "degraded",
        "detail": "fullest: slow at 100%",
        "value": 1.0,
    }
    drops = check(client, "drop_rate")[2]
    assert drops["status"] == "degraded"
    # 150 events offered to three consumers (dashboard, quality, slow).
    assert drops["detail"] == "50 of 450 events dropped by live consumers in the last window"
    # The consumer catches up and leaves: utilisation and drop rate recover.
    collector.call(lambda: [slow.get_nowait() for _ in range(2)])
    assert check(client, "queue_utilisation")[2]["status"] == "healthy"
    collector.call(lambda: runtime.fanout.remove("slow"))
    assert check(client, "drop_rate")[2]["status"] == "healthy"
    assert client.get("/health").json()["status"] == "healthy"


# -- archive on a filesystem we control: read-only remount and disk full ----------------------


def _mount(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["mount", *args], capture_output=True, text=True, check=False)


def _mount_or_fail(*args: str) -> None:
    """Mounting needs root (CI runs as root); without it the test fails, it never skips."""
    result = _mount(*args)
    if result.returncode != 0:
        pytest.fail(f"cannot mount a tmpfs (run as root): {result.stderr.strip()}")


@pytest.fixture
def small_fs(tmp_path: Path) -> Iterator[Path]:
    """A 16 MiB tmpfs for the archive."""
    point = tmp_path / "fs"
    point.mkdir()
    _mount_or_fail("-t", "tmpfs", "-o", "size=16m", "tmpfs", str(point))
    try:
        yield point
    finally:
        subprocess.run(["umount", "-l", str(point)], check=False)


def test_read_only_archive_is_unhealthy_and_not_ready_until_writable(tmp_path: Path) -> None:
    root = tmp_path / "data"
    with (
        CollectorThread(scripted_config(root), scripted) as collector,
        httpx.Client(base_url=collector.url, timeout=10) as client,
    ):
        push(collector, trades(SYMBOLS))
        assert check(client, "storage_writable")[2]["status"] == "healthy"
        # A read-only filesystem mounted over the archive root: nothing new can be created there.
        _mount_or_fail("-t", "tmpfs", "-o", "ro,size=256m", "tmpfs", str(root))
        try:
            time.sleep(1.1)  # the write probe runs at most once a second
            code, overall, writable = check(client, "storage_writable")
            assert (code, overall, writable["status"]) == (503, "unhealthy", "unhealthy")
            assert writable["detail"] == f"archive {root} is not writable: Read-only file system"
            ready = client.get("/ready")
            assert ready.status_code == 503
            assert ready.json() == {"ready": False, "reason": writable["detail"]}
        finally:
            subprocess.run(["umount", str(root)], check=True)
        time.sleep(1.1)
        assert check(client, "storage_writable")[2]["status"] == "healthy"
        assert client.get("/ready").status_code == 200
        assert client.get("/health").json()["status"] == "healthy"


def test_full_disk_is_unhealthy_and_freeing_space_recovers(small_fs: Path) -> None:
    config = scripted_config(small_fs / "data", MDC_STORAGE__MIN_FREE_MB="4")
    with (
        CollectorThread(config, scripted) as collector,
        httpx.Client(base_url=collector.url, timeout=10) as client,
    ):
        push(collector, trades(SYMBOLS))
        assert check(client, "disk_space")[2]["status"] == "healthy"
        filler = small_fs / "filler"
        filler.write_bytes(b"\0" * (13 * 1024 * 1024))  # ~3 MiB left: below the 4 MiB minimum
        code, overall, disk = check(client, "disk_space")
        assert (code, overall, disk["status"]) == (503, "unhealthy", "unhealthy")
        assert disk["detail"].startswith("writing paused: ")
        filler.unlink()
        filler.write_bytes(b"\0" * (9 * 1024 * 1024))  # ~7 MiB left: under 2x the minimum
        assert check(client, "disk_space")[2]["status"] == "degraded"
        filler.unlink()
        assert check(client, "disk_space")[2]["status"] == "healthy"
