"""`mdc gaps` and `GET /api/backfill/gaps` right after a first `mdc collect` (real processes):
nothing is missing, the output says what was judged, and an unreadable line is counted and named
instead of skipped in silence."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import httpx
from tests.support.serving import MDC, env, served

SYMBOLS = ("SPY", "AAPL", "MSFT")  # the default config's


def mdc(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*MDC, *args],
        env=env(MDC_STORAGE__ROOT=str(root), COLUMNS="200"),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_gaps_after_a_first_collect(tmp_path: Path) -> None:
    root = tmp_path / "data"
    collected = mdc(root, "collect", "--duration", "2", "--no-http")
    assert collected.returncode == 0, collected.stderr
    table = mdc(root, "gaps")
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    # Whatever the time of day: the first data is from now, so no session since has ended.
    assert lines[0] == "no gaps in the sessions judged:"
    assert [line.split(":")[0] for line in lines[1:]] == list(SYMBOLS)
    for line in lines[1:]:
        assert "judged no ended session from the first stored data (" in line

    # Damage one archive file from outside: the line is skipped, counted and named.
    victim = sorted(root.glob("SPY/trades/*.jsonl"))[0]
    with victim.open("ab") as f:
        f.write(b'{"type": "trade", "symbol": \n')
    as_json = mdc(root, "gaps", "--json", "--from", "2024-07-01", "--to", "2024-07-01")
    assert as_json.returncode == 0, as_json.stderr
    assert [json.loads(x)["day"] for x in as_json.stdout.splitlines()] == ["2024-07-01"] * 6
    assert f"skipped 1 unreadable line(s) in {victim}" in as_json.stderr
    assert f"{victim}: 1 line(s) are not readable events; skipped" in as_json.stderr  # the log

    with served(root) as (base, _):
        answer = httpx.get(f"{base}/api/backfill/gaps", params={"symbols": "SPY"}, timeout=30)
        assert answer.status_code == 200, answer.text
        report = answer.json()
        assert report["spans"] == []
        assert [s["symbol"] for s in report["scopes"]] == ["SPY"]
        assert report["scopes"][0]["sessions"] == 0
        assert report["scopes"][0]["summary"].startswith("SPY: judged no ended session from")
        bad = httpx.get(f"{base}/api/backfill/gaps", params={"type": "book"}, timeout=30)
        assert bad.status_code == 400
        assert bad.json()["detail"] == "cannot check 'book': one of bars, trades, quotes"
    assert os.path.exists(victim)  # skipped, not removed
