"""Lean export jobs and the replay WebSocket over HTTP (``mdc serve`` mode), on an archive of a
simulated day: the downloaded zip holds exactly what ``mdc export lean`` writes."""

from __future__ import annotations

import io
import json
import time
import zipfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from mdc.cli.main import app as cli
from mdc.config import Config, load_config
from mdc.domain.events import Trade
from mdc.providers.simulated.config import SimulatedConfig
from mdc.providers.simulated.historical import day_ticks
from mdc.storage import open_store
from mdc.web.app import create_app

DAY = date(2024, 3, 1)


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Config:
    root = tmp_path_factory.mktemp("http-export") / "data"
    config = load_config(None, env={"MDC_STORAGE__ROOT": str(root)})
    store = open_store(config.storage)
    store.append(list(day_ticks(SimulatedConfig(), "SPY", DAY)))
    store.close()
    return config


@pytest.fixture
def client(config: Config) -> Iterator[TestClient]:
    with TestClient(create_app(config)) as http:
        yield http


def finished(client: TestClient, job: dict[str, Any]) -> dict[str, Any]:
    for _ in range(600):  # a bound on polls, not a timing assertion
        job = client.get(f"/api/export/jobs/{job['id']}").json()
        if job["state"] in ("done", "failed"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"export {job['id']} did not finish: {job}")


def test_export_job_writes_and_serves_the_lean_folder(
    client: TestClient, config: Config, tmp_path: Path
) -> None:
    body = {"symbols": ["spy"], "start": "2024-03-01", "end": "2024-03-01", "resolution": "minute"}
    res = client.post("/api/export/lean", json=body)
    assert res.status_code == 202, res.text
    job = finished(client, res.json())
    assert job["state"] == "done", job["error"]
    assert [(f["path"], f["source"]) for f in job["files"]] == [
        ("equity/usa/minute/spy/20240301_trade.zip", "trades"),
        ("equity/usa/minute/spy/20240301_quote.zip", "quotes"),
        ("equity/usa/factor_files/spy.csv", "corporate_actions"),
        ("equity/usa/map_files/spy.csv", "corporate_actions"),
    ]
    assert job["files"][0]["rows"] == 390  # every regular-session minute traded
    assert client.get("/api/export/jobs").json()[0]["id"] == job["id"]
    download = client.get(job["download"])
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/zip"
    bundle = zipfile.ZipFile(io.BytesIO(download.content))
    assert sorted(bundle.namelist()) == sorted(f["path"] for f in job["files"])
    # the same bytes as the CLI's export
    out = tmp_path / "cli"
    args = ["export", "lean", "-s", "SPY", "--from", "2024-03-01", "--to", "2024-03-01"]
    result = CliRunner().invoke(cli, [*args, "--out", str(out), "-d", config.storage.root])
    assert result.exit_code == 0, result.output
    for name in bundle.namelist():
        assert bundle.read(name) == (out / name).read_bytes(), name


def test_export_requests_are_checked(client: TestClient) -> None:
    base = {"symbols": ["SPY"], "start": "2024-03-02", "end": "2024-03-01"}
    res = client.post("/api/export/lean", json=base)
    assert res.status_code == 422 and "before start" in res.text
    res = client.post("/api/export/lean", json={**base, "end": "2024-03-03", "resolution": "week"})
    assert res.status_code == 422 and "resolution" in res.text
    assert client.get("/api/export/jobs/nope").status_code == 404
    res = client.post("/api/export/lean", json={**base, "symbols": ["QQQ"], "end": "2024-03-03"})
    job = finished(client, res.json())
    assert (job["state"], job["files"], job["empty"], job["download"]) == (
        "done",
        [],
        ["QQQ"],
        None,
    )
    res = client.get(f"/api/export/jobs/{job['id']}/download")
    assert res.status_code == 409 and "nothing was written" in res.text


def test_replay_websocket_streams_the_day_in_order(client: TestClient) -> None:
    trades = [t for t in day_ticks(SimulatedConfig(), "SPY", DAY) if isinstance(t, Trade)]
    url = "/api/replay?from=2024-03-01&to=2024-03-01&symbols=SPY&types=trades&speed=max"
    with client.websocket_connect(url) as ws:
        hello = json.loads(ws.receive_text())
        got: list[dict[str, Any]] = []
        while True:
            message = json.loads(ws.receive_text())
            if isinstance(message, dict):
                break
            got.extend(message)
    assert hello["type"] == "hello" and hello["types"] == ["trades"]
    assert message == {"type": "end", "events": len(trades)}
    assert [(e["ts_event"], e["price"]) for e in got] == [(t.ts_event, t.price) for t in trades]
    with client.websocket_connect("/api/replay?from=2024-03-01&to=2024-03-01&speed=0") as ws:
        error = json.loads(ws.receive_text())
    assert error == {"type": "error", "detail": "speed must be a positive number or max, got '0'"}
