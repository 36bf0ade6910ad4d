"""The crypto capture benchmark still runs end to end and reports every venue and stage."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STAGES = ("floor", "parse", "parse + collectors", "end to end")
VENUES = ("coinbase", "binance", "kraken", "kraken-v2")
KERNELS = ("coinbase", "kraken", "kraken-v2")  # Binance has no compiled kernel


def expected_rows(venue: str) -> list[tuple[str, str]]:
    """Each stage, and after every stage but the floor its compiled twin where one exists."""
    rows = []
    for stage in STAGES:
        rows.append((venue, stage))
        if venue in KERNELS and stage != "floor":
            rows.append((venue, f"{stage} (kernel)"))
    return rows


def replay(
    tmp_path: Path, fixtures_dir: Path, output: Path, *extra: str
) -> subprocess.CompletedProcess[str]:
    """``crypto_replay.py --quick`` on the captures, its report to ``output``; it must pass."""
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "crypto_replay.py"),
            "--quick",
            *extra,
            "--output",
            str(output),
            "--fixtures",
            str(fixtures_dir / "crypto"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    return done


def test_quick_crypto_replay_reports_every_venue(tmp_path: Path, fixtures_dir: Path) -> None:
    output = tmp_path / "BENCHMARKS.md"
    replay(tmp_path, fixtures_dir, output)
    text = output.read_text()
    assert "<!-- begin:crypto -->" in text and "<!-- end:crypto -->" in text
    rows = [
        [c.strip() for c in line.strip("|").split("|")]
        for line in text.splitlines()
        if line.startswith(tuple(f"| {v} |" for v in VENUES))
    ]
    assert [(r[0], r[3]) for r in rows] == [row for v in VENUES for row in expected_rows(v)]
    frames = {r[0]: int(r[1].replace(",", "")) for r in rows}
    # Kraken v2 is the built session: instrument + 5 book snapshots + 4,000 updates, and a
    # trade and a ticker after every fifth update.
    assert frames == {"coinbase": 9946, "binance": 265, "kraken": 4321, "kraken-v2": 5606}
    for r in rows:
        assert float(r[4].replace(",", "")) > 0  # frames/s
    ends = {(r[0], r[3]): int(r[5].replace(",", "")) for r in rows if r[3].startswith("end to")}
    assert len(ends) == 7 and all(v > 0 for v in ends.values())


def test_venue_option_replays_only_that_venue_and_writes_nothing(
    tmp_path: Path, fixtures_dir: Path
) -> None:
    output = tmp_path / "BENCHMARKS.md"
    done = replay(tmp_path, fixtures_dir, output, "--venue", "binance")
    assert not output.exists()  # a partial table must not replace the report's section
    rows = [line for line in done.stdout.splitlines() if line.startswith("| ")]
    venues = {c for line in rows for c in (c.strip() for c in line.strip("|").split("|"))}
    assert "binance" in venues
    assert not venues & {"coinbase", "kraken", "kraken-v2"}
    assert "- binance: steady-state end to end" in done.stdout
