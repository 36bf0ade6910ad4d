"""The anomaly detectors on the live stream of ``mdc collect``: findings are stored.

A fan-out consumer (``quality``, the dashboard's drop policy: a slow judge never slows the
pipeline, and what it drops is counted in ``/status`` consumers) runs each batch through the
same detector the report replays (``anomalies.detector``: the compiled one when it is built),
taking only the types it judges (a fast-path frame's book deltas are never made for it), and
publishes the ``Integrity`` findings into the runtime like any provider's events: they go
through the WAL into the archive and back out to the dashboard and the alert rules. Its own
findings coming back are ignored by the detectors (they judge trades, quotes, bars and statuses
only). Minutes still open at shutdown are not judged for divergence (the next replay of the day
does that).
"""

from __future__ import annotations

import asyncio
from typing import Final

from mdc.pipeline.queues import BatchQueue
from mdc.pipeline.runtime import Runtime
from mdc.quality.anomalies import JUDGED, detector

CONSUMER_NAME: Final = "quality"
SLICE_EVENTS: Final = 2048
"""Events of the fan-out (every type counted, as the queue counts them) taken between yields to
the event loop: a merged batch can hold 65,536, and judging it at once would hold the read loops
for a tenth of a second. It also bounds the judge's share of a saturated loop: the pipeline
delivers a frame per turn, the judge takes this many of its events, and its queue drops what
it cannot reach (counted in ``/status`` consumers) rather than the judge slowing the store."""


class LiveQuality:
    def __init__(self, runtime: Runtime, queue: BatchQueue) -> None:
        self.runtime = runtime
        self.queue = queue
        self.detector = detector(runtime.config.quality)

    @classmethod
    def attach(cls, runtime: Runtime) -> LiveQuality | None:
        """A consumer on ``runtime``'s fan-out, or ``None`` when ``quality.live`` is off."""
        if not runtime.config.quality.live:
            return None
        pipeline = runtime.config.pipeline
        queue = runtime.fanout.add(
            CONSUMER_NAME, pipeline.capacity, pipeline.dashboard_policy, JUDGED
        )
        return cls(runtime, queue)

    @property
    def counts(self) -> dict[str, int]:
        """Findings so far, by kind."""
        return dict(self.detector.counts)

    async def run(self) -> None:
        """Judge until the fan-out closes."""
        while True:
            batch = await self.queue.get(SLICE_EVENTS)
            if not batch:
                return
            findings = self.detector.process(batch)
            if findings:
                await self.runtime.publish(list(findings))
            await asyncio.sleep(0)
