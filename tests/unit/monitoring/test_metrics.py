"""Helpers of the metrics module: bounded labels and the store-stats mapping."""

from __future__ import annotations

from tests.support.metrics import exposition

from mdc.monitoring.metrics import MAX_REASONS, OTHER, bounded, kernel_family, storage_families


def test_bounded_keeps_the_largest_and_sums_the_rest() -> None:
    counts = {f"r{i:03d}": i for i in range(1, MAX_REASONS + 11)}  # 60 reasons
    out = bounded(counts)
    assert len(out) == MAX_REASONS
    assert out[f"r{MAX_REASONS + 10:03d}"] == MAX_REASONS + 10
    assert out[OTHER] == sum(range(1, 12))
    assert sum(out.values()) == sum(counts.values())
    assert bounded({"a": 1}) == {"a": 1}


def test_store_stats_become_counters_gauges_and_histograms() -> None:
    stats = {
        "events_written": 10,
        "wal_bytes": 2048,
        "open_files": 3,
        "writable": True,
        "fsync_latency": {"buckets": [[0.001, 4], [0.01, 9]], "sum": 0.02, "count": 10},
        "unknown_key": 5,
        "root": "/x",
    }

    text = exposition(storage_families(stats))
    assert "mdc_storage_events_written_total 10.0" in text
    assert "mdc_wal_written_bytes_total 2048.0" in text
    assert "mdc_storage_open_files 3.0" in text
    assert "mdc_storage_writable 1.0" in text
    assert 'mdc_wal_fsync_duration_seconds_bucket{le="0.001"} 4.0' in text
    assert 'mdc_wal_fsync_duration_seconds_bucket{le="+Inf"} 10.0' in text
    assert "mdc_wal_fsync_duration_seconds_sum 0.02" in text
    assert "unknown" not in text


def test_kernel_family_says_which_path_runs() -> None:
    text = exposition([kernel_family({"mdc.b.kernel": False, "mdc.a.kernel": True})])
    assert 'mdc_kernel_compiled{module="mdc.a.kernel"} 1.0' in text
    assert 'mdc_kernel_compiled{module="mdc.b.kernel"} 0.0' in text
