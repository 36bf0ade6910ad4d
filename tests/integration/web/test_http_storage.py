"""Storage routes over a known archive: exact per-day coverage, and verification in the
background (``mdc serve`` mode: no runtime)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from mdc.config import Config, load_config
from mdc.domain.events import Event, Quote, Trade
from mdc.domain.time import datetime_to_ns
from mdc.storage import open_store
from mdc.web.app import create_app


def ns(day: int, hour: int = 12, i: int = 0) -> int:
    return datetime_to_ns(datetime(2024, 3, day, hour, tzinfo=UTC)) + i


def trade(symbol: str, day: int, i: int) -> Event:
    t = ns(day, i=i)
    return Trade(symbol=symbol, venue="X", provider="p", ts_event=t, ts_recv=t, price=1.0, size=1)


def quote(symbol: str, day: int, i: int) -> Event:
    t = ns(day, i=i)
    return Quote(
        symbol=symbol,
        venue="X",
        provider="p",
        ts_event=t,
        ts_recv=t,
        bid_price=1.0,
        bid_size=1,
        ask_price=2.0,
        ask_size=1,
    )


def build(root: Path, fmt: str) -> Config:
    config = load_config(
        env={
            "MDC_STORAGE__ROOT": str(root),
            "MDC_STORAGE__FORMAT": fmt,
            "MDC_STORAGE__COMPRESSION": "zstd",
        }
    )
    store = open_store(config.storage)
    events = (
        [trade("SPY", 1, i) for i in range(3)]
        + [trade("SPY", 3, i) for i in range(2)]
        + [quote("AAPL", 2, i) for i in range(4)]
        + [trade("AAPL", 3, 0)]
    )
    store.append(events)
    store.close()
    return config


@pytest.fixture(params=["jsonl", "parquet"])
def client(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TestClient]:
    config = build(tmp_path / "data", request.param)
    with TestClient(create_app(config)) as http:
        yield http


def cells(series: dict[str, Any]) -> dict[str, int | None]:
    return {day: c["rows"] for day, c in series["cells"].items()}


def test_coverage_is_exact(client: TestClient) -> None:
    res = client.get("/api/storage/coverage", params={"days": 5})
    assert res.status_code == 200, res.text
    cov = res.json()
    assert (cov["partition"], cov["unit"], cov["first"], cov["last"]) == (
        "daily",
        "day",
        "2024-03-01",
        "2024-03-03",
    )
    assert cov["columns"] == [f"2024-02-{d}" for d in (28, 29)] + [
        f"2024-03-0{d}" for d in (1, 2, 3)
    ]
    got = {(s["symbol"], s["type"]): (s["rows"], s["files"], cells(s)) for s in cov["series"]}
    assert got == {
        ("AAPL", "quotes"): (4, 1, {"2024-03-02": 4}),
        ("AAPL", "trades"): (1, 1, {"2024-03-03": 1}),
        ("SPY", "trades"): (5, 2, {"2024-03-01": 3, "2024-03-03": 2}),
    }
    assert cov["uncounted_files"] == 0
    narrow = client.get(
        "/api/storage/coverage", params={"symbol": "SPY", "end": "2024-03-02", "days": 2}
    ).json()
    assert narrow["columns"] == ["2024-03-01", "2024-03-02"]
    assert [cells(s) for s in narrow["series"]] == [{"2024-03-01": 3}]
    assert client.get("/api/storage/coverage", params={"days": 0}).status_code == 422


def test_stats_of_an_archive_say_nothing_is_writing(client: TestClient) -> None:
    stats = client.get("/api/storage/stats").json()
    assert "store" not in stats
    summary = stats["summary"]
    assert summary["writing"] is False
    assert summary["disk"]["used_bytes"] == stats["disk"]["bytes"] > 0
    assert summary["disk"]["free_bytes"] > 0
    assert summary["write_rate_bytes_per_s"] is None
    assert summary["projected_daily_bytes"] is None


def test_contents_say_what_the_archive_holds(client: TestClient) -> None:
    held = client.get("/api/storage/contents").json()
    assert held["symbols"] == ["AAPL", "SPY"]
    assert held["types"] == {"quotes": 1, "trades": 2}
    assert (held["partition"], held["first"], held["last"]) == ("daily", "2024-03-01", "2024-03-03")
    root: Path = client.app.state.web.root  # type: ignore[attr-defined]
    data = [p for p in root.rglob("*") if p.is_file() and "_mdc" not in p.relative_to(root).parts]
    assert held["files"] == len(data) == 4
    assert held["bytes"] == sum(p.stat().st_size for p in data)


def test_verify_runs_in_the_background_and_returns_the_table(client: TestClient) -> None:
    assert client.get("/api/storage/verify").json()["state"] == "idle"
    started = client.post("/api/storage/verify")
    assert started.status_code == 202
    deadline = time.monotonic() + 10
    while (result := client.get("/api/storage/verify").json())["state"] == "running":
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert result["state"] == "done", result["error"]
    assert (result["files_total"], result["files_done"]) == (4, 4)
    assert result["summary"] == {"error": 0, "warning": 0, "ok": 4}
    rows = {(r["symbol"], r["type"], r["partition"]): r["rows"] for r in result["reports"]}
    assert rows == {
        ("AAPL", "quotes", "2024-03-02"): 4,
        ("AAPL", "trades", "2024-03-03"): 1,
        ("SPY", "trades", "2024-03-01"): 3,
        ("SPY", "trades", "2024-03-03"): 2,
    }
    assert {r["status"] for r in result["reports"]} == {"ok"}
