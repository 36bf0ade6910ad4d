"""A real collector (Runtime + HTTP server) running in a background thread for tests.

The runtime, its provider, the store and uvicorn run in the thread's own event loop exactly as
under ``mdc collect``; the test talks to it over HTTP on 127.0.0.1 (port chosen by the OS) and
reaches into it only through :meth:`CollectorThread.call`, which runs a function in that loop.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any, Final, TypeVar

import msgspec
from fastapi import FastAPI

from mdc.cli.collect import attach_services
from mdc.config import Config, SymbolConfig
from mdc.domain.capabilities import Capabilities
from mdc.domain.events import Event, Gap
from mdc.domain.time import now_ns
from mdc.pipeline.reload import ConfigReloader
from mdc.pipeline.runtime import Runtime
from mdc.providers.base import ProviderSpec, StreamingProvider, StreamSink

START_TIMEOUT_S: Final = 20.0
T = TypeVar("T")


class CollectorThread:
    def __init__(
        self,
        config: Config,
        provider: Callable[[Config, StreamSink], StreamingProvider] | None = None,
        reload: Callable[[], Config] | None = None,
    ) -> None:
        """``reload`` gives the config a hot reload reads (``POST /api/config/reload``)."""
        # Port 0: the OS picks a free one; the server reports it.
        self.config = msgspec.structs.replace(
            config, http=msgspec.structs.replace(config.http, port=0)
        )
        self.provider_factory = provider
        self.reload = reload
        self.runtime: Runtime | None = None
        self.app: FastAPI | None = None
        self.port = 0
        self.loop: asyncio.AbstractEventLoop | None = None
        self.error: BaseException | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._main, name="collector", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> CollectorThread:
        self._thread.start()
        if not self._ready.wait(START_TIMEOUT_S):
            raise TimeoutError("collector did not start")
        if self.error is not None:
            raise self.error
        return self

    def _main(self) -> None:
        try:
            asyncio.run(self._run())
        except BaseException as exc:  # surfaced to the test by start()/stop()
            self.error = exc
            self._ready.set()

    async def _run(self) -> None:
        self.loop = asyncio.get_running_loop()
        runtime = Runtime(self.config)
        if self.provider_factory is not None:
            provider = self.provider_factory(self.config, runtime)
            runtime.collectors.register_provider(provider.spec.name, provider.spec.capabilities)
            runtime.providers[provider.spec.name] = provider
        reloader = ConfigReloader(runtime, self.reload) if self.reload is not None else None
        server = attach_services(runtime, reloader=reloader)
        assert server is not None
        self.app = server.config.app
        self.runtime = runtime
        self.port = server.port
        self._ready.set()
        await runtime.run()

    def call(self, fn: Callable[[], T], timeout: float = 10.0) -> T:
        """Run ``fn`` in the collector's loop (where the runtime's state lives); its result."""
        assert self.loop is not None

        async def wrapper() -> T:
            result = fn()
            if asyncio.iscoroutine(result):
                return await result  # type: ignore[no-any-return]
            return result

        return asyncio.run_coroutine_threadsafe(wrapper(), self.loop).result(timeout)

    def stop(self, timeout: float = 20.0) -> None:
        if self.loop is not None and self.runtime is not None and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self.runtime.stop)
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise TimeoutError("collector did not stop")

    def __enter__(self) -> CollectorThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


SCRIPTED_SPEC: Final = ProviderSpec(
    name="scripted",
    description="In-test feed: publishes exactly what the test tells it to",
    capabilities=Capabilities(trades=True, quotes=True, asset_classes=("synthetic",)),
    config=Config,
)


class ScriptedProvider(StreamingProvider):
    """A feed the test drives: ``push`` publishes a batch, ``connected`` flips the state."""

    spec = SCRIPTED_SPEC

    def __init__(self, config: Config, sink: StreamSink) -> None:
        super().__init__(config, sink)
        self.subscribed: list[str] = []

    async def run(self, symbols: list[SymbolConfig]) -> None:
        self.subscribed = [s.symbol for s in symbols]
        self.state.connected = True
        self.state.state = "streaming"
        await asyncio.Event().wait()

    async def push(self, events: list[Event]) -> None:
        # The same counters the streaming layer (providers/connection.py) keeps.
        self.state.messages += len(events)
        self.state.events += len(events)
        self.state.gaps += sum(1 for e in events if isinstance(e, Gap))
        if events:
            self.state.last_message_ns = events[-1].ts_recv
        await self.sink.publish(events)

    def bad(self, frame: str, error: str) -> None:
        """A frame that did not parse, reported as the streaming layer reports one."""
        self.state.bad_frames += 1
        self.sink.bad_frame(self.spec.name, now_ns(), frame, error)

    def set_connected(self, connected: bool) -> None:
        self.state.connected = connected
        self.state.state = "streaming" if connected else "reconnecting"

    async def subscribe(self, symbols: list[SymbolConfig]) -> None:
        self.subscribed += [s.symbol for s in symbols]

    async def unsubscribe(self, symbols: list[str]) -> None:
        self.subscribed = [s for s in self.subscribed if s not in symbols]


def scripted(config: Config, sink: StreamSink) -> StreamingProvider:
    return ScriptedProvider(config, sink)


def provider_of(collector: CollectorThread, name: str) -> Any:
    assert collector.runtime is not None
    return collector.runtime.providers[name]
