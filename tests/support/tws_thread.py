"""The wire-level TWS stand-in (:mod:`tests.support.fake_tws`) on its own event loop in a
thread, for tests whose collector runs in another thread (``CollectorThread``) or process."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

from tests.support.fake_tws import FakeTws, Listing

T = TypeVar("T")
START_TIMEOUT_S = 10.0


class TwsThread:
    def __init__(self, listings: list[Listing]) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="fake-tws", daemon=True)
        self._listings = listings
        self.tws: FakeTws | None = None

    @property
    def port(self) -> int:
        assert self.tws is not None
        return self.tws.port

    def call(self, coro: Coroutine[Any, Any, T], timeout: float = 10.0) -> T:
        """Run a coroutine (e.g. ``tws.trade(...)``) in the stand-in's loop; its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def __enter__(self) -> TwsThread:
        self._thread.start()
        self.tws = self.call(FakeTws(self._listings).start(), START_TIMEOUT_S)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.tws is not None:
            self.call(self.tws.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(START_TIMEOUT_S)
        self.loop.close()
