"""Quality stage: the live anomaly detectors (``quality/anomalies.py``) over the batches, in
events/s.

``run(batches, tmp_dir)`` is the harness's plugin entry (``benchmarks/run.py`` times it): the
detector ``mdc collect`` uses (``anomalies.detector``: the compiled one when built, the
reference ``AnomalyDetector`` with ``MDC_PURE_PYTHON=1``) judges every batch, then flushes, as
the ``quality`` fan-out consumer does. It runs beside the pipeline on the same
event loop (with the dashboard's drop policy), so its rate against the end-to-end rate says what
share of a core it takes at full speed.
"""

from __future__ import annotations

from pathlib import Path

from mdc.domain.events import Event
from mdc.quality.anomalies import detector


def run(batches: list[list[Event]], tmp_dir: Path) -> int:
    judge = detector()
    events = 0
    for batch in batches:
        judge.process(batch)
        events += len(batch)
    judge.flush()
    return events
