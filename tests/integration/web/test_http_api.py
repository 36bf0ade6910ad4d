"""The JSON API against a real collector fed by the scripted provider."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest
from tests.support.collector import CollectorThread, provider_of, scripted
from tests.support.feed import SYMBOLS, push, scripted_config, trades

from mdc.domain.events import Gap, Integrity, Quote
from mdc.domain.time import now_ns

API_KEY = "k3y-for-tests-0123456789"
AT0 = ["body", "symbols", 0]


def test_status_reports_runtime_figures(collector: CollectorThread, client: httpx.Client) -> None:
    push(collector, trades(SYMBOLS, 3))
    status = client.get("/status").json()
    assert status["mode"] == "live"
    assert status["pipeline"]["events_in"] == 6
    assert status["pipeline"]["events_by_type"] == {"trades": 6}
    assert {s: v["events"] for s, v in status["symbols"].items()} == {"AAA": 3, "BBB": 3}
    assert status["providers"]["scripted"]["connected"] is True
    assert status["health"] == {"status": "healthy", "alerts": []}
    # The live anomaly detectors (quality.live) and the dashboard read the fan-out.
    assert [c["name"] for c in status["pipeline"]["consumers"]] == ["quality", "dashboard"]


def test_status_and_providers_show_connection_counters(
    collector: CollectorThread, client: httpx.Client
) -> None:
    push(collector, trades(SYMBOLS, 2))
    ts = now_ns()
    gap = Gap(
        symbol="AAA",
        venue="X",
        provider="scripted",
        ts_event=ts,
        ts_recv=ts,
        from_ts=ts - 10,
        to_ts=ts,
        reason="sequence",
    )
    push(collector, [gap])
    collector.call(lambda: provider_of(collector, "scripted").bad("{oops", "not JSON"))
    conn = client.get("/status").json()["providers"]["scripted"]
    assert (conn["events"], conn["gaps"], conn["bad_frames"], conn["messages"]) == (5, 1, 1, 5)
    listed = {p["name"]: p for p in client.get("/api/providers").json()}
    connection = listed["scripted"]["connection"]
    assert (connection["events"], connection["gaps"], connection["bad_frames"]) == (5, 1, 1)


def test_status_stream_sends_the_status_document(
    collector: CollectorThread, client: httpx.Client
) -> None:
    with client.stream("GET", "/api/stream") as res:
        assert res.headers["content-type"].startswith("text/event-stream")
        lines = res.iter_lines()
        assert next(lines) == "retry: 2000"
        assert next(lines) == ""
        assert next(lines) == "event: status"
        data = json.loads(next(lines).removeprefix("data: "))
    assert data["mode"] == "live"
    assert set(data["symbols"]) == {"AAA", "BBB"}


def test_live_snapshot_and_stream(collector: CollectorThread, client: httpx.Client) -> None:
    push(collector, trades(["AAA"], 5))
    ts = now_ns()
    quote = Quote(
        symbol="AAA",
        venue="X",
        provider="scripted",
        ts_event=ts,
        ts_recv=ts,
        bid_price=9.5,
        bid_size=3,
        ask_price=10.5,
        ask_size=4,
    )
    push(collector, [quote])
    snap = client.get("/api/live/AAA", params={"trades": 2}).json()
    assert snap["trade_count"] == 5
    assert len(snap["trades"]) == 2
    assert snap["bbo"]["bid_price"] == 9.5
    assert snap["bbo"]["ask_size"] == 4
    assert client.get("/api/live/ZZZ").status_code == 404
    assert client.get("/api/live/AAA", params={"levels": 0}).status_code == 422
    with client.stream("GET", "/api/live/AAA/stream") as res:
        lines = res.iter_lines()
        assert next(lines) == "retry: 1000"
        assert next(lines) == ""
        assert next(lines) == "event: snapshot"
        first = json.loads(next(lines).removeprefix("data: "))
        assert first["trade_count"] == 5
        push(collector, trades(["AAA"], 2))
        assert next(lines) == ""
        assert next(lines) == "event: update"
        update = json.loads(next(lines).removeprefix("data: "))
    assert update["trade_count"] == 7
    assert len(update["trades"]) == 2


def test_symbols_add_change_remove(collector: CollectorThread, client: httpx.Client) -> None:
    provider = provider_of(collector, "scripted")
    res = client.post("/api/symbols", json={"symbols": [{"symbol": "CCC", "depth": False}]})
    assert res.status_code == 201
    assert res.json() == {"added": ["CCC"], "already_subscribed": []}
    assert provider.subscribed == ["AAA", "BBB", "CCC"]
    listed = {s["symbol"]: s for s in client.get("/api/symbols").json()}
    assert listed["CCC"]["depth"] is False
    again = client.post("/api/symbols", json={"symbols": [{"symbol": "CCC"}]}).json()
    assert again == {"added": [], "already_subscribed": ["CCC"]}
    changed = client.put("/api/symbols/CCC", json={"depth_levels": 20})
    assert changed.json()["depth_levels"] == 20
    assert client.get("/api/symbols").json()[-1]["depth_levels"] == 20
    assert client.delete("/api/symbols/CCC").json() == {"removed": ["CCC"]}
    assert provider.subscribed == ["AAA", "BBB"]
    assert client.delete("/api/symbols/CCC").status_code == 404


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"symbols": []}, ["body", "symbols"]),
        ({"symbols": [{"symbol": "bad symbol"}]}, [*AT0, "symbol"]),
        (
            {"symbols": [{"symbol": "X", "depth_levels": 80}]},
            ["body", "symbols", 0, "depth_levels"],
        ),
        ({"symbols": [{"symbol": "X", "colour": 1}]}, [*AT0, "colour"]),
    ],
)
def test_bad_symbol_requests_are_422_naming_the_field(
    client: httpx.Client, body: object, loc: list[object]
) -> None:
    res = client.post("/api/symbols", json=body)
    assert res.status_code == 422
    assert res.json()["detail"][0]["loc"] == loc


def test_quality_events_are_listed_and_filtered(
    collector: CollectorThread, client: httpx.Client
) -> None:
    ts = now_ns()
    common = {"venue": "X", "provider": "scripted", "ts_event": ts, "ts_recv": ts}
    push(
        collector,
        [
            Gap(symbol="AAA", from_ts=ts - 10, to_ts=ts, reason="sequence", **common),
            Gap(symbol="BBB", from_ts=ts - 5, to_ts=ts, reason="disconnect", **common),
            Integrity(symbol="AAA", kind="crossed_book", **common),
        ],
    )
    everything = client.get("/api/quality/events").json()
    assert [(e["type"], e["symbol"], e["reason"]) for e in everything] == [
        ("integrity", "AAA", "crossed_book"),
        ("gap", "BBB", "disconnect"),
        ("gap", "AAA", "sequence"),
    ]
    gaps_aaa = client.get("/api/quality/events", params={"type": "gap", "symbol": "AAA"}).json()
    assert [(e["from_ts"], e["to_ts"]) for e in gaps_aaa] == [(ts - 10, ts)]
    summary = client.get("/api/quality/summary", params={"bucket_s": 3600}).json()
    assert summary["totals"] == {
        "gaps": {"sequence": 1, "disconnect": 1},
        "integrity": {"crossed_book": 1},
    }
    assert sum(sum(b["counts"].values()) for b in summary["buckets"]) == 3
    assert client.get("/api/quality/bad-frames").json() == {"count": 0, "recent": []}


def test_storage_tree_download_and_path_escape(
    collector: CollectorThread, client: httpx.Client, tmp_path: Path
) -> None:
    push(collector, trades(["AAA"], 4))
    root = client.get("/api/storage/tree").json()
    assert [e["name"] for e in root["entries"] if e["dir"]] == ["AAA"]
    files: list[dict[str, object]] = []
    stack = ["AAA"]
    while stack:
        listing = client.get("/api/storage/tree", params={"path": stack.pop()}).json()
        for entry in listing["entries"]:
            (stack.append(entry["path"]) if entry["dir"] else files.append(entry))
    assert len(files) == 1
    # The store writes archive files in group commits (storage.checkpoint_interval_s).
    deadline = time.monotonic() + 10
    body = b""
    while body.count(b"\n") < 4 and time.monotonic() < deadline:
        time.sleep(0.1)
        body = client.get("/api/storage/download", params={"path": files[0]["path"]}).content
    assert body.count(b"\n") == 4
    assert (
        client.get("/api/storage/download", params={"path": "../../etc/passwd"}).status_code == 404
    )
    assert client.get("/api/storage/tree", params={"path": "/../.."}).status_code == 404
    stats = client.get("/api/storage/stats").json()
    assert stats["disk"]["by_folder"]["AAA"]["files"] == 1  # beside the store's _mdc (WAL)
    summary = stats["summary"]
    assert summary["writing"] is True
    assert summary["disk"]["used_bytes"] == stats["disk"]["bytes"]
    assert (
        summary["wal"]["lag_records"]
        == stats["store"]["wal_lsn"] - (stats["store"]["checkpoint_lsn"])
    )
    assert summary["checkpoint"]["age_s"] >= 0
    assert summary["errors"] == 0


def test_config_is_masked_and_validation_names_the_key(client: httpx.Client) -> None:
    config = client.get("/api/config").json()
    assert config["symbols"] == SYMBOLS
    ok = client.post("/api/config/validate", json={"toml": 'provider = "simulated"'}).json()
    assert ok == {"valid": True, "error": None}
    bad = client.post(
        "/api/config/validate", json={"toml": "symbols = [{symbol = 'A', depth_levels = 80}]"}
    ).json()
    assert bad["valid"] is False
    assert bad["error"].startswith("symbols[0].depth_levels: ")
    assert "80" in bad["error"]
    typo = client.post("/api/config/validate", json={"toml": "[storag]\nroot = 'x'"}).json()
    assert typo == {"valid": False, "error": "storag: unknown key"}
    provider = client.post(
        "/api/config/validate", json={"toml": "[providers.simulated]\nrate = -1"}
    ).json()
    assert provider["valid"] is False
    assert provider["error"].startswith("providers.simulated.rate: ")


def test_backfill_jobs_start_progress_and_cancel(client: httpx.Client) -> None:
    assert client.get("/api/backfill/jobs").json() == []
    spec = {
        "symbols": ["AAA"],
        "start": "2024-03-04",
        "end": "2024-03-08",
        "type": "bars",
        "granularity": "1d",
        "providers": ["simulated"],
    }
    res = client.post("/api/backfill/jobs", json=spec)
    assert res.status_code == 201, res.text
    job = res.json()
    assert job["spec"]["symbols"] == ["AAA"]
    assert job["state"] in ("queued", "running", "done")
    listed = client.get("/api/backfill/jobs").json()
    assert [j["id"] for j in listed] == [job["id"]]
    progress = client.get(f"/api/backfill/jobs/{job['id']}").json()
    assert set(progress["symbols"]) == {"AAA"}
    assert client.get("/api/backfill/jobs/nope").status_code == 404
    bad = client.post("/api/backfill/jobs", json=spec | {"providers": ["nosuch"]})
    assert bad.status_code == 400
    assert "nosuch" in bad.json()["detail"]
    inverted = client.post("/api/backfill/jobs", json=spec | {"start": "2024-03-09"})
    assert inverted.status_code == 400
    cancelled = client.delete(f"/api/backfill/jobs/{job['id']}")
    assert cancelled.status_code == 200
    assert cancelled.json()["state"] in ("cancelled", "done")


def test_providers_list_capabilities_and_state(client: httpx.Client) -> None:
    providers = {p["name"]: p for p in client.get("/api/providers").json()}
    assert providers["scripted"]["running"] is True
    assert providers["scripted"]["connection"]["state"] == "streaming"
    assert providers["simulated"]["running"] is False
    assert providers["simulated"]["capabilities"]["depth"] is True
    assert providers["simulated"]["plan_notes"] == ""
    if "finnhub" in providers:
        assert providers["finnhub"]["plan_notes"].startswith("stock candles are paid-only")


def test_api_key_guards_mutating_routes_and_never_leaks(tmp_path: Path) -> None:
    config = scripted_config(tmp_path / "data", MDC_API_KEY=API_KEY)
    with (
        CollectorThread(config, scripted) as collector,
        httpx.Client(base_url=collector.url, timeout=10) as client,
    ):
        body = {"symbols": [{"symbol": "DDD"}]}
        missing = client.post("/api/symbols", json=body)
        assert missing.status_code == 401
        assert missing.json()["detail"] == (
            "this route changes the collector: send the API key in the X-API-Key header"
        )
        wrong = client.post("/api/symbols", json=body, headers={"X-API-Key": "nope"})
        assert wrong.status_code == 401
        assert client.delete("/api/symbols/AAA").status_code == 401
        ok = client.post("/api/symbols", json=body, headers={"X-API-Key": API_KEY})
        assert ok.status_code == 201
        # Reading needs no key, and no response carries it.
        for path in ("/status", "/api/config", "/metrics", "/health", "/api/providers"):
            res = client.get(path)
            assert res.status_code == 200
            assert API_KEY not in res.text
        assert client.get("/api/config").json()["http"]["api_key"] == "****"


def test_symbols_with_a_slash_route_for_change_remove_and_live(
    collector: CollectorThread, client: httpx.Client
) -> None:
    """``BTC/USD`` arrives as ``BTC%2FUSD``; the server decodes it before routing."""
    provider = provider_of(collector, "scripted")
    res = client.post("/api/symbols", json={"symbols": [{"symbol": "BTC/USD"}]})
    assert res.json() == {"added": ["BTC/USD"], "already_subscribed": []}
    changed = client.put("/api/symbols/BTC%2FUSD", json={"depth_levels": 5})
    assert changed.status_code == 200 and changed.json()["symbol"] == "BTC/USD"
    assert client.get("/api/symbols").json()[-1]["depth_levels"] == 5
    live = client.get("/api/live/BTC%2FUSD")
    assert live.status_code == 200 and live.json()["trade_count"] == 0
    with client.stream("GET", "/api/live/BTC%2FUSD/stream") as stream:
        assert stream.status_code == 200
        lines = stream.iter_lines()
        assert next(lines) == "retry: 1000"
    assert client.delete("/api/symbols/BTC%2FUSD").json() == {"removed": ["BTC/USD"]}
    assert provider.subscribed == ["AAA", "BBB"]
    assert client.delete("/api/symbols/BTC%2FUSD").status_code == 404
