"""The Export page in a real browser against a real collector on the simulated feed: a Lean
export started from the form runs to done and downloads as a zip of Lean's folder; the replay
dry run streams today's events over the server's WebSocket."""

from __future__ import annotations

import re
import time
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from tests.e2e.conftest import screenshot
from tests.support.collector import CollectorThread

from mdc.storage.archive import open_archive

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def archived_trades(collector: CollectorThread) -> int:
    archive = open_archive(collector.config.storage.root)
    return len(archive.read("trades", "SPY", as_="arrow"))


def test_lean_export_and_replay_from_the_export_page(
    page: Page, tmp_path: Path, collector: CollectorThread
) -> None:
    page.goto("/ui/#/export")
    expect(page.locator('#nav a[aria-current="page"][href="#/export"]')).to_be_visible()
    today = time.strftime("%Y-%m-%d", time.gmtime())
    yesterday = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 86_400))
    page.fill("#ex-symbols", "spy")
    page.fill("#ex-start", yesterday)  # New York's date lags UTC's before 04:00Z
    page.fill("#ex-end", today)
    page.select_option("#ex-resolution", "tick")
    for _ in range(200):  # until the collector's archive files hold SPY trades (a bound)
        if archived_trades(collector):
            break
        time.sleep(0.05)
    page.click("#export-form button[type=submit]")
    expect(page.locator("#export-msg")).to_contain_text("Started export lean-")
    row = page.locator("#export-jobs tbody tr").first
    expect(row).to_have_attribute("data-state", "done", timeout=30_000)
    expect(row.locator("td").nth(5)).not_to_have_text("0")
    with page.expect_download() as info:
        row.get_by_role("link", name=re.compile(r"^Download")).click()
    bundle = tmp_path / "export.zip"
    info.value.save_as(bundle)
    names = zipfile.ZipFile(bundle).namelist()
    assert any(re.fullmatch(r"equity/usa/tick/spy/\d{8}_trade\.zip", n) for n in names), names
    assert "equity/usa/map_files/spy.csv" in names
    screenshot(page, "export")
    page.fill("#rp-types", "trades")
    expect(page.locator("#rp-url")).to_contain_text("/api/replay?from=")
    page.click("#rp-run")
    expect(page.locator("#replay-msg")).to_have_text(re.compile(r"^Replayed [1-9][\d,]* events"))
