"""Every dashboard page in a real browser against a real collector, with live content."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Page, expect
from tests.e2e.conftest import screenshot
from tests.support.collector import CollectorThread, provider_of

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def go(page: Page, route: str) -> None:
    page.goto(f"/ui/#/{route}")
    expect(
        page.locator(f'#nav a[aria-current="page"][href="#/{route.split("?")[0]}"]')
    ).to_be_visible()


def number(text: str) -> int:
    return int(re.sub(r"[^\d]", "", text) or 0)


def test_overview_shows_live_figures_and_health(page: Page) -> None:
    go(page, "overview")
    expect(page.locator("#health-badge")).to_have_text("healthy")
    events = page.locator("#fig-events .value")
    expect(events).not_to_have_text("—")
    first = number(events.inner_text())
    page.wait_for_function(
        f"() => Number(document.querySelector('#fig-events .value').textContent"
        f".replace(/\\D/g, '')) > {first}"
    )
    expect(page.locator("#checks tbody tr")).to_have_count(8)
    expect(page.locator("#alerts")).to_contain_text("every check is healthy")
    page.wait_for_timeout(1500)  # let the throughput chart draw a few points
    screenshot(page, "overview")


def test_live_tape_grows_and_ladder_changes(page: Page) -> None:
    go(page, "live?symbol=SPY")
    expect(page.locator("#live-symbol")).to_have_value("SPY")
    tape = page.locator("#trade-tape tr")
    expect(tape.first).to_be_visible()
    count = page.locator("#trade-count")
    first = number(count.inner_text())
    page.wait_for_function(
        "n => Number(document.querySelector('#trade-count').textContent.replace(/\\D/g, '')) > n",
        arg=first + 5,
    )
    assert tape.count() >= 5
    ladder = page.locator("#book-ladder")
    expect(ladder.locator("tr.bid").first).to_be_visible()
    expect(ladder.locator("tr.ask").first).to_be_visible()
    before = ladder.inner_text()
    page.wait_for_function(
        "before => document.querySelector('#book-ladder').innerText !== before", arg=before
    )
    expect(page.locator("#bbo")).to_contain_text("Bid")
    screenshot(page, "live")


def test_adding_a_symbol_in_the_ui_makes_its_data_appear(page: Page) -> None:
    go(page, "symbols")
    page.fill("#new-symbol", "nvda")
    page.click("#add-symbol-form button[type=submit]")
    expect(page.locator("#symbols-msg")).to_have_text("Subscribed to NVDA.")
    row = page.locator('tr[data-symbol="NVDA"]')
    expect(row).to_be_visible()
    page.wait_for_function(
        "() => Number((document.querySelector('tr[data-symbol=\"NVDA\"] .events') || "
        "{textContent: '0'}).textContent.replace(/\\D/g, '')) > 0"
    )
    screenshot(page, "symbols")
    row.get_by_role("link", name="NVDA").click()
    expect(page.locator("#live-symbol")).to_have_value("NVDA")
    expect(page.locator("#trade-tape tr").first).to_be_visible()


def test_injected_gap_appears_on_data_quality_page(page: Page, collector: CollectorThread) -> None:
    collector.call(lambda: provider_of(collector, "simulated").inject_gap("AAPL", 7))
    go(page, "quality")
    page.select_option("#q-type", "gap")
    row = page.locator('#quality-events tr[data-type="gap"]', has_text="AAPL")
    expect(row.first).to_be_visible()
    expect(row.first).to_contain_text("AAPL")
    screenshot(page, "quality")


@pytest.mark.parametrize("route", ["providers", "storage", "settings"])
def test_other_pages_render(page: Page, route: str) -> None:
    go(page, route)
    if route == "providers":
        row = page.locator('tr[data-provider="simulated"]')
        expect(row).to_contain_text("streaming")
        expect(row).to_contain_text("(primary)")
    elif route == "storage":
        expect(page.locator("#archive-listing")).to_contain_text("SPY/")
        page.get_by_role("link", name="SPY/").click()
        expect(page.locator("#crumbs")).to_contain_text("SPY")
        expect(page.locator("#st-used .note")).not_to_contain_text(re.compile(r"^0 files"))
    else:
        expect(page.locator("#config-view")).to_contain_text('"provider": "simulated"')
        page.fill("#config-text", "[storage]\nformat = 'csv'")
        page.click("#validate-btn")
        expect(page.locator("#validate-msg")).to_contain_text("storage.format")
    screenshot(page, route)


def test_storage_coverage_grid_and_verify(page: Page) -> None:
    go(page, "storage")
    today = time.strftime("%Y-%m-%d", time.gmtime())
    cell = page.locator(f'#coverage tr[data-series="SPY/trades"] td.has[data-day="{today}"]')
    expect(cell).to_be_visible()
    expect(cell).to_have_text(re.compile(r"^[1-9][0-9.]*[kM]?$"), timeout=20_000)
    page.click("#verify-btn")
    expect(page.locator("#verify-status")).to_contain_text("files verified", timeout=30_000)
    rows = page.locator("#verify-result tbody tr")
    expect(rows.first).to_be_visible()
    expect(page.locator("#verify-result")).to_contain_text("SPY")
    screenshot(page, "storage-verify")


def test_backfill_job_started_in_the_ui_runs_to_done(page: Page) -> None:
    go(page, "backfill")
    page.fill("#bf-symbols", "spy")
    page.fill("#bf-start", "2024-03-04")
    page.fill("#bf-end", "2024-03-15")
    page.fill("#bf-providers", "simulated")
    page.click("#backfill-form button[type=submit]")
    expect(page.locator("#backfill-msg")).to_contain_text("Queued job")
    row = page.locator("#backfill-body tbody tr").first
    expect(row).to_contain_text("SPY")
    expect(row.locator("td").nth(4)).to_have_text("done", timeout=30_000)
    screenshot(page, "backfill")


def test_keyboard_navigation(page: Page) -> None:
    go(page, "overview")
    page.keyboard.press("Tab")
    expect(page.locator("a.skip")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.locator('#nav a[data-page="overview"]')).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator('#nav a[data-page="live"]')).to_have_attribute("aria-current", "page")
    expect(page.locator("#main")).to_be_focused()
    started = time.monotonic()
    expect(page.locator("#trade-tape tr").first).to_be_visible()
    assert time.monotonic() - started < 15
