"""Failover with a real REST provider: Polygon (the real client code) against a local HTTP
server that serves ``../shared/fixtures/polygon`` verbatim, then fails with 5xx on the next
chunk; the simulated history completes the job. Rows carry the provider that served their chunk."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import msgspec
import pytest
from pytest_httpserver import HTTPServer

from mdc.backfill.failover import REGISTRY
from mdc.backfill.jobs import JobSpec, JobStore, plan_chunks
from mdc.backfill.runner import JobRunner
from mdc.config import Config
from mdc.domain.events import Bar, Event
from mdc.providers.base import HistoricalProvider, ProviderSpec
from mdc.providers.polygon import SPEC as POLYGON
from mdc.providers.polygon.historical import PolygonHistorical
from mdc.providers.ratelimit import RateLimiter

KEY = "pk_test_SECRET_0123456789"
AGGS = "polygon/v2/aggs/ticker/AAPL/range/1/day/2005-04-01/2005-04-04.json"
FAST_REST = {
    "timeout_s": 0.5,
    "max_attempts": 2,
    "backoff_base_s": 0.001,
    "backoff_max_s": 0.005,
    "rate_limits": {},
}


class Source:
    """The registry, plus Polygon's REST history (whatever the registry lists yet)."""

    def spec(self, name: str) -> ProviderSpec:
        return POLYGON if name == "polygon" else REGISTRY.spec(name)

    def create(self, name: str, config: Config, limiter: RateLimiter) -> HistoricalProvider:
        if name == "polygon":
            return PolygonHistorical(config, limiter)
        return REGISTRY.create(name, config, limiter)


class ListWriter:
    def __init__(self) -> None:
        self.rows: list[Event] = []

    async def __call__(self, batch: list[Event]) -> None:
        self.rows.extend(batch)


@pytest.fixture
def server() -> Iterator[HTTPServer]:
    srv = HTTPServer(host="127.0.0.1", port=0)
    srv.no_handler_status_code = 418
    srv.start()
    try:
        yield srv
    finally:
        srv.clear()
        srv.stop()


def test_polygon_serves_then_fails_and_simulated_completes(
    server: HTTPServer, tmp_path: Path, fixtures_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POLYGON_API_KEY", KEY)
    server.expect_request(
        "/v2/aggs/ticker/AAPL/range/1/day/2005-04-01/2005-04-04"
    ).respond_with_data((fixtures_dir / AGGS).read_text(), content_type="application/json")
    server.expect_request(
        "/v2/aggs/ticker/AAPL/range/1/day/2005-04-05/2005-04-08"
    ).respond_with_data(f'{{"status":"ERROR","error":"upstream down for {KEY}"}}', status=502)
    raw: dict[str, Any] = {
        "storage": {"root": str(tmp_path)},
        "backfill": {"providers": ["polygon", "simulated"]},
        "providers": {"polygon": {"rest_url": server.url_for("/"), "rest": FAST_REST}},
    }
    config = msgspec.convert(raw, Config)
    spec = JobSpec(symbols=["AAPL"], start=date(2005, 4, 1), end=date(2005, 4, 8))
    jobs = JobStore(tmp_path)
    job = jobs.create(spec, plan_chunks(spec, 4))
    writer = ListWriter()
    job = asyncio.run(JobRunner(config, jobs, writer, Source()).run(job.id))

    assert job.state == "done"
    assert [(c.start.day, c.end.day, c.provider, c.rows) for c in job.chunks] == [
        (1, 4, "polygon", 2),
        (5, 8, "simulated", 4),
    ]
    failed = job.chunks[1].attempts[0]
    assert (failed.provider, failed.outcome) == ("polygon", "failed")
    assert KEY not in failed.error and "502" in failed.error
    assert KEY not in msgspec.json.encode(jobs.load(job.id)).decode()
    bars = [r for r in writer.rows if isinstance(r, Bar)]
    assert len(bars) == len(writer.rows) == 6
    assert [(b.ts_event, b.provider) for b in bars] == [
        (1_112_313_600_000_000_000, "polygon"),  # 2005-04-01, midnight UTC of the session date
        (1_112_572_800_000_000_000, "polygon"),  # 2005-04-04
        (1_112_659_200_000_000_000, "simulated"),
        (1_112_745_600_000_000_000, "simulated"),
        (1_112_832_000_000_000_000, "simulated"),
        (1_112_918_400_000_000_000, "simulated"),
    ]
    assert (bars[0].open, bars[0].close, bars[0].volume, bars[0].trades) == (
        1.5032,
        1.4604,
        642646396.0,
        82132,
    )
    assert {b.symbol for b in bars} == {"AAPL"} and {b.interval for b in bars} == {"1d"}
