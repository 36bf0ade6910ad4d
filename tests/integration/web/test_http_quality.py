"""The quality API over a real archive: completeness, anomalies, provider comparison, alerts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.support.archive import write_archive
from tests.support.quality_day import TUESDAY, at, day_events, faulty_week

from mdc.config.schema import AlertRule, AlertTarget, Config, StorageConfig
from mdc.quality.alerts import AlertManager
from mdc.web.app import create_app


@pytest.fixture
def config(tmp_path: Path) -> Config:
    d = TUESDAY
    events = faulty_week() + day_events(d, at(d, 14, 30), at(d, 21, 0), provider="other")
    write_archive(tmp_path, events)
    rule = AlertRule(
        name="spikes",
        when="anomaly",
        targets=[AlertTarget(type="slack", webhook="https://hooks.example/T0/B0/secret")],
    )
    return Config(symbols=["AAPL"], storage=StorageConfig(root=str(tmp_path)), alerts=[rule])


@pytest.fixture
def http(config: Config) -> Iterator[TestClient]:
    with TestClient(create_app(config, alerts=AlertManager(config))) as client:
        yield client


def test_completeness_days_and_scores(http: TestClient) -> None:
    got = http.get("/api/quality/completeness?start=2024-11-25&end=2024-11-29&symbols=AAPL")
    assert got.status_code == 200, got.text
    body = got.json()
    days = {d["day"]: d for d in body["days"]}
    assert sorted(days) == ["2024-11-25", "2024-11-26", "2024-11-27", "2024-11-29"]
    # The second provider's prints fill the hole; the recorded (unrepaired) gap still counts.
    assert days["2024-11-26"]["missing_s"] == 1200 and days["2024-11-26"]["halted_s"] == 600
    assert days["2024-11-29"]["early_close"] is True and days["2024-11-29"]["score"] == 100
    assert [m["reason"] for m in days["2024-11-26"]["missing"]] == ["gap_event"]
    assert body["scores"][0]["symbol"] == "AAPL"
    bad = http.get("/api/quality/completeness?start=2024-11-29&end=2024-11-25")
    assert bad.status_code == 400 and "before start" in bad.json()["detail"]


def test_anomalies_with_filters(http: TestClient) -> None:
    base = "/api/quality/anomalies?symbol=AAPL&start=2024-11-26&end=2024-11-26"
    body = http.get(base).json()
    assert body["counts"] == {"price_spike": 2, "crossed_quote": 2}
    spikes = http.get(base + "&kind=price_spike").json()
    assert [f["kind"] for f in spikes["findings"]] == ["price_spike", "price_spike"]
    assert http.get(base + "&kind=sequence_gap").json()["findings"] == []


def test_provider_comparison(http: TestClient) -> None:
    body = http.get("/api/quality/compare?symbol=AAPL&day=2024-11-26").json()
    rows = {r["provider"]: r for r in body["providers"]}
    assert sorted(rows) == ["other", "sim"]
    assert rows["other"]["trades"] == 2340  # 6.5 h every 10 s
    assert rows["sim"]["trades"] == 2340 - 120 - 60  # less the 20-minute gap and 10-minute halt
    assert body["divergences"] == []


def test_alerts_listed_snoozed_and_counted(http: TestClient) -> None:
    body = http.get("/api/alerts").json()
    assert body["live"] is True
    assert body["rules"][0]["targets"] == ["slack hooks.example"]  # never the URL's secret path
    assert "secret" not in http.get("/api/alerts").text
    assert http.post("/api/alerts/spikes/snooze?seconds=600").status_code == 200
    assert http.get("/api/alerts").json()["rules"][0]["snoozed_until_ns"] is not None
    missing = http.post("/api/alerts/nope/snooze")
    assert missing.status_code == 404 and "spikes" in missing.json()["detail"]
    metrics = http.get("/metrics").text
    assert 'mdc_alerts_firing{rule="spikes"} 0.0' in metrics
    assert 'mdc_alerts_snoozed{rule="spikes"} 1.0' in metrics


def test_webhook_urls_are_masked_in_the_config_api(http: TestClient) -> None:
    shown = http.get("/api/config").text
    assert "secret" not in shown and "hooks.example" not in shown
