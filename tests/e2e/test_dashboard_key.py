"""The dashboard where reads need the API key (as on a non-loopback bind): nothing shows until
the key is saved in Settings, then every page and both event streams work with it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

import pytest
from playwright.sync_api import Page, expect
from tests.e2e.conftest import SYMBOLS, screenshot
from tests.support.collector import CollectorThread

from mdc.config import load_config

pytestmark = [pytest.mark.browser, pytest.mark.slow]
KEY: Final = "e2e-key-4b7a1c9d"


@pytest.fixture(scope="module")
def collector(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CollectorThread]:
    config = load_config(
        env={
            "MDC_STORAGE__ROOT": str(tmp_path_factory.mktemp("e2e-key") / "data"),
            "MDC_SYMBOLS": SYMBOLS,
            "MDC_PROVIDER": "simulated",
            "MDC_API_KEY": KEY,
            "MDC_HTTP__REQUIRE_KEY_FOR_READS": "true",
        }
    )
    with CollectorThread(config) as running:
        yield running


def save_key(page: Page) -> None:
    page.goto("/ui/#/settings")
    page.locator("#api-key").fill(KEY)
    page.get_by_role("button", name="Save").click()
    # The status stream reopens with a token fetched with the key.
    expect(page.locator("#health-badge")).to_have_text("healthy")


def test_pages_and_streams_work_once_the_key_is_saved(page: Page) -> None:
    page.goto("/ui/#/overview")
    expect(page.locator("#health-badge")).to_have_text("API key needed")
    save_key(page)
    page.goto("/ui/#/live?symbol=SPY")
    expect(page.locator("#trade-tape tr").first).to_be_visible()  # the live stream, by token
    page.goto("/ui/#/overview")
    expect(page.locator("#fig-events .value")).not_to_have_text("—")
    screenshot(page, "overview-with-key")
    urls: list[str] = []
    page.on("request", lambda r: urls.append(r.url))
    page.goto("/ui/#/live?symbol=AAPL")
    expect(page.locator("#trade-tape tr").first).to_be_visible()
    assert any("/stream?token=" in u for u in urls)
    assert not any(KEY in u for u in urls)  # the key never travels in a URL


def test_missing_data_lists_what_was_judged(page: Page) -> None:
    save_key(page)  # again: this test may run alone, or first
    page.goto("/ui/#/backfill")
    page.get_by_role("button", name="Find gaps").click()
    expect(page.locator("#gaps-scopes li")).to_have_count(3)
    # A collector that just started: nothing since its first data has ended yet.
    expect(page.locator("#gaps-none")).to_have_text("No gaps in the sessions judged.")
    expect(page.locator("#gaps-scopes li").first).to_contain_text(
        "SPY: judged no ended session from the first stored data"
    )
    page.locator("#gaps-symbols").fill("qqq")
    page.get_by_role("button", name="Find gaps").click()
    expect(page.locator("#gaps-scopes li")).to_have_text(
        ["QQQ: nothing judged (no stored data, no start date given)"]
    )
    screenshot(page, "backfill-gaps")
