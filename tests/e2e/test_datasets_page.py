"""The Datasets page in a real Chromium against a real collector (simulated feed): a package is
created and verified by clicking, and a re-derivation the provider cannot do says why."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from tests.e2e.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_create_verify_and_rederive(page: Page) -> None:
    page.goto("/#/datasets")
    expect(page.locator('#nav a[aria-current="page"][href="#/datasets"]')).to_be_visible()
    page.fill("#pkg-name", "e2e")
    page.fill("#pkg-symbols", "SPY")
    page.fill("#pkg-types", "trades")
    page.click("#pkg-form button[type=submit]")
    expect(page.locator("#pkg-msg")).to_contain_text("Package started")
    row = page.locator('tr[data-package="e2e.tar.zst"]')
    expect(row).to_be_visible()
    expect(row.locator("td").nth(1)).to_have_text("trades")
    expect(row.locator("td").nth(2)).to_have_text("SPY")
    row.locator("button.verify").click()
    verified = page.locator('tr[data-job^="verify-"][data-state="done"]')
    expect(verified).to_contain_text(re.compile(r"OK: \d+ files, [\d,]+ rows"))
    expect(row.locator("a[download]")).to_have_attribute(
        "href", "/api/datasets/packages/e2e.tar.zst"
    )

    page.fill("#rd-provider", "simulated")
    page.fill("#rd-out", "data-v2")
    page.click("#rd-form button[type=submit]")
    failed = page.locator('tr[data-job^="rederive-"][data-state="failed"]')
    expect(failed).to_contain_text("not a WebSocket provider")
    screenshot(page, "datasets")
