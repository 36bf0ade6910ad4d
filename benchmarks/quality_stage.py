"""Quality stage: the live anomaly detectors (``quality/anomalies.py``) over the batches, in
events/s.

``run(batches, tmp_dir)`` is the harness's plugin entry (``benchmarks/run.py`` times it): one
:class:`~mdc.quality.anomalies.AnomalyDetector` judges every batch, then flushes, as the
``quality`` fan-out consumer of ``mdc collect`` does. It runs beside the pipeline on the same
event loop (with the dashboard's drop policy), so its rate against the end-to-end rate says what
share of a core it takes at full speed.
"""

from __future__ import annotations

from pathlib import Path

from mdc.domain.events import Event
from mdc.quality.anomalies import AnomalyDetector


def run(batches: list[list[Event]], tmp_dir: Path) -> int:
    detector = AnomalyDetector()
    events = 0
    for batch in batches:
        detector.process(batch)
        events += len(batch)
    detector.flush()
    return events
