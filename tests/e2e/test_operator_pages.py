"""The pages an operator reads at a glance, in a real Chromium at 1400 px: Providers (fits its
card, IB's live state from the TWS stand-in), Storage (the headline figures, the rest behind
details), archive mode (``mdc serve``: says so, nothing live-only enabled), ``/docs`` offline.

The screenshots docs/dashboard.md shows come from these tests (``make doc-images``).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

import httpx
import msgspec
import pytest
from playwright.sync_api import Browser, Page, expect
from tests.e2e.conftest import doc_image
from tests.support.collector import CollectorThread
from tests.support.fake_tws import Listing
from tests.support.feed import trades
from tests.support.net import free_port
from tests.support.tws_thread import ib_collector

from mdc.config import Config, ConfigError, load_config
from mdc.domain.events import Event
from mdc.domain.time import datetime_to_ns
from mdc.storage import open_store

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WIDE: Final = {"width": 1400, "height": 900}
LISTINGS: Final = [Listing("AAPL", 265598, name="APPLE INC"), Listing("MSFT", 272093)]
# Records where every x-axis clock label of a chart is drawn, in CSS pixels of its canvas.
LABEL_PROBE: Final = """
window.__labels = [];
const fillText = CanvasRenderingContext2D.prototype.fillText;
CanvasRenderingContext2D.prototype.fillText = function (text, x, y, ...rest) {
  if (/^\\d\\d:\\d\\d:\\d\\d$/.test(text)) {
    const w = this.measureText(text).width;
    const a = this.textAlign;
    const left = a === "center" ? x - w / 2 : a === "right" || a === "end" ? x - w : x;
    window.__labels.push({ text, left, right: left + w, width: this.canvas.clientWidth });
  }
  return fillText.call(this, text, x, y, ...rest);
};
"""
# Elements wider than their box: (selector, scrollWidth, clientWidth) of each offender.
OVERFLOW: Final = """
(selector) => [...document.querySelectorAll(selector)]
  .filter((el) => el.scrollWidth > el.clientWidth)
  .map((el) => [el.id || el.className, el.scrollWidth, el.clientWidth])
"""


class Watched:
    """A page with every console error and uncaught exception recorded."""

    def __init__(self, browser: Browser, base_url: str) -> None:
        self.context = browser.new_context(viewport=WIDE, base_url=base_url)
        self.context.add_init_script(LABEL_PROBE)
        self.page = self.context.new_page()
        self.page.set_default_timeout(15_000)
        self.errors: list[str] = []
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.on(
            "console",
            lambda msg: self.errors.append(msg.text) if msg.type == "error" else None,
        )

    def close(self) -> None:
        self.context.close()
        assert self.errors == [], f"console errors: {self.errors}"


@pytest.fixture
def watched(browser: Browser, collector: CollectorThread) -> Iterator[Page]:
    w = Watched(browser, collector.url)
    yield w.page
    w.close()


def go(page: Page, route: str) -> None:
    page.goto(f"/ui/#/{route}")
    expect(page.locator(f'#nav a[aria-current="page"][href="#/{route}"]')).to_be_visible()


def no_overflow(page: Page, selector: str) -> None:
    assert page.locator(selector).count() > 0, selector
    assert page.evaluate(OVERFLOW, selector) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDE["width"]


# -- Storage (the simulated collector of conftest) --------------------------------------------
def test_storage_leads_with_the_operators_figures(watched: Page) -> None:
    page = watched
    go(page, "storage")
    rate = re.compile(r"^[\d.]+ (B|KiB|MiB)/s$")  # measured once the samples span 2 s
    expect(page.locator("#st-rate .value")).to_have_text(rate, timeout=15_000)
    expect(page.locator("#st-daily .value")).to_have_text(re.compile(r"^[\d.]+ (KiB|MiB|GiB)$"))
    expect(page.locator("#st-used .value")).to_have_text(re.compile(r"^[\d.]+ (B|KiB|MiB)$"))
    expect(page.locator("#st-used .note")).to_contain_text("no size budget")
    expect(page.locator("#st-free .note")).to_contain_text("writing pauses below 100.0 MiB")
    expect(page.locator("#st-lag .value")).to_have_text(re.compile(r"^\d[\d,]* records$"))
    expect(page.locator("#st-checkpoint .value")).to_have_text(re.compile(r" ago$|^none yet$"))
    expect(page.locator("#st-errors .value")).to_have_text("0")
    expect(page.locator("#st-state .value")).to_have_text("writing")
    # Eight figures, each fitting its box; "format" only once; no raw nanosecond stamp.
    expect(page.locator("#storage-stats .figure")).to_have_count(8)
    no_overflow(page, "#storage-stats .figure, #storage-stats .figure .value")
    stats = page.locator("#storage-stats")
    assert len(re.findall(r"\bformat\b", stats.inner_text())) == 1
    assert not re.search(r"\d{16,}", stats.inner_text())
    # The rest sits behind the disclosure, formatted.
    details = page.locator("#storage-details")
    expect(details).not_to_have_attribute("open", "")
    expect(page.locator('tr[data-counter="last_checkpoint_ns"]')).to_be_hidden()
    details.locator("summary").click()
    row = page.locator('tr[data-counter="last_checkpoint_ns"]')
    expect(row).to_be_visible()
    expect(row).to_contain_text(datetime.now(UTC).strftime("%Y-%m-%d"))
    # After the next refresh (a new element replaces it) the disclosure is still open.
    details.evaluate("el => (el.dataset.seen = 'yes')")
    page.wait_for_function("() => !document.querySelector('#storage-details').dataset.seen")
    expect(details).to_have_attribute("open", "")
    details.locator("summary").click()
    doc_image(page, "storage")


def test_chart_labels_stay_inside_the_canvas(watched: Page) -> None:
    page = watched
    go(page, "overview")
    page.wait_for_function(
        "() => window.__labels.length >= 10 && new Set(window.__labels.map(l => l.text)).size > 1"
    )
    labels = page.evaluate("window.__labels")
    clipped = [x for x in labels if x["left"] < 0 or x["right"] > x["width"]]
    assert clipped == []


def test_symbol_pattern_compiles_and_checks_input(watched: Page) -> None:
    """Chromium compiles ``pattern`` with the ``v`` flag; an invalid one is logged as a console
    error (failing the fixture) and checks nothing."""
    page = watched
    go(page, "symbols")
    field = page.locator("#new-symbol")
    for text, mismatch in (("BTC/USD", False), ("ES=F", False), ("BTC USD", True), ("-X", True)):
        field.fill(text)
        assert field.evaluate("el => el.validity.patternMismatch") is mismatch, text
    field.fill("")


# -- Providers: IB's live state from the TWS stand-in ------------------------------------------
@pytest.fixture(scope="module")
def ib(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CollectorThread]:
    with ib_collector(tmp_path_factory.mktemp("e2e-ib") / "data", LISTINGS) as running:
        yield running


def test_providers_fit_at_1400px_and_show_ib_live_state(
    browser: Browser, ib: CollectorThread
) -> None:
    w = Watched(browser, ib.url)
    page = w.page
    go(page, "providers")
    panel = page.locator('[data-detail="ib"]')
    expect(panel.locator('[data-key="server version"] dd')).to_have_text("176")
    expect(panel.locator('[data-key="state"] dd')).to_have_text("streaming")
    expect(panel.locator('[data-key="farms"] dd')).to_have_text("usfarm ok, ushmds ok, secdefnj ok")
    expect(panel.locator('[data-key="lines"] dd')).to_have_text(
        "tick by tick 4, depth 2, mkt data 0"
    )
    expect(panel.locator('[data-key="subscribed"] dd')).to_have_text("2: AAPL, MSFT")
    expect(page.locator('tr[data-provider="ib"]')).to_contain_text("(primary)")
    expect(page.locator("#provider-list tbody tr")).to_have_count(
        len(httpx.get(f"{ib.url}/api/providers", timeout=5).json())
    )
    no_overflow(page, "main, main .card, #provider-list, #provider-list table")
    doc_image(page, "providers")
    w.close()


def test_check_button_reports_each_providers_outcome(
    watched: Page, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TIINGO_API_KEY", raising=False)  # the collector runs in this process
    go(watched, "providers")
    simulated = watched.locator('tr[data-provider="simulated"] td.check')
    simulated.get_by_role("button", name="Check").click()
    result = simulated.locator(".check-result")
    expect(result).to_have_attribute("data-outcome", "ok")
    expect(result).to_contain_text("simulated: ok (daily bars of SPY")
    tiingo = watched.locator('tr[data-provider="tiingo"] td.check')
    tiingo.get_by_role("button", name="Check").click()
    expect(tiingo.locator(".check-result")).to_contain_text(
        "missing: tiingo: credentials missing; set the environment variable TIINGO_API_KEY"
    )
    with watched.expect_response(lambda r: r.url.endswith("/api/providers")):
        pass  # the next refresh of the table keeps both answers
    watched.wait_for_load_state("networkidle")
    expect(result).to_have_attribute("data-outcome", "ok")
    expect(tiingo.locator(".check-result")).to_have_attribute("data-outcome", "missing")


def test_settings_reload_applies_and_refuses(
    browser: Browser, tmp_path_factory: pytest.TempPathFactory
) -> None:
    root = tmp_path_factory.mktemp("e2e-reload") / "data"
    config = load_config(env={"MDC_STORAGE__ROOT": str(root), "MDC_SYMBOLS": "SPY"})
    answers: list[Config | ConfigError] = [ConfigError("symbols[1]: must not be empty")]
    with CollectorThread(config, reload=lambda: _next(answers)) as running:
        answers.append(msgspec.structs.replace(running.config, symbols=["SPY", "QQQ"]))
        w = Watched(browser, running.url)
        page = w.page
        go(page, "settings")
        page.click("#reload-btn")
        expect(page.locator("#reload-msg")).to_have_text(
            "config not reloaded, still running the previous one: symbols[1]: must not be empty"
        )
        page.click("#reload-btn")
        expect(page.locator("#reload-msg")).to_have_text(
            "config reloaded: applied symbols; added QQQ"
        )
        expect(page.locator("#config-view")).to_contain_text('"QQQ"')
        items = page.locator("#reload-history li")
        expect(items).to_have_count(2)
        expect(items.nth(0)).to_contain_text("api · config reloaded: applied symbols; added QQQ")
        expect(items.nth(1)).to_have_attribute("data-ok", "false")
        w.errors = [e for e in w.errors if "422" not in e]  # the refusal's own HTTP status
        w.close()


def _next(answers: list[Config | ConfigError]) -> Config:
    answer = answers.pop(0)
    if isinstance(answer, ConfigError):
        raise answer
    return answer


# -- Archive mode: a real `mdc serve` over a small archive -------------------------------------
def archive(root: Path) -> None:
    config = load_config(env={"MDC_STORAGE__ROOT": str(root)})
    store = open_store(config.storage)
    events: list[Event] = []
    for day, symbol in ((4, "SPY"), (5, "SPY"), (5, "AAPL")):
        events += trades([symbol], 3, at=datetime_to_ns(datetime(2024, 3, day, 15, tzinfo=UTC)))
    store.append(events)
    store.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("e2e-archive") / "data"
    archive(root)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MDC_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "mdc.cli", "serve", "--data", str(root), "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            assert proc.poll() is None, proc.communicate()[1].decode()
            try:
                httpx.get(f"{url}/live", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


LIVE_ONLY: Final = (
    "#add-symbol-form input, #add-symbol-form button, #live-symbol, #backfill-form button"
)


def test_archive_mode_is_honest_on_every_page(browser: Browser, served: str) -> None:
    w = Watched(browser, served)
    page = w.page
    go(page, "overview")
    expect(page.locator("#mode")).to_contain_text("archive")
    expect(page.locator("#fig-mode .value")).to_have_text("archive view")
    expect(page.locator("#fig-symbols .value")).to_have_text("2")
    expect(page.locator("#fig-first .value")).to_have_text("2024-03-04")
    expect(page.locator("#fig-last .value")).to_have_text("2024-03-05")
    expect(page.locator("#fig-types .value")).to_have_text("trades")
    expect(page.locator(".archive-note")).to_contain_text("no live throughput")
    doc_image(page, "archive-overview")
    for route in ("live", "symbols", "providers", "storage", "quality", "backfill"):
        go(page, route)
        if route == "storage":
            expect(page.locator("#storage-archive-note")).to_be_visible()
            expect(page.locator("#st-used .value")).not_to_have_text("0 B")
        elif route == "backfill":
            expect(page.locator("#backfill-unavailable")).to_contain_text("mdc collect")
        else:
            expect(page.locator(".archive-note")).to_be_visible()
        if route == "symbols":
            expect(page.locator("#archive-symbols")).to_have_text(
                "The archive holds 2 symbols: AAPL, SPY."
            )
            subscribe = page.get_by_role("button", name="Subscribe")
            expect(subscribe).to_be_disabled()
            assert "collector" in (subscribe.get_attribute("title") or "")
            doc_image(page, "archive-symbols")
        expect(page.locator("main")).not_to_contain_text("waiting for data")
        controls = page.locator(LIVE_ONLY)
        for i in range(controls.count()):
            expect(controls.nth(i)).to_be_disabled()
    w.close()


def test_docs_render_offline(browser: Browser, served: str) -> None:
    w = Watched(browser, served)
    outside: list[str] = []

    def only_local(route: object) -> None:
        request = route.request  # type: ignore[attr-defined]
        if request.url.startswith(served):
            route.continue_()  # type: ignore[attr-defined]
        else:
            outside.append(request.url)
            route.abort()  # type: ignore[attr-defined]

    w.page.route("**/*", only_local)
    w.page.goto("/docs")
    expect(w.page.locator(".swagger-ui .info .title")).to_contain_text("Market Data Collector")
    operations = w.page.locator(".opblock")
    expect(operations.first).to_be_visible()
    assert operations.count() >= 30
    expect(w.page.locator(".opblock-summary-path", has_text="/api/storage/stats")).to_be_visible()
    assert outside == []
    w.close()
