"""A StreamSink that keeps what it is given: the pipeline's interface, in memory."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Protocol

from mdc.config.schema import SymbolConfig
from mdc.domain.events import Event, Gap


class CollectingSink:
    def __init__(self) -> None:
        self.events: list[Event] = []
        self.raw_frames: list[tuple[str, int, bytes | str]] = []
        self.bad: list[tuple[str, bytes | str, str]] = []
        self._changed = asyncio.Event()

    async def publish(self, events: list[Event]) -> None:
        self.events.extend(events)
        self._changed.set()

    def raw(self, provider: str, ts_recv: int, data: bytes | str) -> None:
        self.raw_frames.append((provider, ts_recv, data))

    def bad_frame(self, provider: str, ts_recv: int, data: bytes | str, error: str) -> None:
        self.bad.append((provider, data, error))
        self._changed.set()

    def of(self, kind: type[Event]) -> list[Event]:
        return [e for e in self.events if isinstance(e, kind)]

    @property
    def data(self) -> list[Event]:
        """Everything but gaps."""
        return [e for e in self.events if not isinstance(e, Gap)]

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        async with asyncio.timeout(timeout):
            while not predicate():
                self._changed.clear()
                await self._changed.wait()

    async def wait_count(self, kind: type[Event], n: int, timeout: float = 5.0) -> None:
        await self.wait_for(lambda: len(self.of(kind)) >= n, timeout)


async def eventually(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    """Poll for state that changes without a sink publish (acks, counters)."""
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.01)


class _Runs(Protocol):
    async def run(self, symbols: list[SymbolConfig]) -> None: ...


@contextlib.asynccontextmanager
async def running(provider: _Runs, symbols: Sequence[SymbolConfig]) -> AsyncIterator[None]:
    """The provider streaming ``symbols`` in a task for the ``async with`` block, then
    cancelled."""
    task = asyncio.create_task(provider.run(list(symbols)))
    try:
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
