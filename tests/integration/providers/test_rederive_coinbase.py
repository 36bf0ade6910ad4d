"""``mdc rederive`` on the Coinbase capture: collected live with raw capture on, re-derived with a
deliberately wrong parser (bad rows), then with the fixed one: the original archive again."""

from __future__ import annotations

import asyncio
import json
import shutil
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from crypto_harness import config_for
from replay_server import ReplayServer, read_rest_capture, read_ws_capture
from test_crypto_replay import COINBASE_PRODUCTS, coinbase_expected
from typer.testing import CliRunner

from mdc.cli.main import app
from mdc.config import Config
from mdc.domain.time import today_utc
from mdc.pipeline.runtime import Runtime
from mdc.providers.coinbase import parse
from mdc.storage.archive import open_archive

runner = CliRunner()


async def _collect(crypto: Path, root: Path) -> Config:
    capture = read_ws_capture(crypto / "COINBASE.ws.28.0")
    frames = [payload for _, payload in capture.frames]
    expected = coinbase_expected(frames)
    rest = read_rest_capture([crypto / "COINBASE.0"])
    async with ReplayServer(frames, rest) as server:
        config = config_for("coinbase", server, COINBASE_PRODUCTS, root)
        runtime = Runtime(config)
        runtime.start_provider("coinbase")
        task = asyncio.create_task(runtime.run())
        async with asyncio.timeout(20):
            await server.replayed.wait()
            while any(runtime.events_by_type[k] < v for k, v in expected.items()):
                await asyncio.sleep(0.02)
        await asyncio.sleep(0.3)
        runtime.stop()
        await task
    return config


def everything(root: Path) -> dict[str, list[dict[str, Any]]]:
    archive = open_archive(root)
    return {
        t: archive.sql(f"SELECT * FROM {t} ORDER BY ALL", as_="arrow").to_pylist()
        for t in archive.types()
    }


def rederive(config_file: Path, src: Path, out: Path | None) -> dict[str, Any]:
    today = today_utc()  # raw frames are filed by receive day: the collection ran just now
    days = ["--from", (today - timedelta(days=1)).isoformat(), "--to", today.isoformat()]
    args = ["rederive", "--provider", "coinbase", *days, "-d", str(src)]
    where = ["--out", str(out)] if out is not None else ["--in-place"]
    result = runner.invoke(app, [*args, *where, "-c", str(config_file), "--json"])
    assert result.exit_code == 0, result.output
    report: dict[str, Any] = json.loads(result.output)
    return report


def test_wrong_parser_then_fixed_parser_restores_the_archive(
    fixtures_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = tmp_path / "collected"
    config = asyncio.run(_collect(fixtures_dir / "crypto", original))
    config_file = tmp_path / "mdc.toml"
    config_file.write_text(f'provider = "coinbase"\nsymbols = {json.dumps(COINBASE_PRODUCTS)}\n')
    want = everything(original)
    assert {t: len(rows) for t, rows in want.items() if t != "statuses"} == {
        "trades": 107, "book_deltas": 9719, "book_snapshots": 10, "quotes": 107,
    }  # fmt: skip
    assert config.storage.raw_capture

    # The classic bug: match.side taken as the aggressor (it is the maker's side).
    monkeypatch.setattr(parse, "_TAKER", {"sell": "sell", "buy": "buy"})
    broken = tmp_path / "broken"
    report = rederive(config_file, original, broken)
    assert report["bad_frames"] == 0
    assert report["frames"] == len(
        read_ws_capture(fixtures_dir / "crypto" / "COINBASE.ws.28.0").frames
    )
    changed = {(c["type"], c["day"]): (c["removed"], c["added"]) for c in report["changes"]}
    by_type = Counter(t for t, _ in changed)
    assert set(by_type) == {"trades"}
    assert sum(r for r, _ in changed.values()) == 107
    assert sum(a for _, a in changed.values()) == 107
    bad = everything(broken)
    assert bad["book_deltas"] == want["book_deltas"]
    assert all(
        b["side"] != w["side"] for b, w in zip(
            sorted(bad["trades"], key=lambda r: r["trade_id"]),
            sorted(want["trades"], key=lambda r: r["trade_id"]), strict=True,
        )
    )  # fmt: skip

    monkeypatch.undo()
    fixed = tmp_path / "fixed"
    report = rederive(config_file, broken, fixed)
    assert sum(c["removed"] for c in report["changes"]) == 107
    assert sum(c["added"] for c in report["changes"]) == 107
    assert everything(fixed) == want
    # In place: the broken archive itself is repaired by one atomic swap, the old one kept.
    inplace = tmp_path / "inplace"
    shutil.copytree(broken, inplace)
    report = rederive(config_file, inplace, None)
    assert sum(c["added"] for c in report["changes"]) == 107
    assert everything(inplace) == want
    (kept,) = tmp_path.glob("inplace.before-rederive-*")
    assert report["previous_version"] == str(kept)
    assert everything(kept) == bad
    assert not list(tmp_path.glob(".inplace.rederive-*"))
    # Re-deriving with the same parser changes nothing.
    again = rederive(config_file, fixed, tmp_path / "again")
    assert again["changes"] == []
