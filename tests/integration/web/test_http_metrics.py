"""/metrics: exact figures from the runtime's counters, and `promtool check metrics` accepts it."""

from __future__ import annotations

import subprocess

import httpx
from prometheus_client.parser import text_string_to_metric_families
from tests.support.binaries import require
from tests.support.collector import CollectorThread
from tests.support.feed import SYMBOLS, push, trades

from mdc.domain.events import Gap
from mdc.domain.time import now_ns


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_metrics_values_and_promtool(collector: CollectorThread, client: httpx.Client) -> None:
    promtool = require("promtool", "prometheus")
    push(collector, trades(SYMBOLS, 5))
    ts = now_ns()
    gap = Gap(
        symbol="AAA",
        venue="X",
        provider="scripted",
        ts_event=ts,
        ts_recv=ts,
        from_ts=ts - 1,
        to_ts=ts,
        reason="sequence",
    )
    push(collector, [gap])
    res = client.get("/metrics")
    assert res.status_code == 200
    assert res.headers["content-type"].startswith("text/plain; version=0.0.4")
    got = samples(res.text)
    assert got[("mdc_events_total", (("type", "trades"),))] == 10
    assert got[("mdc_events_total", (("type", "gaps"),))] == 1
    assert got[("mdc_events_received_total", ())] == 11
    assert got[("mdc_symbol_events_total", (("symbol", "AAA"),))] == 6
    assert got[("mdc_symbol_events_total", (("symbol", "BBB"),))] == 5
    assert got[("mdc_consumer_dropped_events_total", (("consumer", "dashboard"),))] == 0
    assert got[("mdc_consumer_published_events_total", (("consumer", "dashboard"),))] == 11
    assert got[("mdc_provider_connected", (("provider", "scripted"),))] == 1
    assert got[("mdc_provider_messages_total", (("provider", "scripted"),))] == 11
    assert got[("mdc_gap_events_total", (("reason", "sequence"),))] == 1
    assert got[("mdc_health_status", ())] == 0
    assert got[("mdc_symbols_subscribed", ())] == 2
    assert ("process_resident_memory_bytes", ()) in got
    check = subprocess.run(
        [promtool, "check", "metrics"], input=res.text, capture_output=True, text=True, check=False
    )
    assert (check.returncode, check.stdout + check.stderr) == (0, "")
