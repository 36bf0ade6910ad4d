"""/metrics: exact figures from the runtime's counters, and `promtool check metrics` accepts it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Final

import httpx
import pytest
from pytest_httpserver import HTTPServer
from tests.support.collector import CollectorThread, scripted
from tests.support.feed import SYMBOLS, push, scripted_config, trades
from tests.support.metrics import promtool_verdict, samples

from mdc.domain.events import Gap
from mdc.domain.time import now_ns

POLYGON_KEY: Final = "pk_test_SECRET_0123456789"
AGGS: Final = "v2/aggs/ticker/AAPL/range/1/day/2005-04-01/2005-04-04"


def test_metrics_values_and_promtool(collector: CollectorThread, client: httpx.Client) -> None:
    push(collector, trades(SYMBOLS, 5))
    ts = now_ns()
    gap = Gap(
        symbol="AAA",
        venue="X",
        provider="scripted",
        ts_event=ts,
        ts_recv=ts,
        from_ts=ts - 1,
        to_ts=ts,
        reason="sequence",
    )
    push(collector, [gap])
    res = client.get("/metrics")
    assert res.status_code == 200
    assert res.headers["content-type"].startswith("text/plain; version=0.0.4")
    got = samples(res.text)
    assert got[("mdc_events_total", (("type", "trades"),))] == 10
    assert got[("mdc_events_total", (("type", "gaps"),))] == 1
    assert got[("mdc_events_received_total", ())] == 11
    assert got[("mdc_symbol_events_total", (("symbol", "AAA"),))] == 6
    assert got[("mdc_symbol_events_total", (("symbol", "BBB"),))] == 5
    assert got[("mdc_consumer_dropped_events_total", (("consumer", "dashboard"),))] == 0
    assert got[("mdc_consumer_published_events_total", (("consumer", "dashboard"),))] == 11
    assert got[("mdc_provider_connected", (("provider", "scripted"),))] == 1
    assert got[("mdc_provider_messages_total", (("provider", "scripted"),))] == 11
    assert got[("mdc_gap_events_total", (("reason", "sequence"),))] == 1
    assert got[("mdc_health_status", ())] == 0
    assert got[("mdc_symbols_subscribed", ())] == 2
    assert ("process_resident_memory_bytes", ()) in got
    assert promtool_verdict(res.text) == (0, "")


@pytest.fixture
def polygon(
    tmp_path: Path, fixtures_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[CollectorThread, httpx.Client]]:
    """A collector whose backfill reaches Polygon's real client code on a local server, with a
    limit of one request per two seconds."""
    monkeypatch.setenv("POLYGON_API_KEY", POLYGON_KEY)
    server = HTTPServer(host="127.0.0.1", port=0)
    server.expect_request(f"/{AGGS}").respond_with_data(
        (fixtures_dir / "polygon" / f"{AGGS}.json").read_text(), content_type="application/json"
    )
    server.start()
    config = scripted_config(
        tmp_path / "data",
        MDC_PROVIDERS__POLYGON__REST__URL=server.url_for("/"),
        MDC_PROVIDERS__POLYGON__REST__RATE_LIMITS='{"all": "1/2s"}',
    )
    try:
        with (
            CollectorThread(config, scripted) as running,
            httpx.Client(base_url=running.url, timeout=10) as http,
        ):
            yield running, http
    finally:
        server.clear()
        server.stop()


def test_backfill_rate_limit_waits_and_rest_counters_in_metrics(
    polygon: tuple[CollectorThread, httpx.Client],
) -> None:
    _, client = polygon
    spec = {
        "symbols": ["AAPL"],
        "start": "2005-04-01",
        "end": "2005-04-04",
        "type": "bars",
        "granularity": "1d",
        "providers": ["polygon"],
    }
    # Two jobs, one request each: the limiter outlives the first job, so the second waits.
    ids = [client.post("/api/backfill/jobs", json=spec).json()["id"] for _ in range(2)]
    deadline = time.monotonic() + 20
    while {client.get(f"/api/backfill/jobs/{i}").json()["state"] for i in ids} != {"done"}:
        assert time.monotonic() < deadline, "backfill jobs did not finish"
        time.sleep(0.05)
    res = client.get("/metrics")
    got = samples(res.text)
    limiter = (("endpoint", "bars"), ("provider", "polygon"))
    assert got[("mdc_ratelimit_requests_total", limiter)] == 2
    assert got[("mdc_ratelimit_waits_total", limiter)] == 1
    # How long depends on how fast the first job ran; never more than the 2 s period.
    assert 0 < got[("mdc_ratelimit_wait_seconds_total", limiter)] <= 2.0
    rest = (("provider", "polygon"),)
    assert got[("mdc_rest_requests_total", rest)] == 2
    assert got[("mdc_rest_retries_total", rest)] == 0
    assert got[("mdc_rest_errors_total", rest)] == 0
    assert POLYGON_KEY not in res.text
    assert promtool_verdict(res.text) == (0, "")
