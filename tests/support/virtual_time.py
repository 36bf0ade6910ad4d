"""An asyncio event loop whose clock is virtual, for tests of code that waits or throttles.

The loop polls its sockets without blocking; when it would sleep until the next timer, the
clock jumps there instead, so seconds of throttling or timeouts cost no wall time while real
sockets (a TWS stand-in on 127.0.0.1) still carry every byte. Each iteration also moves the
clock by ``TICK``, so a timer due "now" is past on the next one (ib_async's throttle re-checks
at exactly the time it computed).
"""

from __future__ import annotations

import asyncio
import selectors

TICK = 1e-6
"""Virtual time every loop iteration takes (so a timer due "now" is past on the next one)."""


class _VirtualSelector(selectors.DefaultSelector):
    """Polls without blocking; when the loop would sleep, moves the clock instead."""

    def __init__(self) -> None:
        super().__init__()
        self.now = 0.0

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        ready = super().select(0)
        self.now += TICK
        if ready or timeout is None or timeout <= 0:
            return ready if ready or timeout is not None else super().select(None)
        self.now += timeout
        return []


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    def __init__(self) -> None:
        self._virtual = _VirtualSelector()
        super().__init__(self._virtual)

    def time(self) -> float:
        return self._virtual.now
