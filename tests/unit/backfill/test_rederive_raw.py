"""``rederive`` over raw records written here in the documented raw format (``FrameLog``): only
events received while the capture ran are replaced; a frame today's parser rejects is kept in
the new ``_bad`` and counted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mdc.backfill.rederive import RederiveError, rederive
from mdc.config import Config, load_config
from mdc.domain.events import Trade
from mdc.storage import open_store
from mdc.storage.archive import open_archive
from mdc.storage.layout import BAD_DIR, RAW_DIR
from mdc.storage.raw import RawLog, iter_raw

T0 = 1_709_294_400 * 10**9  # 2024-03-01T12:00:00Z


def match(trade_id: int, second: int) -> str:
    return json.dumps({
        "type": "match", "trade_id": trade_id, "sequence": 100 + trade_id, "side": "sell",
        "size": "0.5", "price": f"{60000 + trade_id}", "product_id": "BTC-USD",
        "time": f"2024-03-01T12:00:{second:02d}.000000Z",
    })  # fmt: skip


def archive(root: Path) -> Config:
    config = load_config(env={"MDC_STORAGE__ROOT": str(root)})
    early = Trade(
        symbol="BTC-USD", venue="coinbase", provider="coinbase", ts_event=T0 - 3600 * 10**9,
        ts_recv=T0 - 3600 * 10**9, price=1.0, size=1.0, side="buy", trade_id="0",
    )  # fmt: skip
    store = open_store(config.storage)
    store.append([early])
    store.close()
    log = RawLog(root / RAW_DIR, on_error=print)
    for i in range(1, 6):
        log.write_frame("coinbase", T0 + i * 10**9, match(i, i))
    log.write_frame("coinbase", T0 + 6 * 10**9, '{"type":"match","trade_id":"x"}')
    log.close()
    return config


def test_only_the_captured_span_is_replaced(tmp_path: Path) -> None:
    root = tmp_path / "data"
    config = archive(root)
    raw = [ts for ts, _ in iter_raw(root / RAW_DIR / "coinbase" / "2024-03-01.frames.zst")]
    assert raw == [T0 + i * 10**9 for i in range(1, 7)]
    report = rederive(config, root, tmp_path / "v2", "coinbase", "2024-03-01", "2024-03-01")
    assert (report.frames, report.bad_frames, report.derived) == (6, 1, 5)
    assert (report.covered_from_ns, report.covered_to_ns) == (T0 + 10**9, T0 + 6 * 10**9 + 1)
    trades = sorted(open_archive(tmp_path / "v2").events("trades"), key=lambda t: t.ts_event)
    assert [t.trade_id for t in trades if isinstance(t, Trade)] == ["0", "1", "2", "3", "4", "5"]
    assert trades[1].side == "buy"  # the maker sold: the taker bought
    assert [(c.type, c.day, c.removed, c.added) for c in report.changes] == [
        ("trades", "2024-03-01", 0, 5)
    ]
    bad = (tmp_path / "v2" / BAD_DIR / "coinbase" / "2024-03-01.jsonl").read_text().splitlines()
    assert len(bad) == 1 and "ValidationError" in json.loads(bad[0])["error"]
    # The copy keeps the raw capture: the new version can be re-derived again.
    again = rederive(
        config, tmp_path / "v2", tmp_path / "v3", "coinbase", "2024-03-01", "2024-03-01"
    )
    assert again.changes == []


def test_no_raw_frames_is_a_clear_error(tmp_path: Path) -> None:
    root = tmp_path / "data"
    config = archive(root)
    with pytest.raises(RederiveError, match="no raw frames of coinbase"):
        rederive(config, root, tmp_path / "v2", "coinbase", "2024-02-01", "2024-02-02")
    with pytest.raises(RederiveError, match="v2 exists"):
        (tmp_path / "v2").mkdir()
        rederive(config, root, tmp_path / "v2", "coinbase", "2024-03-01", "2024-03-01")
