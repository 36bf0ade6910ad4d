"""Prometheus metrics, read from the runtime's plain counters when ``/metrics`` is scraped.

Nothing on the hot path calls prometheus-client: the runtime, the queues, the store and the
providers keep ints, and :class:`RuntimeCollector` turns them into metric families at scrape
time. Label sets are bounded: event types and consumers are few by construction, symbols are
capped at :data:`MAX_SYMBOL_LABELS`, gap reasons and integrity kinds at :data:`MAX_REASONS`.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from prometheus_client import (
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    generate_latest,
)
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    InfoMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from mdc import __version__
from mdc.backfill.jobs import FINISHED
from mdc.config.schema import Config
from mdc.domain import native
from mdc.domain.time import NS_PER_S, now_ns
from mdc.monitoring.health import RANK, HealthMonitor
from mdc.pipeline.failover import FailoverSupervisor
from mdc.providers.base import FeedCounter, StreamingProvider
from mdc.providers.ratelimit import BucketStats
from mdc.providers.rest import RestStats

if TYPE_CHECKING:
    from mdc.backfill.service import BackfillService
    from mdc.pipeline.runtime import Runtime
    from mdc.quality.alerts import AlertManager

BACKFILL_STATES: Final = ("queued", "running", "paused", "cancelled", "done", "failed")
MAX_SYMBOL_LABELS: Final = 500
MAX_REASONS: Final = 50
OTHER: Final = "other"
CONTENT_TYPE: Final = "text/plain; version=0.0.4; charset=utf-8"

# store.stats() key → (metric name without _total, help); counters, then gauges. Keys a store
# does not report are simply absent from the output.
STORAGE_COUNTERS: Final[dict[str, tuple[str, str]]] = {
    "events": ("mdc_storage_events_written", "Events written to the archive."),
    "events_written": ("mdc_storage_events_written", "Events written to the archive."),
    "bytes_written": ("mdc_storage_written_bytes", "Bytes written to archive files."),
    "files_created": ("mdc_storage_files_created", "Archive files created."),
    "wal_bytes": ("mdc_wal_written_bytes", "Bytes appended to the WAL."),
    "wal_records": ("mdc_wal_records", "Records appended to the WAL."),
    "fsyncs": ("mdc_wal_fsyncs", "WAL fsync calls."),
    "checkpoints": ("mdc_storage_checkpoints", "Checkpoints committed."),
    "write_errors": ("mdc_storage_write_errors", "Archive write errors."),
    "stats_errors": ("mdc_storage_stats_errors", "Times the store could not report its figures."),
    "duplicates_skipped": ("mdc_storage_duplicates_skipped", "Rows skipped as duplicates."),
    "raw_frames_dropped": (
        "mdc_storage_raw_frames_dropped",
        "Raw frames not captured because storage was paused.",
    ),
    "raw_write_errors": ("mdc_storage_raw_write_errors", "Raw capture writes that failed."),
}
STORAGE_GAUGES: Final[dict[str, tuple[str, str]]] = {
    "open_files": ("mdc_storage_open_files", "Archive files open for writing."),
    "wal_segments": ("mdc_wal_segments", "WAL segment files on disk."),
    "wal_pending_bytes": ("mdc_wal_pending_bytes", "WAL bytes not yet covered by a checkpoint."),
}
# store.stats() key holding {"buckets": [[le_seconds, cumulative_count], ...], "sum": seconds}
STORAGE_HISTOGRAMS: Final[dict[str, tuple[str, str]]] = {
    "fsync_latency": ("mdc_wal_fsync_duration_seconds", "WAL fsync latency."),
    "write_latency": ("mdc_storage_write_duration_seconds", "Archive batch write latency."),
}

# StreamingProvider.counters() key → (metric name without _total, help), labelled by provider.
PROVIDER_COUNTERS: Final[dict[FeedCounter, tuple[str, str]]] = {
    "book_checksums_ok": (
        "mdc_provider_book_checksums_ok",
        "Order-book updates whose venue checksum matched the local book (Kraken).",
    ),
    "book_checksum_failures": (
        "mdc_provider_book_checksum_failures",
        "Order-book checksum mismatches, each one Gap and a resubscribe (Kraken).",
    ),
    "book_updates_unvalidated": (
        "mdc_provider_book_updates_unvalidated",
        "Book updates passed on unchecked: no snapshot to check them against yet (Kraken).",
    ),
    "book_updates_stale": (
        "mdc_provider_book_updates_stale",
        "Book updates already contained in the book, dropped (Binance).",
    ),
    "book_precisions_guessed": (
        "mdc_provider_book_precisions_guessed",
        "Book snapshots whose decimals came from the snapshot, not the instrument list (Kraken).",
    ),
    "duplicates_dropped": (
        "mdc_provider_duplicates_dropped",
        "Messages dropped as already seen: a repeated sequence number or trade id.",
    ),
    "messages_ignored": (
        "mdc_provider_messages_ignored",
        "Messages left out on purpose: acknowledgements, heartbeats, unknown types.",
    ),
    "book_sync_restarts": (
        "mdc_provider_book_sync_restarts",
        "Book syncs started over because updates were missing after the snapshot (Binance).",
    ),
    "connection_handovers": (
        "mdc_provider_connection_handovers",
        "Connections replaced on the venue's request without a gap (Binance).",
    ),
    "failover_switches": (
        "mdc_failover_switches",
        "Switches of the active provider in a failover list.",
    ),
}

Tallies = Callable[[], Mapping[str, Mapping[str, int]]]
"""``{"gaps": {reason: n}, "integrity": {kind: n}}`` as seen by the monitoring consumer."""


class RuntimeCollector(Collector):
    """Yields the collector's figures as metric families, computed at scrape time."""

    def __init__(
        self,
        config: Config,
        runtime: Runtime | None,
        health: HealthMonitor,
        tallies: Tallies | None = None,
        extra: Callable[[], Iterator[Metric]] | None = None,
    ) -> None:
        self.config = config
        self.runtime = runtime
        self.health = health
        self.tallies = tallies
        self.extra = extra

    def collect(self) -> Iterator[Metric]:
        info = InfoMetricFamily("mdc_build", "Build information.")
        info.add_metric([], {"version": __version__})
        yield info
        yield kernel_family(native.status())
        yield from self._health()
        yield from self._disk()
        rt = self.runtime
        if rt is not None:
            yield GaugeMetricFamily(
                "mdc_uptime_seconds",
                "Seconds since the collector started.",
                value=(now_ns() - rt.started_ns) / NS_PER_S,
            )
            yield from self._pipeline(rt)
            yield from self._symbols(rt)
            yield from provider_families(rt.providers)
            yield from self._storage(rt)
            yield from wal_consumer_families(rt.wal_consumers)
        if self.tallies is not None:
            yield from self._quality(self.tallies())
        if self.extra is not None:
            yield from self.extra()

    def _health(self) -> Iterator[Metric]:
        report = self.health.evaluate()
        overall = GaugeMetricFamily(
            "mdc_health_status",
            "Overall health: 0 healthy, 1 degraded, 2 unhealthy.",
            value=RANK[report.status],
        )
        checks = GaugeMetricFamily(
            "mdc_health_check_status",
            "Health per check: 0 healthy, 1 degraded, 2 unhealthy.",
            labels=["check"],
        )
        for check in report.checks:
            checks.add_metric([check.name], RANK[check.status])
        yield overall
        yield checks

    def _disk(self) -> Iterator[Metric]:
        root = Path(self.config.storage.root).absolute()
        while not root.exists() and root != root.parent:
            root = root.parent
        try:
            usage = shutil.disk_usage(root)
        except OSError:
            return
        yield GaugeMetricFamily(
            "mdc_storage_disk_free_bytes", "Free bytes on the archive's disk.", value=usage.free
        )
        yield GaugeMetricFamily(
            "mdc_storage_disk_size_bytes", "Size of the archive's disk.", value=usage.total
        )

    def _pipeline(self, rt: Runtime) -> Iterator[Metric]:
        by_type = CounterMetricFamily(
            "mdc_events", "Events through the pipeline, by type.", labels=["type"]
        )
        for name, count in sorted(rt.events_by_type.items()):
            by_type.add_metric([name], count)
        yield by_type
        yield CounterMetricFamily(
            "mdc_events_received", "Events received from providers.", value=rt.events_in
        )
        yield CounterMetricFamily(
            "mdc_events_stored", "Events appended to the store.", value=rt.events_stored
        )
        yield CounterMetricFamily(
            "mdc_bad_frames", "Provider frames that failed to parse.", value=rt.bad_frames
        )
        yield GaugeMetricFamily(
            "mdc_pipeline_accepting", "1 while the pipeline accepts data.", value=rt.accepting
        )
        yield GaugeMetricFamily(
            "mdc_ingest_queue_depth_batches",
            "Batches waiting between the providers and the processor.",
            value=rt.ingest.qsize(),
        )
        yield GaugeMetricFamily(
            "mdc_ingest_queue_capacity_batches",
            "Capacity of the ingest queue.",
            value=rt.ingest.maxsize,
        )
        families: dict[str, CounterMetricFamily | GaugeMetricFamily] = {
            "published": CounterMetricFamily(
                "mdc_consumer_published_events",
                "Events offered to a live consumer.",
                labels=["consumer"],
            ),
            "consumed": CounterMetricFamily(
                "mdc_consumer_consumed_events",
                "Events taken by a live consumer.",
                labels=["consumer"],
            ),
            "dropped": CounterMetricFamily(
                "mdc_consumer_dropped_events",
                "Events dropped by a live consumer's overflow policy.",
                labels=["consumer"],
            ),
            "depth": GaugeMetricFamily(
                "mdc_consumer_queue_depth_events",
                "Events waiting in a live consumer's queue.",
                labels=["consumer"],
            ),
            "capacity": GaugeMetricFamily(
                "mdc_consumer_queue_capacity_events",
                "Capacity of a live consumer's queue.",
                labels=["consumer"],
            ),
            "lag_s": GaugeMetricFamily(
                "mdc_consumer_lag_seconds",
                "Age (by ts_recv) of the last batch a consumer took.",
                labels=["consumer"],
            ),
        }
        for queue in list(rt.fanout.consumers.values()):
            stats = queue.stats()
            for key, family in families.items():
                family.add_metric([queue.name], float(stats[key]))
        yield from families.values()

    def _symbols(self, rt: Runtime) -> Iterator[Metric]:
        events = CounterMetricFamily(
            "mdc_symbol_events", "Events per subscribed symbol.", labels=["symbol"]
        )
        last = GaugeMetricFamily(
            "mdc_symbol_last_event_timestamp_seconds",
            "Receive time of the last event per subscribed symbol.",
            labels=["symbol"],
        )
        for symbol in sorted(rt.symbols)[:MAX_SYMBOL_LABELS]:
            events.add_metric([symbol], rt.symbol_counts.get(symbol, 0))
            ts = rt.last_event_ns.get(symbol)
            if ts is not None:
                last.add_metric([symbol], ts / NS_PER_S)
        yield events
        yield last
        yield GaugeMetricFamily(
            "mdc_symbols_subscribed", "Symbols subscribed.", value=len(rt.symbols)
        )

    def _storage(self, rt: Runtime) -> Iterator[Metric]:
        yield from storage_families(rt.storage_stats().document())

    def _quality(self, tallies: Mapping[str, Mapping[str, int]]) -> Iterator[Metric]:
        gaps = CounterMetricFamily(
            "mdc_gap_events", "Gap events seen live, by reason.", labels=["reason"]
        )
        for reason, count in bounded(tallies.get("gaps", {})).items():
            gaps.add_metric([reason], count)
        integrity = CounterMetricFamily(
            "mdc_integrity_events", "Integrity events seen live, by kind.", labels=["kind"]
        )
        for kind, count in bounded(tallies.get("integrity", {})).items():
            integrity.add_metric([kind], count)
        yield gaps
        yield integrity


def provider_families(providers: Mapping[str, StreamingProvider]) -> Iterator[Metric]:
    """Connection figures per provider, feed counters, and which failover member is active."""
    connected = GaugeMetricFamily(
        "mdc_provider_connected", "1 while the provider is connected.", labels=["provider"]
    )
    messages = CounterMetricFamily(
        "mdc_provider_messages", "Messages received from the provider.", labels=["provider"]
    )
    reconnects = CounterMetricFamily(
        "mdc_provider_reconnects", "Reconnections to the provider.", labels=["provider"]
    )
    errors = CounterMetricFamily(
        "mdc_provider_errors", "Connection errors with the provider.", labels=["provider"]
    )
    last = GaugeMetricFamily(
        "mdc_provider_last_message_timestamp_seconds",
        "Receive time of the provider's last message.",
        labels=["provider"],
    )
    feed = {
        key: CounterMetricFamily(metric, doc, labels=["provider"])
        for key, (metric, doc) in PROVIDER_COUNTERS.items()
    }
    active = GaugeMetricFamily(
        "mdc_failover_active",
        "1 for the provider a failover list streams from now, 0 for the others.",
        labels=["provider"],
    )
    for name, provider in providers.items():
        state = provider.state
        connected.add_metric([name], 1.0 if state.connected else 0.0)
        messages.add_metric([name], state.messages)
        reconnects.add_metric([name], state.reconnects)
        errors.add_metric([name], state.errors)
        if state.last_message_ns:
            last.add_metric([name], state.last_message_ns / NS_PER_S)
        for key, value in provider.counters().items():
            feed[key].add_metric([name], value)
        if isinstance(provider, FailoverSupervisor):
            for member in provider.members:
                active.add_metric([member.name], 1.0 if member is provider.active else 0.0)
    yield from (connected, messages, reconnects, errors, last)
    yield from (family for family in feed.values() if family.samples)
    if active.samples:
        yield active


def storage_families(stats: Mapping[str, Any]) -> Iterator[Metric]:
    """Metric families for the keys of ``store.stats()`` that this module knows."""
    seen: set[str] = set()
    for key, (name, doc) in STORAGE_COUNTERS.items():
        value = stats.get(key)
        if _number(value) and name not in seen:
            seen.add(name)
            yield CounterMetricFamily(name, doc, value=value)
    for key, (name, doc) in STORAGE_GAUGES.items():
        value = stats.get(key)
        if _number(value):
            yield GaugeMetricFamily(name, doc, value=value)
    if isinstance(stats.get("writable"), bool):
        yield GaugeMetricFamily(
            "mdc_storage_writable", "1 while the store can write.", value=stats["writable"]
        )
    for key, (name, doc) in STORAGE_HISTOGRAMS.items():
        hist = stats.get(key)
        if isinstance(hist, Mapping) and "buckets" in hist:
            buckets = [(_le(le), float(count)) for le, count in hist["buckets"]]
            if not buckets or buckets[-1][0] != "+Inf":
                total = buckets[-1][1] if buckets else 0.0
                buckets.append(("+Inf", float(hist.get("count", total))))
            yield HistogramMetricFamily(
                name, doc, buckets=buckets, sum_value=float(hist.get("sum", 0.0))
            )


WAL_CONSUMER_GAUGES: Final = {
    "position_lsn": ("mdc_wal_consumer_position", "Newest WAL LSN the consumer handed on."),
    "lag_records": ("mdc_wal_consumer_lag_records", "Acknowledged WAL records not yet handed on."),
    "connected": ("mdc_wal_consumer_connected", "1 while the consumer's last attempt worked."),
}
WAL_CONSUMER_COUNTERS: Final = {
    "delivered_events": ("mdc_wal_consumer_events", "Events handed on."),
    "delivered_records": ("mdc_wal_consumer_records", "WAL records handed on."),
    "published_messages": ("mdc_wal_consumer_messages", "Messages the bus acknowledged."),
    "duplicates": ("mdc_wal_consumer_duplicates", "Messages the bus already held (republish)."),
    "errors": ("mdc_wal_consumer_errors", "Failed attempts (each retried)."),
}


def wal_consumer_families(
    consumers: Mapping[str, Callable[[], Mapping[str, Any]]],
) -> Iterator[Metric]:
    """Lag and errors of the WAL's other consumers (the JetStream publisher, sinks)."""
    if not consumers:
        return
    stats = {name: fn() for name, fn in consumers.items()}
    for table, family in (
        (WAL_CONSUMER_GAUGES, GaugeMetricFamily),
        (WAL_CONSUMER_COUNTERS, CounterMetricFamily),
    ):
        for key, (name, doc) in table.items():
            metric = family(name, doc, labels=["consumer"])
            for consumer, values in stats.items():
                value = values.get(key)
                if value is not None and (isinstance(value, bool) or _number(value)):
                    metric.add_metric([consumer], float(value))
            yield metric


def backfill_families(service: BackfillService) -> Iterator[Metric]:
    """Backfill progress: jobs by state, chunks and rows of the unfinished jobs."""
    jobs = GaugeMetricFamily("mdc_backfill_jobs", "Backfill jobs by state.", labels=["state"])
    chunks = GaugeMetricFamily(
        "mdc_backfill_chunks",
        "Chunks of unfinished backfill jobs, by state.",
        labels=["state"],
    )
    states: dict[str, int] = dict.fromkeys(BACKFILL_STATES, 0)
    chunk_states: dict[str, int] = dict.fromkeys(("pending", "done", "failed", "skipped"), 0)
    rows = 0
    for job in service.list_jobs():
        states[job["state"]] = states.get(job["state"], 0) + 1
        rows += job["rows_written"]
        if job["state"] not in FINISHED:
            for state in chunk_states:
                chunk_states[state] += job[f"chunks_{state}"]
    for state, count in states.items():
        jobs.add_metric([state], count)
    for state, count in chunk_states.items():
        chunks.add_metric([state], count)
    yield jobs
    yield chunks
    yield GaugeMetricFamily(
        "mdc_backfill_rows", "Rows written by the backfill jobs on record.", value=rows
    )
    scheduler = service.scheduler
    yield CounterMetricFamily(
        "mdc_backfill_live_gaps",
        "Live Gap events the backfill scheduler saw.",
        value=scheduler.gaps_seen,
    )
    yield CounterMetricFamily(
        "mdc_backfill_repairs_submitted",
        "Repair jobs submitted for live gaps (backfill.auto_repair).",
        value=scheduler.repairs_submitted,
    )
    skipped = service.skipped()
    yield GaugeMetricFamily(
        "mdc_backfill_unreadable_job_files",
        "Backfill job files that cannot be read (not listed; see the log or /status).",
        value=len(skipped["unreadable_job_files"]),
    )
    yield GaugeMetricFamily(
        "mdc_backfill_archive_corrupt_lines",
        "Archive lines the gap finder skipped because they do not decode, at its latest read.",
        value=sum(skipped["corrupt_archive_lines"].values()),
    )
    runner = scheduler.runner
    yield from rest_families(runner.limiter.stats(), runner.usage.snapshot())


def alert_families(alerts: AlertManager) -> Iterator[Metric]:
    """``mdc_alerts_*``: open incidents per rule, notifications sent and failed, suppressed."""
    firing = GaugeMetricFamily(
        "mdc_alerts_firing", "Open alert incidents, by rule.", labels=["rule"]
    )
    snoozed = GaugeMetricFamily(
        "mdc_alerts_snoozed", "1 while the rule is snoozed.", labels=["rule"]
    )
    for rule in alerts.rules:
        firing.add_metric([rule.name], sum(1 for k in alerts.open if k[0] == rule.name))
        snoozed.add_metric([rule.name], 1 if alerts.snoozed_until(rule.name) else 0)
    yield firing
    yield snoozed
    sent = CounterMetricFamily(
        "mdc_alerts_notifications",
        "Alert notifications delivered, by rule, target type and state.",
        labels=["rule", "target", "state"],
    )
    for (rule_name, target, state), count in sorted(alerts.sent.items()):
        sent.add_metric([rule_name, target, state], count)
    yield sent
    failed = CounterMetricFamily(
        "mdc_alerts_failures",
        "Alert notifications a target refused or could not take.",
        labels=["rule", "target"],
    )
    for (rule_name, target), count in sorted(alerts.failed.items()):
        failed.add_metric([rule_name, target], count)
    yield failed
    suppressed = CounterMetricFamily(
        "mdc_alerts_suppressed", "Notifications held back by a snooze.", labels=["rule"]
    )
    for rule_name, count in sorted(alerts.suppressed.items()):
        suppressed.add_metric([rule_name], count)
    yield suppressed


def rest_families(
    limits: Mapping[tuple[str, str], BucketStats], clients: Mapping[str, RestStats]
) -> Iterator[Metric]:
    """Rate-limit waits per (provider, endpoint) and REST client counters per provider.

    Endpoints are the names the providers' code and config give them (a few per provider), so
    the label set stays small.
    """
    acquired = CounterMetricFamily(
        "mdc_ratelimit_requests",
        "REST requests let through the rate limiter.",
        labels=["provider", "endpoint"],
    )
    waits = CounterMetricFamily(
        "mdc_ratelimit_waits",
        "REST requests that waited for a rate-limit token.",
        labels=["provider", "endpoint"],
    )
    waited = CounterMetricFamily(
        "mdc_ratelimit_wait_seconds",
        "Time REST requests waited for rate-limit tokens.",
        labels=["provider", "endpoint"],
    )
    for (provider, endpoint), bucket in sorted(limits.items()):
        acquired.add_metric([provider, endpoint], bucket.acquired)
        waits.add_metric([provider, endpoint], bucket.waits)
        waited.add_metric([provider, endpoint], bucket.waited_s)
    yield from (acquired, waits, waited)
    requests = CounterMetricFamily(
        "mdc_rest_requests", "HTTP requests sent to a provider's REST API.", labels=["provider"]
    )
    retries = CounterMetricFamily(
        "mdc_rest_retries", "REST requests retried (errors, 429, 5xx).", labels=["provider"]
    )
    retry_wait = CounterMetricFamily(
        "mdc_rest_retry_wait_seconds",
        "Time spent waiting before REST retries (backoff and Retry-After).",
        labels=["provider"],
    )
    errors = CounterMetricFamily(
        "mdc_rest_errors", "REST requests that failed after their retries.", labels=["provider"]
    )
    retry_after = GaugeMetricFamily(
        "mdc_rest_last_retry_after_seconds",
        "The last Retry-After a provider sent.",
        labels=["provider"],
    )
    for provider, stats in sorted(clients.items()):
        requests.add_metric([provider], stats.requests)
        retries.add_metric([provider], stats.retries)
        retry_wait.add_metric([provider], stats.retry_waited_s)
        errors.add_metric([provider], stats.errors)
        if stats.last_retry_after_s is not None:
            retry_after.add_metric([provider], stats.last_retry_after_s)
    yield from (requests, retries, retry_wait, errors, retry_after)


def bounded(counts: Mapping[str, int]) -> dict[str, int]:
    """At most :data:`MAX_REASONS` labels; the rest are summed under ``other``."""
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    out = dict(ranked[: MAX_REASONS - 1]) if len(ranked) > MAX_REASONS else dict(ranked)
    rest = sum(count for _, count in ranked[len(out) :])
    if rest:
        out[OTHER] = out.get(OTHER, 0) + rest
    return out


def build_registry(collector: Collector) -> CollectorRegistry:
    """A registry of our own (not the global one) with the process, platform and GC figures."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    for standard in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
        registry.register(standard)
    return registry


def render(registry: CollectorRegistry) -> bytes:
    return generate_latest(registry)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _le(value: Any) -> str:
    return "+Inf" if value in ("+Inf", float("inf")) else repr(float(value))


def kernel_family(loaded: Mapping[str, bool]) -> GaugeMetricFamily:
    """1 for each hot path running its compiled kernel, 0 where its Python path runs."""
    family = GaugeMetricFamily(
        "mdc_kernel_compiled",
        "1 when the hot path runs its compiled kernel, 0 when its Python path runs.",
        labels=["module"],
    )
    for module, compiled in sorted(loaded.items()):
        family.add_metric([module], 1.0 if compiled else 0.0)
    return family
