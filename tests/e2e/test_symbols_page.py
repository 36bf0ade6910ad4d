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
from pytest_httpserver import HTTPServer
from tests.e2e.conftest import screenshot
from tests.support.collector import CollectorThread

from mdc.config import load_config
from mdc.instruments.registry import Registry
from mdc.providers.polygon.search import Ticker, info

pytestmark = [pytest.mark.browser, pytest.mark.slow]
REFERENCE = "polygon/v3/reference"


def seed(root: Path, fixtures: Path) -> None:
    """The first real ticker page (A, AA) and AAPL's details; the second page (AAA, AAAU) is
    what the local Polygon server answers a live lookup with."""
    tickers = [
        *json.loads((fixtures / REFERENCE / "tickers.json").read_text())["results"],
        json.loads((fixtures / REFERENCE / "tickers" / "AAPL.json").read_text())["results"],
    ]
    listing = [info(msgspec.convert(t, Ticker, strict=False)) for t in tickers]
    Registry(root).store("polygon", listing, date(2026, 12, 3))


@pytest.fixture(scope="module")
def polygon(fixtures_dir: Path) -> Iterator[HTTPServer]:
    (second,) = (fixtures_dir / REFERENCE).glob("tickers&cursor=*")
    server = HTTPServer(host="127.0.0.1", port=0)
    server.expect_request(
        "/v3/reference/tickers", query_string={"search": "aaa", "active": "true", "limit": "20"}
    ).respond_with_data(second.read_text(), content_type="application/json")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def collector(
    tmp_path_factory: pytest.TempPathFactory, fixtures_dir: Path, polygon: HTTPServer
) -> Iterator[CollectorThread]:
    root = tmp_path_factory.mktemp("e2e-symbols") / "data"
    seed(root, fixtures_dir)
    config = load_config(
        env={
            "MDC_STORAGE__ROOT": str(root),
            "MDC_SYMBOLS": "SPY,MSFT",
            "MDC_PROVIDER": "simulated",
            "MDC_PROVIDERS__SIMULATED__RATE": "3000",
            "MDC_PROVIDERS__POLYGON__REST__URL": polygon.url_for("/").rstrip("/"),
            "MDC_INSTRUMENTS__PROVIDERS": "polygon",
        }
    )
    with pytest.MonkeyPatch.context() as env, CollectorThread(config) as running:
        env.setenv("POLYGON_API_KEY", "pk_e2e")
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
    expect(options).to_have_count(2)  # AA, AAPL
    box.press("ArrowDown")
    expect(options.nth(1)).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", "suggestion-1")
    box.press("ArrowDown")
    expect(options.nth(0)).to_have_attribute("aria-selected", "true")  # wraps around
    box.press("ArrowUp")
    expect(options.nth(1)).to_have_attribute("aria-selected", "true")
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


def test_a_miss_asks_the_providers_and_their_answer_becomes_suggestions(page: Page) -> None:
    page.goto("/ui/#/symbols")
    box = page.locator("#symbol-search")
    box.fill("aaa")
    expect(page.locator("#symbol-suggestions")).to_contain_text("No match in the registry")
    page.click("#lookup-providers")
    expect(page.locator("#symbols-msg")).to_have_text("Providers answered 2 listings.")
    options = page.locator("#symbol-suggestions li[role=option][data-symbol]")
    expect(options).to_have_count(2)
    expect(options.first).to_have_attribute("data-symbol", "AAA")
    expect(options.nth(1)).to_contain_text("Goldman Sachs Physical Gold ETF")
