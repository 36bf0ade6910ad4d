"""Lag and errors of WAL consumers (the JetStream publisher) in /metrics."""

from __future__ import annotations

from tests.support.metrics import exposition, samples

from mdc.monitoring.metrics import wal_consumer_families


def test_publisher_lag_and_errors_are_labelled_by_consumer() -> None:
    stats = {
        "position_lsn": 40,
        "lag_records": 7,
        "connected": False,
        "delivered_events": 1234,
        "delivered_records": 50,
        "published_messages": 80,
        "duplicates": 3,
        "errors": 2,
        "last_error": "TimeoutError: nats: timeout",
    }
    got = samples(exposition(wal_consumer_families({"publish": lambda: stats})))
    label = (("consumer", "publish"),)
    assert got[("mdc_wal_consumer_position", label)] == 40
    assert got[("mdc_wal_consumer_lag_records", label)] == 7
    assert got[("mdc_wal_consumer_connected", label)] == 0
    assert got[("mdc_wal_consumer_events_total", label)] == 1234
    assert got[("mdc_wal_consumer_records_total", label)] == 50
    assert got[("mdc_wal_consumer_duplicates_total", label)] == 3
    assert got[("mdc_wal_consumer_errors_total", label)] == 2
    assert not any("timeout" in name for name, _ in got)
    assert list(wal_consumer_families({})) == []
