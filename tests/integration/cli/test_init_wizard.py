"""``mdc init`` driven in a real pseudo-terminal (pexpect): answers typed, bad answers asked
again with the reason, and the file it writes validates and collects."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pexpect
from pytest_httpserver import HTTPServer

from mdc.config import load_config

MDC = [sys.executable, "-m", "mdc.cli"]


def test_wizard_asks_rechecks_and_writes_a_file_that_collects(tmp_path: Path) -> None:
    out, root = tmp_path / "mdc.toml", tmp_path / "archive"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MDC_", "POLYGON_"))}
    env |= {"NO_COLOR": "1", "TERM": "dumb", "COLUMNS": "200", "ALPACA_KEY_ID": "AK_FOUND"}
    env.pop("ALPACA_SECRET_KEY", None)
    child = pexpect.spawn(
        MDC[0], [*MDC[1:], "init", "--output", str(out)], env=env, cwd=str(tmp_path),
        encoding="utf-8", timeout=30,
    )  # fmt: skip
    try:
        child.expect(r"credentials found for: none")  # alpaca has only one of its two keys
        child.expect(r"Streaming provider \(simulated\): ")
        child.sendline("polygon")
        child.expect(r"not accepted: polygon needs POLYGON_API_KEY")
        child.expect(r"Streaming provider \(simulated\): ")
        child.sendline("")  # the default
        child.expect(r"Symbols \(comma-separated\) \(SPY,AAPL,MSFT\): ")
        child.sendline("SPY, BRK B")
        child.expect(r"not accepted: 'BRK B' is not a symbol")
        child.expect(r"Symbols \(comma-separated\) \(SPY,AAPL,MSFT\): ")
        child.sendline("SPY,QQQ")
        child.expect(r"Storage root \(data\): ")
        child.sendline(str(root))
        child.expect(r"Archive format \(jsonl/parquet/both\) \(jsonl\): ")
        child.sendline("csv")
        child.expect(r"not accepted: choose one of jsonl, parquet, both, got 'csv'")
        child.expect(r"\(jsonl\): ")
        child.sendline("parquet")
        child.expect(r"Retention in days \(0 keeps everything\) \(0\): ")
        child.sendline("-3")
        child.expect(r"not accepted: days: must be 0 or more, got -3")
        child.expect(r"\(0\): ")
        child.sendline("30")
        child.expect(r"Disk budget in MB \(0: no cap\) \(0\): ")
        child.sendline("lots")
        child.expect(r"not accepted: disk budget: give a whole number, got 'lots'")
        child.expect(r"\(0\): ")
        child.sendline("5000")
        child.expect(pexpect.EOF)
        # TERM=dumb makes rich wrap at 80 columns, inside a long tmp path too: compare unwrapped.
        said = "".join(child.before.split())
        assert "".join(f"wrote {out}; start with: mdc collect --config {out}".split()) in said
    finally:
        child.close()
    assert child.exitstatus == 0
    text = out.read_text()
    assert text.startswith("# mdc.toml, written by `mdc init`")
    config = load_config(out, env={})
    assert (config.provider, config.symbols) == ("simulated", ["SPY", "QQQ"])
    storage = config.storage
    assert (storage.root, storage.format) == (str(root), "parquet")
    assert (storage.retention_days, storage.retention_max_mb) == (30, 5000)
    run = subprocess.run(
        [*MDC, "collect", "--config", str(out), "--duration", "2", "--no-http"],
        env={k: v for k, v in env.items() if k not in ("TERM", "NO_COLOR")},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    traded = {p.name for p in (root / "parquet").glob("type=trades/date=*/symbol=*")}
    assert traded == {"symbol=SPY", "symbol=QQQ"}


def test_yes_with_a_bad_flag_is_a_usage_error_naming_it(tmp_path: Path) -> None:
    done = subprocess.run(
        [*MDC, "init", "--yes", "--output", str(tmp_path / "x.toml"), "--format", "csv"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "archive format: choose one of jsonl, parquet, both, got 'csv'" in done.stderr
    assert not (tmp_path / "x.toml").exists()


def test_a_rejected_key_is_asked_again(tmp_path: Path, httpserver: HTTPServer) -> None:
    httpserver.expect_request(re.compile(r"/v2/aggs/ticker/SPY/.*")).respond_with_json(
        {"status": "ERROR", "error": "Unknown API Key"}, status=401
    )
    out = tmp_path / "mdc.toml"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MDC_", "POLYGON_"))}
    env |= {
        "NO_COLOR": "1",
        "TERM": "dumb",
        "COLUMNS": "300",
        "POLYGON_API_KEY": "pk_wrong_0123456789",
        "MDC_PROVIDERS__POLYGON__REST__URL": httpserver.url_for("/"),
        "MDC_PROVIDERS__POLYGON__REST__MAX_ATTEMPTS": "1",
    }
    flags = ["--symbols", "SPY", "--data", str(tmp_path / "d"), "--format", "jsonl"]
    flags += ["--retention-days", "0", "--max-mb", "0"]
    child = pexpect.spawn(
        MDC[0], [*MDC[1:], "init", "--output", str(out), *flags], env=env,
        encoding="utf-8", timeout=30,
    )  # fmt: skip
    try:
        child.expect(r"credentials found for: polygon")
        child.expect(r"Streaming provider \(polygon\): ")
        child.sendline("")
        child.expect(r"not accepted: polygon: HTTP 401: .*Unknown API Key; check POLYGON_API_KEY")
        child.expect(r"Streaming provider \(polygon\): ")
        child.sendline("simulated")
        child.expect(r"wrote ")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0
    assert load_config(out, env={}).provider == "simulated"
    assert len(httpserver.log) == 1  # one cheap request per answer
