"""The wire-level TWS stand-in (:mod:`tests.support.fake_tws`) on its own event loop in a
thread, for tests whose collector runs in another thread (``CollectorThread``) or process;
:func:`ib_collector` runs both, the collector streaming from the stand-in."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx

from mdc.config import load_config
from tests.support.collector import CollectorThread
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


@contextlib.contextmanager
def ib_collector(root: Path, listings: list[Listing]) -> Iterator[CollectorThread]:
    """A collector (``--provider ib``, every listing subscribed) on the stand-in, yielded once
    it streams with every symbol's depth requested."""
    symbols = [x.symbol for x in listings]
    with TwsThread(listings) as tws:
        config = load_config(
            env={
                "MDC_STORAGE__ROOT": str(root),
                "MDC_PROVIDER": "ib",
                "MDC_SYMBOLS": ",".join(symbols),
                "MDC_PROVIDERS__IB__PORT": str(tws.port),
            }
        )
        with CollectorThread(config) as running:
            deadline = time.monotonic() + START_TIMEOUT_S
            while True:
                rows = httpx.get(f"{running.url}/api/providers", timeout=5).json()
                conn = next(p for p in rows if p["name"] == "ib")["connection"]
                lines = conn["details"].get("lines", {})
                if conn["state"] == "streaming" and lines.get("depth") == len(symbols):
                    break
                assert time.monotonic() < deadline, conn
                time.sleep(0.05)
            yield running
