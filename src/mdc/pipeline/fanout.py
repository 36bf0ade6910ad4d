"""Live fan-out: every consumer (dashboard, quality, metrics, subscribers) gets its own queue.

The storage path is not a consumer here: it is written before fan-out and never drops.
"""

from __future__ import annotations

from mdc.domain.events import Event
from mdc.pipeline.queues import Batch, BatchQueue, Policy


class FanOut:
    def __init__(self) -> None:
        self.consumers: dict[str, BatchQueue] = {}
        self.published = 0

    def add(
        self,
        name: str,
        capacity: int,
        policy: Policy,
        types: frozenset[type[Event]] | None = None,
    ) -> BatchQueue:
        """A consumer's queue; ``types``: the only event types it takes (``None``: all)."""
        if name in self.consumers:
            raise ValueError(f"consumer {name!r} already exists")
        queue = BatchQueue(name, capacity, policy, types)
        self.consumers[name] = queue
        return queue

    def remove(self, name: str) -> None:
        queue = self.consumers.pop(name, None)
        if queue is not None:
            queue.close()

    async def publish(self, batch: Batch) -> None:
        self.published += len(batch)
        for queue in list(self.consumers.values()):
            if queue.policy == "block":
                await queue.put(batch)
            else:
                queue.offer(batch)

    def close(self) -> None:
        for queue in self.consumers.values():
            queue.close()

    def stats(self) -> list[dict[str, float | int | str]]:
        return [q.stats() for q in self.consumers.values()]
