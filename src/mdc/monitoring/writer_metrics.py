"""Prometheus metrics of the stream's consumers (``mdc store`` writers, ``mdc sink``), read from
their counters at scrape time.

They keep plain ints (``ArchiveWriter.stats``, ``StreamFeed.stats``); this turns them into
families labelled by stream and durable, so several processes scraped by one Prometheus stay
apart.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Final

from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

LABELS: Final = ["stream", "durable"]
COUNTERS: Final[dict[str, tuple[str, str]]] = {
    "fetched": ("mdc_writer_fetched_messages", "Messages fetched from the durable consumer."),
    "stored_messages": ("mdc_writer_stored_messages", "Messages whose events were stored."),
    "events": ("mdc_writer_stored_events", "Events stored (appended with natural-key dedup)."),
    "acked": ("mdc_writer_acked_messages", "Messages acknowledged after their checkpoint."),
    "redelivered": (
        "mdc_writer_redelivered_messages",
        "Messages delivered more than once (a writer died before acking them).",
    ),
    "bad_messages": (
        "mdc_writer_bad_messages",
        "Messages that did not decode, kept in _bad/nats/ and terminated.",
    ),
}
GAUGES: Final[dict[str, tuple[str, str]]] = {
    "awaiting_checkpoint": (
        "mdc_writer_awaiting_checkpoint_messages",
        "Messages stored, not yet acknowledged (waiting for the next checkpoint).",
    ),
    "lag_messages": (
        "mdc_writer_lag_messages",
        "Messages in the stream the durable has not been delivered yet (JetStream num_pending).",
    ),
    "ack_pending": (
        "mdc_writer_ack_pending_messages",
        "Messages delivered to the durable and not acknowledged (JetStream num_ack_pending).",
    ),
    "connected": ("mdc_writer_connected", "1 while the writer's NATS connection is up."),
}
SINK_COUNTERS: Final[dict[str, tuple[str, str]]] = {
    "fetched": ("mdc_sink_feed_fetched_messages", "Messages fetched from the durable consumer."),
    "delivered_messages": (
        "mdc_sink_feed_delivered_messages",
        "Messages the sink committed (transaction, pipeline or confirms).",
    ),
    "delivered_events": ("mdc_sink_feed_delivered_events", "Events the sink committed."),
    "acked": ("mdc_sink_feed_acked_messages", "Messages acknowledged after the sink's commit."),
    "redelivered": (
        "mdc_sink_feed_redelivered_messages",
        "Messages delivered more than once (a sink process died before acking them).",
    ),
    "bad_messages": ("mdc_sink_feed_bad_messages", "Messages that did not decode (terminated)."),
    "errors": ("mdc_sink_feed_errors", "Failed passes (retried with backoff)."),
}
SINK_GAUGES: Final[dict[str, tuple[str, str]]] = {
    "lag_messages": (
        "mdc_sink_feed_lag_messages",
        "Messages in the stream the durable has not been delivered yet (JetStream num_pending).",
    ),
    "ack_pending": (
        "mdc_sink_feed_ack_pending_messages",
        "Messages delivered to the durable and not acknowledged (JetStream num_ack_pending).",
    ),
    "connected": ("mdc_sink_feed_connected", "1 while the last pass succeeded."),
}


class FeedCollector(Collector):
    def __init__(
        self,
        stats: Callable[[], dict[str, Any]],
        counters: dict[str, tuple[str, str]],
        gauges: dict[str, tuple[str, str]],
    ) -> None:
        self.stats = stats
        self.counters = counters
        self.gauges = gauges

    def collect(self) -> Iterator[Metric]:
        s = self.stats()
        labels = [str(s["stream"]), str(s["durable"])]
        for key, (name, doc) in self.counters.items():
            family = CounterMetricFamily(name, doc, labels=LABELS)
            family.add_metric(labels, float(s[key]))
            yield family
        for key, (name, doc) in self.gauges.items():
            if s.get(key) is None:
                continue  # the lag is unknown until the first consumer info
            gauge = GaugeMetricFamily(name, doc, labels=LABELS)
            gauge.add_metric(labels, float(s[key]))
            yield gauge


def writer_registry(stats: Callable[[], dict[str, Any]]) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(FeedCollector(stats, COUNTERS, GAUGES))
    return registry


def sink_feed_registry(stats: Callable[[], dict[str, Any]]) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(FeedCollector(stats, SINK_COUNTERS, SINK_GAUGES))
    return registry
