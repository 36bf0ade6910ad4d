"""A real collector on the simulated feed and a real Chromium (Debian's), driven by Playwright.

Screenshots go to ``test-artifacts/screenshots/`` (gitignored). Never ``playwright install``:
the browser is the system's ``chromium`` package, which .ci/run installs.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Final

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from tests.support.binaries import require
from tests.support.collector import CollectorThread

from mdc.config import load_config

ROOT: Final = Path(__file__).resolve().parents[2]
SCREENSHOTS: Final = ROOT / "test-artifacts" / "screenshots"
DOC_IMAGES: Final = ROOT / "docs" / "img"
CHROMIUM_ARGS: Final = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT: Final = {"width": 1366, "height": 860}  # a laptop screen
SYMBOLS: Final = "SPY,AAPL,MSFT"

# A page's figures arrive with its API calls, which on a loaded machine (parallel workers, other
# checkouts' suites) take longer than expect()'s 5 s default: assertions wait for them as long as
# actions do (page.set_default_timeout below), and still pass the moment the content is there.
expect.set_options(timeout=15_000)


@pytest.fixture(scope="module")
def collector(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CollectorThread]:
    root = tmp_path_factory.mktemp("e2e") / "data"
    config = load_config(
        env={
            "MDC_STORAGE__ROOT": str(root),
            "MDC_SYMBOLS": SYMBOLS,
            "MDC_PROVIDER": "simulated",
            "MDC_PROVIDERS__SIMULATED__RATE": "3000",
        }
    )
    with CollectorThread(config) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = require("chromium", "chromium")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def page(browser: Browser, collector: CollectorThread) -> Iterator[Page]:
    context = browser.new_context(viewport=VIEWPORT, base_url=collector.url)
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert errors == [], f"JavaScript errors on the dashboard: {errors}"


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def doc_image(page: Page, name: str) -> None:
    """A screenshot the docs show: refreshed in docs/img by ``make doc-images``
    (``DOC_IMAGES=1``), else written beside the other test screenshots, so a test run leaves
    the checkout as it was."""
    folder = DOC_IMAGES if os.environ.get("DOC_IMAGES") else SCREENSHOTS
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
