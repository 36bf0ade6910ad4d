"""A real ``mdc import tardis`` process is SIGKILLed mid-file and run again: it resumes after the
batches it committed, and the archive holds every row of the file exactly once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from mdc.backfill.imports import state_path
from mdc.storage.archive import open_archive

ROWS = 200_000  # 20 batches of 10,000


def write_trades(path: Path) -> None:
    t0 = 1_700_000_000_000_000
    with path.open("w") as f:
        f.write("exchange,symbol,timestamp,local_timestamp,id,side,price,amount\n")
        for i in range(ROWS):
            f.write(f"binance,ETHUSDT,{t0 + i},{t0 + i + 7},{i},buy,{2000 + i % 100}.25,1.5\n")


def mdc(root: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "MDC_STORAGE__ROOT": str(root), "COLUMNS": "120"}
    return subprocess.Popen(
        [sys.executable, "-m", "mdc.cli", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def batches_done(path: Path) -> int:
    try:
        return int(json.loads(path.read_text())["batches"])
    except (OSError, ValueError, KeyError):
        return 0


def test_killed_import_resumes_without_duplicates(tmp_path: Path) -> None:
    src, root = tmp_path / "trades.csv", tmp_path / "data"
    write_trades(src)
    state = state_path(root, "tardis", src)
    victim = mdc(root, "import", "tardis", str(src))
    deadline = time.monotonic() + 60
    while batches_done(state) < 3:
        assert victim.poll() is None, "the import finished before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.002)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    killed_at = json.loads(state.read_text())
    assert not killed_at["done"]
    assert 3 <= killed_at["batches"] < 20

    rerun = mdc(root, "import", "tardis", str(src), "--json")
    out, err = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, err
    summary = json.loads(out)
    assert summary["import"]["done"] and summary["import"]["batches"] == 20
    assert summary["import"]["events"] == ROWS

    trades = open_archive(root).sql("SELECT trade_id FROM trades", as_="arrow")
    ids = trades.column("trade_id").to_pylist()
    assert len(ids) == ROWS
    assert len(set(ids)) == ROWS
