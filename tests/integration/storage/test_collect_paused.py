"""A real ``mdc collect`` on a real full disk (a small tmpfs): it starts paused instead of
failing, resumes when space returns, and SIGINT, SIGTERM and ``--duration`` stop it with exit
code 0 in every state — what was acknowledged is replayed by the next start, exactly once."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.support.disk import MB, fill, tmpfs
from tests.support.wal_audit import assert_exactly_once

STOP_TIMEOUT_S = 30.0
PAUSED = "storage paused"


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path]:
    with tmpfs(tmp_path / "mnt", 8) as mnt:
        yield mnt


class Collector:
    """``mdc collect`` with its log in a file the test can poll."""

    def __init__(self, root: Path, log: Path, rate: int, *extra: str) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MDC_")}
        env.update(
            {
                "MDC_STORAGE__MIN_FREE_MB": "2",
                "MDC_STORAGE__WAL__FSYNC": "always",
                "MDC_STORAGE__WAL__KEEP_SEGMENTS": "true",
                "MDC_STORAGE__WAL__SEGMENT_MAX_MB": "1",
                "MDC_STORAGE__RAW_CAPTURE": "false",
                "MDC_PROVIDERS__SIMULATED__RATE": str(rate),
            }
        )
        self.log = log
        self._log_file = log.open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "mdc.cli", "collect", "--no-http", "--data", str(root), *extra],
            stdout=subprocess.DEVNULL,
            stderr=self._log_file,
            env=env,
        )

    def text(self) -> str:
        return self.log.read_text()

    def wait_for(self, needle: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if needle in self.text():
                return
            assert self.proc.poll() is None, f"exited {self.proc.returncode}:\n{self.text()}"
            time.sleep(0.05)
        pytest.fail(f"no {needle!r} in the log after {timeout:g}s:\n{self.text()}")

    def stop(self, sig: signal.Signals | None) -> int:
        """Send ``sig`` (None: let ``--duration`` end it); the exit code."""
        if sig is not None:
            self.proc.send_signal(sig)
        try:
            code = self.proc.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            pytest.fail(f"mdc collect did not stop in {STOP_TIMEOUT_S:g}s:\n{self.text()}")
        finally:
            self._log_file.close()
        return code


def archive_lines(root: Path) -> int:
    return sum(
        p.read_bytes().count(b"\n")
        for p in root.rglob("*.jsonl")
        if not any(part.startswith("_") for part in p.relative_to(root).parts)
    )


@pytest.mark.parametrize("how", ["SIGINT", "SIGTERM", "duration"])
def test_starting_on_a_full_disk_pauses_and_every_stop_exits_0(
    disk: Path, tmp_path: Path, how: str
) -> None:
    fill(disk)  # not even a WAL segment header fits
    root = disk / "data"
    extra = ("--duration", "2") if how == "duration" else ()
    run = Collector(root, tmp_path / "collect.log", 2000, *extra)
    run.wait_for(PAUSED)
    run.wait_for("collection waits")  # the pipeline is blocked on the paused store
    assert run.stop(None if how == "duration" else signal.Signals[how]) == 0, run.text()
    log = run.text()
    assert "No space left on device" not in log.splitlines()[-1]
    assert "stopping while storage is paused" in log
    assert "never acknowledged" in log  # what the feed sent meanwhile is counted, not stored
    assert "Traceback" not in log
    assert not list((root / "_mdc").glob("*.tmp"))


def test_started_on_a_full_disk_resumes_when_space_returns(disk: Path, tmp_path: Path) -> None:
    ballast = fill(disk)
    root = disk / "data"
    run = Collector(root, tmp_path / "collect.log", 500)
    run.wait_for("collection waits")
    assert archive_lines(root) == 0
    ballast.unlink()
    run.wait_for("storage resumed")
    deadline = time.monotonic() + 30
    while archive_lines(root) < 200 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert run.stop(signal.SIGTERM) == 0, run.text()
    assert (root / "_mdc/layout.json").is_file()  # written once the disk had room
    stored = assert_exactly_once(root, "jsonl")
    assert stored == archive_lines(root) >= 200


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_paused_mid_run_stops_and_restarts_on_the_full_disk(
    disk: Path, tmp_path: Path, sig: signal.Signals
) -> None:
    fill(disk, leave_bytes=3 * MB)  # the collector itself fills the rest
    root = disk / "data"
    run = Collector(root, tmp_path / "first.log", 5000)
    run.wait_for(PAUSED)
    run.wait_for("collection waits")
    code = run.stop(sig)
    assert code == (0 if sig == signal.SIGTERM else -signal.SIGKILL), run.text()
    if sig == signal.SIGTERM:
        assert "stopping while storage is paused" in run.text()

    # Restart on the still full disk (after a clean stop or a crash): paused, not failed.
    again = Collector(root, tmp_path / "again.log", 5000, "--duration", "1.5")
    again.wait_for(PAUSED)
    assert again.stop(None) == 0, again.text()
    assert "Traceback" not in again.text()

    # The next start with room replays what is acknowledged: exactly once.
    roomy = tmp_path / "roomy"
    shutil.copytree(root, roomy)
    (roomy / "_mdc/LOCK").unlink()
    last = Collector(roomy, tmp_path / "last.log", 5000, "--duration", "0")
    assert last.stop(None) == 0, last.text()
    assert assert_exactly_once(roomy, "jsonl") > 1000
