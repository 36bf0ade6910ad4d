"""The Data quality and Notifications pages on a real collector in Chromium: the completeness
calendar of a stored week, a day's gaps and its Repair button, anomalies with filters, the
providers compared; an alert rule (sequence holes of a symbol) firing on an injected hole, told
to a local webhook receiver once, shown on Overview and Notifications, and resolved after
five quiet seconds."""

from __future__ import annotations

import time
from collections.abc import Iterator

import msgspec
import pytest
from playwright.sync_api import Page, expect
from tests.e2e.conftest import doc_image
from tests.support.archive import write_archive
from tests.support.collector import CollectorThread
from tests.support.quality_day import faulty_week
from tests.support.receiver import Receiver

from mdc.config import load_config
from mdc.config.schema import AlertRule, AlertTarget
from mdc.providers.simulated.stream import SimulatedProvider

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WEEK = "from=2024-11-25&to=2024-11-29&symbols=AAPL"


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


@pytest.fixture(scope="module")
def collector(  # replaces conftest's: the page fixture opens this one
    tmp_path_factory: pytest.TempPathFactory, receiver: Receiver
) -> Iterator[CollectorThread]:
    root = tmp_path_factory.mktemp("quality") / "data"
    write_archive(root, faulty_week())
    config = load_config(
        env={
            "MDC_STORAGE__ROOT": str(root),
            "MDC_SYMBOLS": "AAPL,MSFT",
            "MDC_PROVIDERS__SIMULATED__RATE": "500",
            "MDC_BACKFILL__PROVIDERS": "simulated",
        }
    )
    rule = AlertRule(
        name="msft-seq",
        when="anomaly",
        severity="error",
        quiet_s=5,
        symbols=["MSFT"],
        targets=[AlertTarget(type="webhook", webhook=f"{receiver.url}/hook")],
    )
    config = msgspec.structs.replace(config, alerts=[rule])
    with CollectorThread(config) as collector:
        yield collector


def test_calendar_day_gaps_repair_anomalies_and_providers(page: Page) -> None:
    page.goto(f"/ui/#/quality?{WEEK}")
    days = page.locator('.cal[data-symbol="AAPL"] button.cal-day')
    expect(days).to_have_count(4)  # Thanksgiving has no session: not a button
    expect(page.locator('button[data-day="2024-11-29"]')).to_have_class("cal-day good")
    expect(page.locator('button[data-day="2024-11-27"]')).to_have_class("cal-day bad")
    page.locator('button[data-day="2024-11-26"]').click()
    expect(page.locator("#day-detail h3")).to_contain_text("score 94.7")
    expect(page.locator("#day-gaps tbody tr")).to_have_count(1)
    expect(page.locator("#day-gaps tbody tr")).to_contain_text("hole+gap_event")
    expect(page.locator('#provider-compare tr[data-provider="sim"]')).to_contain_text("2,160")
    anomalies = page.locator("#anomaly-table tbody tr")
    expect(anomalies).to_have_count(4)
    page.select_option("#a-kind", "price_spike")
    expect(anomalies).to_have_count(2)
    expect(page.locator('#anomaly-table tr[data-kind="price_spike"]')).to_have_count(2)
    doc_image(page, "quality-page")
    page.locator("#repair").click()
    expect(page.locator("#repair-msg")).to_contain_text("backfill job")


def test_alert_fires_once_shows_and_resolves(
    page: Page, collector: CollectorThread, receiver: Receiver
) -> None:
    provider = collector.runtime.providers["simulated"] if collector.runtime else None
    assert isinstance(provider, SimulatedProvider)
    # A sequence hole: the collectors' error-severity Integrity event opens the incident;
    # five quiet seconds end it.
    collector.call(lambda: provider.inject_gap("MSFT", 7))
    page.goto("/ui/#/overview")
    expect(page.locator("#alerts li.incident")).to_contain_text("msft-seq", timeout=15_000)
    page.goto("/ui/#/notifications")
    expect(page.locator('#notifications tr[data-state="firing"]')).to_have_count(1)
    expect(page.locator("#alert-open tbody tr")).to_contain_text("MSFT")
    resolved = page.locator('#notifications tr[data-state="resolved"]')
    expect(resolved).to_have_count(1, timeout=20_000)  # 5 s of quiet, then a page refresh
    time.sleep(1.5)  # a further evaluation round: still exactly one of each
    states = [body["state"] for path, body in receiver.posts if path == "/hook"]
    assert states == ["firing", "resolved"]
    doc_image(page, "notifications")
    page.locator('#alert-rules button[data-rule="msft-seq"]').click()
    expect(page.locator("#snooze-msg")).to_contain_text("snoozed")
