"""Bounded batch queues with a per-consumer overflow policy.

Capacity is counted in events, not batches, so a policy's drop counts are exact. ``block`` makes
the publisher wait; ``drop_oldest`` evicts the oldest queued events; ``drop_newest`` keeps what is
queued and drops the part of the new batch that does not fit.

A batch is a list of events or a fast-path frame's :class:`~mdc.pipeline.frames.FrameEvents`,
whose events are made when the consumer takes it (in the consumer's task); a frame the policy
drops is never made. A queue may name the event types its consumer takes: it then gets only
those (of a frame, only those are made), and capacity still counts every event offered.
"""

from __future__ import annotations

import asyncio
from collections import deque
from itertools import compress
from typing import TYPE_CHECKING, Final, Literal, TypeAlias

from mdc.domain.events import Event
from mdc.domain.time import NS_PER_S, now_ns

if TYPE_CHECKING:
    from mdc.pipeline.frames import FrameEvents

Policy = Literal["block", "drop_oldest", "drop_newest"]
POLICIES: Final[tuple[str, ...]] = ("block", "drop_oldest", "drop_newest")
Batch: TypeAlias = "list[Event] | FrameEvents"


class BatchQueue:
    """A bounded FIFO of event batches for one consumer."""

    def __init__(
        self,
        name: str,
        capacity: int,
        policy: Policy = "block",
        types: frozenset[type[Event]] | None = None,
    ) -> None:
        if capacity < 1:
            raise ValueError(f"{name}: capacity must be at least 1, got {capacity}")
        if policy not in POLICIES:
            raise ValueError(f"{name}: policy must be one of {', '.join(POLICIES)}, got {policy!r}")
        self.name = name
        self.capacity = capacity
        self.policy: Policy = policy
        self.types = types
        """The event types the consumer takes (``None``: every event)."""
        self._batches: deque[Batch] = deque()
        self._size = 0
        self._not_empty = asyncio.Event()
        self._space = asyncio.Event()
        self._space.set()
        self.published = 0
        self.consumed = 0
        self.dropped = 0
        self.lag_s = 0.0
        self.closed = False

    @property
    def depth(self) -> int:
        """Events waiting."""
        return self._size

    @property
    def utilisation(self) -> float:
        return self._size / self.capacity

    async def put(self, batch: Batch) -> None:
        """Enqueue, applying the policy; only ``block`` ever waits."""
        if not batch or self.closed:
            return
        if self.policy == "block":
            # An oversized batch goes in alone into an empty queue rather than waiting forever.
            while self._size and self._size + len(batch) > self.capacity:
                self._space.clear()
                await self._space.wait()
                if self.closed:
                    return
            self._append(batch)
        else:
            self.offer(batch)

    def offer(self, batch: Batch) -> None:
        """Enqueue without waiting (drop policies; ``block`` queues beyond capacity)."""
        if not batch or self.closed:
            return
        overflow = self._size + len(batch) - self.capacity
        if overflow > 0 and self.policy == "drop_newest":
            keep = max(0, len(batch) - overflow)
            self.dropped += len(batch) - keep
            self.published += len(batch) - keep
            batch = batch[:keep]
            if not batch:
                return
        elif overflow > 0 and self.policy == "drop_oldest":
            if len(batch) > self.capacity:
                self.dropped += len(batch) - self.capacity
                self.published += len(batch) - self.capacity
                batch = batch[-self.capacity :]
                overflow = self._size + len(batch) - self.capacity
            self._evict(overflow)
        self._append(batch)

    def _append(self, batch: Batch) -> None:
        self._batches.append(batch)
        self._size += len(batch)
        self.published += len(batch)
        self._not_empty.set()

    def _evict(self, count: int) -> None:
        while count > 0 and self._batches:
            oldest = self._batches[0]
            if len(oldest) <= count:
                self._batches.popleft()
                self._size -= len(oldest)
                self.dropped += len(oldest)
                count -= len(oldest)
            else:
                self._batches[0] = oldest[count:]
                self._size -= count
                self.dropped += count
                count = 0

    async def get(self, limit: int | None = None) -> list[Event]:
        """The next batch (of the queue's types: batches with none of them are passed over);
        waits while empty. Returns ``[]`` once closed and drained. ``limit``: at most that many
        of the events offered (every type counted, as capacity counts them) are taken; the rest
        of a longer batch stays at the head."""
        while True:
            while not self._batches:
                if self.closed:
                    return []
                self._not_empty.clear()
                await self._not_empty.wait()
            events = self._take(limit)
            if events:
                return events

    def get_nowait(self) -> list[Event] | None:
        while self._batches:
            events = self._take()
            if events:
                return events
        return None

    def _take(self, limit: int | None = None) -> list[Event]:
        batch = self._batches[0]
        if limit is not None and len(batch) > limit:
            self._batches[0] = batch[limit:]
            batch = batch[:limit]
        else:
            self._batches.popleft()
        self._size -= len(batch)
        self.consumed += len(batch)
        if self._size + 1 <= self.capacity:
            self._space.set()
        if not isinstance(batch, list):
            self.lag_s = max(0.0, (now_ns() - batch.ts_recv) / NS_PER_S)
            return batch.events(self.types)  # made here, in the consumer's task
        self.lag_s = max(0.0, (now_ns() - batch[-1].ts_recv) / NS_PER_S)
        if self.types is None:
            return batch
        return list(compress(batch, map(self.types.__contains__, map(type, batch))))

    def close(self) -> None:
        """Wake everyone; ``get`` drains what is left, then returns ``[]``."""
        self.closed = True
        self._not_empty.set()
        self._space.set()

    def stats(self) -> dict[str, float | int | str]:
        return {
            "name": self.name,
            "policy": self.policy,
            "capacity": self.capacity,
            "depth": self._size,
            "published": self.published,
            "consumed": self.consumed,
            "dropped": self.dropped,
            "lag_s": round(self.lag_s, 6),
        }
