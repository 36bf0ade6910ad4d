"""The Remote page in a real Chromium: ``mdc serve --live nats://…`` (a real process) watches
two collectors that publish their live views on the real nats-server; the page lists both with
their exact counts and last prices, and the picker shows one collector's symbols and tape."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from tests.e2e.conftest import VIEWPORT, doc_image
from tests.integration.distributed.test_live_fanout import events, live_config
from tests.support.collector import CollectorThread, scripted
from tests.support.feed import push
from tests.support.nats_server import shared_server
from tests.support.serving import MDC, env, free_port, wait_http

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def watched(tmp_path: Path) -> Iterator[str]:
    """Two publishing collectors (c1: AAA and BBB, c2: AAA) and ``mdc serve --live``."""
    # Playwright's sync API runs an event loop in this thread: the server check runs outside it.
    with ThreadPoolExecutor(1) as pool:
        server = pool.submit(shared_server).result()
    prefix = f"mdclive-e2e-{tmp_path.name[-12:].replace('_', '-')}"
    cfgs = [
        live_config(tmp_path / c, server, prefix, c, MDC_DISTRIBUTED__LIVE_PUBLISH="true")
        for c in ("c1", "c2")
    ]
    (tmp_path / "archive").mkdir()
    port = free_port()
    argv = [*MDC, "serve", "--data", str(tmp_path / "archive"), "--port", str(port)]
    proc = subprocess.Popen(
        [*argv, "--live", server],
        env=env(MDC_DISTRIBUTED__LIVE_PREFIX=prefix),
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "serve.log").open("wb"),
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/live", proc)
        with CollectorThread(cfgs[0], scripted) as c1, CollectorThread(cfgs[1], scripted) as c2:
            push(c1, events("AAA", 3, 10.0))
            push(c1, events("BBB", 2, 20.0))
            push(c2, events("AAA", 5, 30.0))
            yield f"http://127.0.0.1:{port}"
    finally:
        proc.kill()
        proc.communicate()


@pytest.fixture
def page(browser: Browser, watched: str) -> Iterator[Page]:
    context = browser.new_context(viewport=VIEWPORT, base_url=watched)
    page = context.new_page()
    page.set_default_timeout(20_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert errors == [], f"JavaScript errors on the dashboard: {errors}"


def test_the_remote_page_lists_both_collectors_and_shows_the_chosen_ones_symbols(
    page: Page,
) -> None:
    page.goto("/ui/#/remote")
    expect(page.locator('#nav a[aria-current="page"]')).to_have_text("Remote")
    c1 = page.locator('#remote-collectors tr[data-collector="c1"]')
    c2 = page.locator('#remote-collectors tr[data-collector="c2"]')
    expect(c1.locator(".events")).to_have_text("10")
    expect(c2.locator(".events")).to_have_text("10")
    expect(c1.locator(".symbol-count")).to_have_text("2")
    expect(c1.locator(".last-prices")).to_have_text("AAA 12.00 · BBB 21.00")
    expect(c2.locator(".last-prices")).to_have_text("AAA 34.00")
    expect(c1.locator("td").nth(1)).to_have_text("streaming")
    expect(page.locator("#remote-collectors caption")).to_have_text("2 collectors seen")
    expect(page.locator("#remote-bus")).to_contain_text("watching mdclive-e2e-")

    picker = page.locator("#remote-collector")
    expect(picker).to_have_value("c1")
    expect(page.locator('#remote-symbols tr[data-symbol="AAA"] .trades')).to_have_text("3")
    expect(page.locator('#remote-symbols tr[data-symbol="BBB"] .trades')).to_have_text("2")
    expect(page.locator("#remote-tape caption")).to_have_text("last 4 trades")
    doc_image(page, "remote")

    picker.select_option("c2")
    expect(page.locator("#remote-symbols caption")).to_have_text("1 symbols of c2")
    expect(page.locator('#remote-symbols tr[data-symbol="AAA"] .trades')).to_have_text("5")
    expect(page.locator('#remote-symbols tr[data-symbol="AAA"] .last')).to_have_text("34.00")
    expect(page.locator("#remote-tape tbody tr").first.locator("td").nth(3)).to_have_text("34.00")

    page.goto("/ui/#/remote?collector=c2")
    expect(picker).to_have_value("c2")
