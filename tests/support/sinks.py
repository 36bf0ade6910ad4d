"""A StreamSink that drops everything, for tests that look at a provider, not at its output."""

from __future__ import annotations

from mdc.domain.events import Event


class NullSink:
    async def publish(self, events: list[Event]) -> None:
        pass

    def raw(self, provider: str, ts_recv: int, data: bytes | str) -> None:
        pass

    def bad_frame(self, provider: str, ts_recv: int, data: bytes | str, error: str) -> None:
        pass
