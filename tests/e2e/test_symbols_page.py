"""The Symbols page in a real browser: type "app", pick AAPL from the registry's suggestions
with the keyboard, subscribe with one click, and see AAPL's trades on the Live page.

The registry is seeded from the real Polygon ticker responses in ../shared/fixtures (the list
pages and AAPL's ticker details) through the Polygon search parser; the collector runs the
simulated feed, which trades any symbol it is given.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import msgspec
import pytest
from playwright.sync_api import Page, expect
from tests.e2e.conftest import screenshot
from tests.support.collector import CollectorThread

from mdc.config import load_config
from mdc.instruments.registry import Registry
from mdc.providers.polygon.search import Ticker, info

pytestmark = [pytest.mark.browser, pytest.mark.slow]
REFERENCE = "polygon/v3/reference"


def seed(root: Path, fixtures: Path) -> None:
    pages = [
        fixtures / REFERENCE / "tickers.json",
        *(fixtures / REFERENCE).glob("tickers&cursor=*"),
    ]
    tickers = [
        *(t for p in pages for t in json.loads(p.read_text())["results"]),
        json.loads((fixtures / REFERENCE / "tickers" / "AAPL.json").read_text())["results"],
    ]
    listing = [info(msgspec.convert(t, Ticker, strict=False)) for t in tickers]
    Registry(root).store("polygon", listing, date(2026, 12, 3))


@pytest.fixture(scope="module")
def collector(
    tmp_path_factory: pytest.TempPathFactory, fixtures_dir: Path
) -> Iterator[CollectorThread]:
    root = tmp_path_factory.mktemp("e2e-symbols") / "data"
    seed(root, fixtures_dir)
    config = load_config(
        env={
            "MDC_STORAGE__ROOT": str(root),
            "MDC_SYMBOLS": "SPY,MSFT",
            "MDC_PROVIDER": "simulated",
            "MDC_PROVIDERS__SIMULATED__RATE": "3000",
        }
    )
    with CollectorThread(config) as running:
        yield running


def test_search_pick_subscribe_and_see_trades_live(page: Page) -> None:
    page.goto("/ui/#/symbols")
    box = page.locator("#symbol-search")
    box.press_sequentially("app", delay=30)
    options = page.locator("#symbol-suggestions li[role=option][data-symbol]")
    expect(options.first).to_have_attribute("data-symbol", "AAPL")
    expect(options.first).to_contain_text("Apple Inc.")
    expect(options.first).to_have_attribute("aria-selected", "true")
    box.press("Enter")  # the first suggestion is the active one
    expect(page.locator("#instrument-symbol")).to_have_text("AAPL")
    identity = page.locator("#instrument-identity")
    expect(identity).to_contain_text("XNAS")
    expect(identity).to_contain_text("BBG000B9XRY4")
    expect(page.locator('#instrument-spellings tr[data-provider="stooq"]')).to_contain_text(
        "aapl.us"
    )
    screenshot(page, "symbols-search")
    page.get_by_role("button", name="Subscribe AAPL").click()
    expect(page.locator("#symbols-msg")).to_have_text("Subscribed to AAPL.")
    expect(page.get_by_role("button", name="Unsubscribe AAPL").first).to_be_visible()
    page.locator("#instrument-detail").get_by_role("link", name="Live view").click()
    expect(page.locator("#live-symbol")).to_have_value("AAPL")
    expect(page.locator("#trade-tape tr").first).to_be_visible()
    screenshot(page, "symbols-live-aapl")


def test_arrow_keys_move_and_escape_closes(page: Page) -> None:
    page.goto("/ui/#/symbols")
    box = page.locator("#symbol-search")
    box.fill("aa")
    options = page.locator("#symbol-suggestions li[role=option][data-symbol]")
    expect(options).to_have_count(4)  # AA, AAA, AAAU, AAPL
    box.press("ArrowDown")
    expect(options.nth(1)).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", "suggestion-1")
    box.press("ArrowUp")
    box.press("ArrowUp")
    expect(options.nth(3)).to_have_attribute("aria-selected", "true")  # wraps around
    box.press("Escape")
    expect(page.locator("#symbol-suggestions")).to_be_hidden()
    expect(box).to_have_attribute("aria-expanded", "false")


def test_index_list_and_watchlist_save(page: Page) -> None:
    page.goto("/ui/#/symbols")
    page.select_option("#watchlist-select", "i:dow30")
    expect(page.locator("#watchlist-body caption")).to_have_text("30 members")
    page.fill("#watchlist-name", "mine")
    page.click("#save-watchlist-form button[type=submit]")
    expect(page.locator("#symbols-msg")).to_contain_text("as mine.")
    page.select_option("#watchlist-select", "w:mine")
    expect(page.locator('#watchlist-body tr[data-symbol="SPY"]')).to_be_visible()
