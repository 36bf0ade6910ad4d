"""Dataset routes over a known archive (``mdc serve`` mode): a package created as a job, listed,
verified and downloaded byte for byte; a damaged one fails naming the file; a re-derivation
without raw frames fails with the reason."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.support.packages import middle_of

from mdc.backfill.packages import PACKAGES_DIR
from mdc.config import load_config
from mdc.domain.events import Event, Trade
from mdc.storage import open_store
from mdc.web.app import create_app

T0 = 1_709_294_400 * 10**9  # 2024-03-01T12:00:00Z


def trades() -> list[Event]:
    return [
        Trade(
            symbol=s,
            venue="X",
            provider="p",
            ts_event=T0 + i,
            ts_recv=T0 + i,
            price=1.0 + i,
            size=1,
        )
        for s in ("SPY", "QQQ")
        for i in range(50)
    ]


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    config = load_config(env={"MDC_STORAGE__ROOT": str(tmp_path / "data")})
    store = open_store(config.storage)
    store.append(trades())
    store.close()
    with TestClient(create_app(config)) as http:
        yield http


def wait(client: TestClient, job: dict[str, Any]) -> dict[str, Any]:
    for _ in range(500):
        got: dict[str, Any] = client.get(f"/api/datasets/jobs/{job['id']}").json()
        if got["state"] != "running":
            return got
        time.sleep(0.01)
    raise AssertionError(f"job {job['id']} still running")


def test_package_create_list_verify_download(client: TestClient, tmp_path: Path) -> None:
    res = client.post("/api/datasets/packages", json={"name": "spy", "symbols": ["SPY"]})
    assert res.status_code == 202, res.text
    done = wait(client, res.json())
    assert done["state"] == "done", done
    assert done["result"] == {"file": "spy.tar.zst", "files": 1, "rows": 50}
    (listed,) = client.get("/api/datasets/packages").json()
    assert listed["file"] == "spy.tar.zst"
    assert (listed["manifest"]["rows"], listed["manifest"]["file_count"]) == (50, 1)
    assert listed["manifest"]["symbols"] == ["SPY"]
    check = wait(client, client.post("/api/datasets/packages/spy.tar.zst/verify").json())
    assert check["result"]["ok"] is True
    path = tmp_path / "data" / PACKAGES_DIR / "spy.tar.zst"
    body = client.get("/api/datasets/packages/spy.tar.zst")
    assert body.status_code == 200
    assert body.content == path.read_bytes()

    assert client.post("/api/datasets/packages", json={"name": "spy"}).status_code == 409
    empty = client.post("/api/datasets/packages", json={"name": "x", "symbols": ["NOPE"]})
    assert empty.status_code == 400
    assert "nothing selected" in empty.json()["detail"]

    data = bytearray(path.read_bytes())
    data[middle_of(bytes(data), "data/SPY/trades/2024-03-01.jsonl")] ^= 1  # the one data file
    path.write_bytes(bytes(data))
    bad = wait(client, client.post("/api/datasets/packages/spy.tar.zst/verify").json())
    assert bad["result"]["ok"] is False
    assert bad["result"]["problems"][0]["path"] == "SPY/trades/2024-03-01.jsonl"


def test_rederive_without_raw_frames_fails_with_the_reason(client: TestClient) -> None:
    body = {"provider": "coinbase", "start": "2024-03-01", "end": "2024-03-01", "out": "v2"}
    res = client.post("/api/datasets/rederive", json=body)
    assert res.status_code == 202, res.text
    done = wait(client, res.json())
    assert done["state"] == "failed"
    assert "no raw frames of coinbase" in done["error"]
    assert client.get("/api/datasets/jobs").json()[0]["id"] == done["id"]
    assert client.get("/api/datasets/jobs/nope").status_code == 404
