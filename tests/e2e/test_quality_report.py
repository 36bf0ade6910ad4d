"""``mdc quality report`` writes an HTML file that Chromium shows whole: the completeness
calendar, the gap timeline (both matplotlib SVG) and the anomaly table, with no network."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect
from tests.e2e.conftest import doc_image
from tests.support.archive import write_archive
from tests.support.quality_day import faulty_week

pytestmark = [pytest.mark.browser]


def test_report_opens_with_calendar_and_plots(tmp_path: Path, browser: Browser) -> None:
    root, out = tmp_path / "data", tmp_path / "report.html"
    write_archive(root, faulty_week())
    span = ["--from", "2024-11-25", "--to", "2024-11-29", "--symbols", "AAPL"]
    where = ["--data", str(root), "--out", str(out)]
    done = subprocess.run(
        [sys.executable, "-m", "mdc.cli", "quality", "report", *span, *where],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "wrote" in done.stderr and "4 anomalies" in done.stderr

    context = browser.new_context(viewport={"width": 1200, "height": 900}, offline=True)
    requests: list[str] = []
    context.on("request", lambda r: requests.append(r.url))
    page = context.new_page()
    page.goto(out.as_uri())
    calendar = page.locator("#calendar-AAPL svg")
    expect(calendar).to_be_visible()
    assert calendar.bounding_box()["height"] > 100  # type: ignore[index]
    expect(page.locator("#timeline-AAPL svg")).to_be_visible()
    expect(page.locator("#scores tbody tr")).to_have_count(1)
    anomalies = page.locator("#symbol-AAPL tr.error")
    expect(anomalies).to_have_count(4)
    expect(anomalies.first).to_contain_text("price_spike")
    doc_image(page, "quality-report")
    context.close()
    assert requests == [out.as_uri()], "the report fetched something besides itself"
