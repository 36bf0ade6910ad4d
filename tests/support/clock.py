"""Virtual time for code that takes a ``clock`` and a ``sleep``: waits are exact and instant."""

from __future__ import annotations

import asyncio


class FakeTime:
    """A monotonic clock that moves only when the code under test sleeps.

    ``sleep`` advances the time by what was asked and yields to the event loop once, so other
    tasks (a test acting "at 0.2 s") run in between. ``read_cost_s`` makes every reading of the
    clock take that long, modelling work that costs time (a generator that cannot keep up).
    One task should sleep on it: two sleepers would add their sleeps up.
    """

    def __init__(self, read_cost_s: float = 0.0) -> None:
        self.now = 0.0
        self.read_cost_s = read_cost_s
        self.sleeps: list[float] = []

    def clock(self) -> float:
        self.now += self.read_cost_s
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(0.0, seconds)
        await asyncio.sleep(0)

    async def reach(self, at: float) -> None:
        """Wait until the sleeping task has moved the time to ``at`` or beyond."""
        while self.now < at:
            await asyncio.sleep(0)

    async def elapse(self, seconds: float) -> None:
        """Wait until the sleeping task has moved the time ``seconds`` on from now."""
        await self.reach(self.now + seconds)
