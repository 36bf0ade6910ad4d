"""The replay benchmark still runs end to end on a tiny day and reports both passes and RSS."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_quick_replay_benchmark_reports_rate_and_memory(tmp_path: Path) -> None:
    output = tmp_path / "BENCHMARKS.md"
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "replay.py"),
            "--quick",
            "--output",
            str(output),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    text = output.read_text()
    assert "<!-- begin:replay -->" in text and "<!-- end:replay -->" in text
    assert "60,003 events in 9 streams" in text
    assert "| decode every file (floor) |" in text and "| replay: merge + JSON lines |" in text
    assert "Resident memory during the replay" in text
