"""While a real full disk pauses storage, what arrives is still counted: events at receipt
(``mdc_events_received`` grows, ``mdc_events_stored`` does not) and raw frames that cannot be
captured (``mdc_storage_raw_frames_dropped``), in ``/status`` and ``/metrics``."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from tests.support.collector import CollectorThread, provider_of, scripted
from tests.support.disk import MB, fill, tmpfs
from tests.support.feed import SYMBOLS, scripted_config, trades

from mdc.domain.time import now_ns


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path]:
    with tmpfs(tmp_path / "mnt", 8) as mnt:
        yield mnt


def metric(client: httpx.Client, name: str) -> float:
    for family in text_string_to_metric_families(client.get("/metrics").text):
        for sample in family.samples:
            if sample.name == name:
                return sample.value
    raise AssertionError(f"{name} not in /metrics")


def wait_until(check: object, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.02)
    raise AssertionError("condition not reached")


def test_a_pause_backlog_and_dropped_raw_frames_are_visible(disk: Path) -> None:
    ballast = fill(disk, leave_bytes=MB)
    config = scripted_config(
        disk / "data", MDC_STORAGE__MIN_FREE_MB="2", MDC_STORAGE__RAW_CAPTURE="true"
    )
    with (
        CollectorThread(config, scripted) as collector,
        httpx.Client(base_url=collector.url, timeout=10) as client,
    ):
        runtime = collector.runtime
        assert runtime is not None
        provider = provider_of(collector, "scripted")
        for _ in range(3):
            collector.call(lambda: provider.push(trades(SYMBOLS, 5)))
        for i in range(7):
            collector.call(lambda i=i: runtime.raw("scripted", now_ns(), f'{{"n":{i}}}'))
        wait_until(lambda: runtime.storage_paused is not None)
        assert metric(client, "mdc_events_received_total") == 30
        assert metric(client, "mdc_events_stored_total") == 0
        assert metric(client, "mdc_storage_raw_frames_dropped_total") == 7
        assert metric(client, "mdc_storage_writable") == 0
        pipeline = client.get("/status").json()["pipeline"]
        assert (pipeline["events_in"], pipeline["events_stored"]) == (30, 0)

        ballast.unlink()  # space is back: the backlog drains, nothing is lost
        wait_until(lambda: runtime.events_stored == 30)
        assert metric(client, "mdc_events_received_total") == 30
        assert metric(client, "mdc_storage_writable") == 1
        collector.call(lambda: runtime.raw("scripted", now_ns(), '{"n":7}'))
        assert client.get("/status").json()["storage"]["raw_frames"] == 1
        assert metric(client, "mdc_storage_raw_frames_dropped_total") == 7
    assert runtime.events_unacknowledged == 0
