"""Replay speed: when an event is due, given the speed and a clock (injected in tests).

At speed ``s`` the event stamped ``ts`` is due ``(ts - first_ts) / s`` seconds after the first
event was sent; ``None`` (``--speed max``) means as fast as the consumer takes them. A consumer
that falls behind is never caught up by skipping: events are late, not lost.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterator
from itertools import islice
from typing import Final

from mdc.domain.events import Event

NS_PER_S: Final = 1e9
READ_CHUNK: Final = 4096
MAX_BATCH: Final = 1000
"""Events per WebSocket message at most (due events are batched; ``max`` sends full ones)."""


def parse_speed(text: str) -> float | None:
    """``max`` → None; a positive number (``1``, ``10``, ``0.5``) → that factor."""
    if text == "max":
        return None
    try:
        speed = float(text)
    except ValueError:
        speed = -1.0
    if not speed > 0:
        raise ValueError(f"speed must be a positive number or max, got {text!r}")
    return speed


class Pacer:
    def __init__(self, speed: float | None, clock: Callable[[], float] = time.monotonic) -> None:
        self.speed = speed
        self.clock = clock
        self._start: tuple[float, int] | None = None

    def delay(self, ts_event: int) -> float:
        """Seconds to wait before sending the event stamped ``ts_event`` (0 when due)."""
        if self.speed is None:
            return 0.0
        now = self.clock()
        if self._start is None:
            self._start = (now, ts_event)
            return 0.0
        wall0, ts0 = self._start
        due = wall0 + (ts_event - ts0) / NS_PER_S / self.speed
        return max(0.0, due - now)


async def in_thread(events: Iterator[Event], chunk: int = READ_CHUNK) -> AsyncIterator[Event]:
    """``events`` pulled ``chunk`` at a time in a worker thread, so file reads never block the
    event loop (which may be a running collector's)."""
    while True:
        part = await asyncio.to_thread(lambda: list(islice(events, chunk)))
        if not part:
            return
        for e in part:
            yield e


async def paced_batches(
    events: AsyncIterable[Event],
    pacer: Pacer,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    max_batch: int = MAX_BATCH,
) -> AsyncIterator[list[Event]]:
    """The events in batches of those due together (at most ``max_batch``), each batch yielded
    when due: the sending loop of every WebSocket replay."""
    batch: list[Event] = []
    async for e in events:
        wait = pacer.delay(e.ts_event)
        if wait > 0 or len(batch) >= max_batch:
            if batch:
                yield batch
                batch = []
                wait = pacer.delay(e.ts_event)  # sending took time too
            if wait > 0:
                await sleep(wait)
        batch.append(e)
    if batch:
        yield batch
