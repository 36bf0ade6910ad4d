"""Reading Prometheus output in tests: samples keyed by name and labels, and promtool's verdict."""

from __future__ import annotations

import subprocess
from collections.abc import Iterable

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import Metric
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.registry import Collector

from tests.support.binaries import require

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def samples(text: str) -> Samples:
    """``{(sample name, sorted labels): value}`` of an exposition text."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def exposition(families: Iterable[Metric]) -> str:
    """The text ``/metrics`` would serve for ``families``."""
    fixed = list(families)

    class Fixed(Collector):
        def collect(self) -> Iterable[Metric]:
            return fixed

    registry = CollectorRegistry()
    registry.register(Fixed())
    return generate_latest(registry).decode()


def promtool_verdict(text: str) -> tuple[int, str]:
    """``promtool check metrics`` on ``text``: ``(0, "")`` when it has nothing to say."""
    promtool = require("promtool", "prometheus")
    check = subprocess.run(
        [promtool, "check", "metrics"], input=text, capture_output=True, text=True, check=False
    )
    return check.returncode, check.stdout + check.stderr
