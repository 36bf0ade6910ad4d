"""Shared pieces of the provider tests.

Streaming tests see only the providers under test in the registry. Historical tests run the real
provider code (httpx, retries, rate limiter, parser) against a pytest-httpserver instance on
127.0.0.1 that answers in the provider's documented format, with small helpers below.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any, Final, TypeVar

import msgspec
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from mdc.config.schema import Config
from mdc.domain.events import Event
from mdc.providers import registry
from mdc.providers.base import HistoricalProvider

FAST_REST: Final[dict[str, Any]] = {
    "timeout_s": 2.0,  # the "timeout" scenario's wait; loopback under a loaded CI needs this much
    "max_attempts": 3,
    "backoff_base_s": 0.001,
    "backoff_max_s": 0.005,
    "max_retry_after_s": 5.0,
    "rate_limits": {},
}
"""Retry settings that keep a test's sleeps in the milliseconds."""

E = TypeVar("E", bound=Event)


class _InFlight:
    """Slow handlers still sleeping after their client gave up; the next test waits for them so
    their late log entries do not land in its ``server.log``."""

    def __init__(self) -> None:
        self._count = 0
        self._done = threading.Condition()

    def __enter__(self) -> None:
        with self._done:
            self._count += 1

    def __exit__(self, *exc_info: object) -> None:
        with self._done:
            self._count -= 1
            self._done.notify_all()

    def wait(self, timeout: float = 5.0) -> None:
        with self._done:
            self._done.wait_for(lambda: self._count == 0, timeout)


IN_FLIGHT: Final = _InFlight()


@pytest.fixture
def registry_of_streaming_providers(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(registry, "BUILTIN", ("simulated", "alpaca", "polygon"))
    registry.all_specs.cache_clear()
    yield
    registry.all_specs.cache_clear()


@pytest.fixture(scope="session")
def _http_server() -> Iterator[HTTPServer]:
    """One threaded HTTP server on 127.0.0.1 (OS-chosen port) for the whole session: stopping
    werkzeug takes half a second, so tests share it and reset it instead."""
    srv = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    srv.no_handler_status_code = 418  # an unexpected request fails loudly and is not retried
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture
def server(_http_server: HTTPServer) -> Iterator[HTTPServer]:
    """The shared server with no handlers and an empty request log."""
    IN_FLIGHT.wait()
    _http_server.clear()
    try:
        yield _http_server
    finally:
        _http_server.clear()


def config_for(name: str, section: dict[str, Any]) -> Config:
    """A Config whose ``[providers.<name>]`` is ``section`` with fast retry settings merged in."""
    rest = {**FAST_REST, **section.pop("rest", {})}
    return Config(providers={name: {**section, "rest": rest}})


def fetch(
    cls: type[HistoricalProvider],
    config: Config,
    method: str,
    *args: Any,
    **kwargs: Any,
) -> tuple[list[list[Any]], HistoricalProvider]:
    """Build the provider inside a fresh event loop, drain ``method(*args)``, close it.

    Returns the pages and the (closed) provider, whose ``client.stats`` tests may inspect.
    """

    async def go() -> tuple[list[list[Any]], HistoricalProvider]:
        provider = cls(config)
        try:
            pages = [page async for page in getattr(provider, method)(*args, **kwargs)]
        finally:
            await provider.aclose()
        return pages, provider

    return asyncio.run(go())


def flat(pages: Sequence[Sequence[E]]) -> list[E]:
    return [e for page in pages for e in page]


def no_recv(events: Sequence[E]) -> list[E]:
    """The events with ``ts_recv`` zeroed (the only field a test cannot predict)."""
    assert all(e.ts_recv > 0 for e in events)
    return [msgspec.structs.replace(e, ts_recv=0) for e in events]


TRANSIENT: Final = ("429", "429-retry-after", "503-retry-after-date", "500", "timeout")
"""Failures every provider must ride out with one retry (see ``Helpers.fail_once``)."""


def fail_once(server: HTTPServer, path: str, scenario: str, ok: Response) -> None:
    """Answer ``path`` first with the ``scenario`` failure, then with ``ok``."""
    first = server.expect_ordered_request(path)
    if scenario == "429":
        first.respond_with_data("Too Many Requests", status=429)
    elif scenario == "429-retry-after":
        first.respond_with_data("Too Many Requests", status=429, headers={"Retry-After": "0"})
    elif scenario == "503-retry-after-date":
        past = format_datetime(datetime.now(UTC) - timedelta(seconds=5), usegmt=True)
        first.respond_with_data("busy", status=503, headers={"Retry-After": past})
    elif scenario == "500":
        first.respond_with_data("Internal Server Error", status=500)
    elif scenario == "timeout":

        def slow(_: Request) -> Response:
            with IN_FLIGHT:
                time.sleep(FAST_REST["timeout_s"] + 0.2)
            return ok

        first.respond_with_handler(slow)
    else:
        raise ValueError(scenario)
    server.expect_ordered_request(path).respond_with_response(ok)


class Helpers:
    """The helpers above as one fixture (test modules do not import conftest)."""

    def __init__(self, fixtures: Path) -> None:
        self.fixtures = fixtures

    def fixture_text(self, relative: str) -> str:
        """A file from ../shared/fixtures, read verbatim."""
        return (self.fixtures / relative).read_text(encoding="utf-8")

    fast_rest = FAST_REST
    fail_once = staticmethod(fail_once)
    config_for = staticmethod(config_for)
    fetch = staticmethod(fetch)
    flat = staticmethod(flat)
    no_recv = staticmethod(no_recv)


@pytest.fixture
def hp(fixtures_dir: Path) -> Helpers:
    return Helpers(fixtures_dir)
