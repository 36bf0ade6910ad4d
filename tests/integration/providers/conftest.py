"""Shared pieces of the historical-provider tests: a local HTTP server and small helpers.

Every test runs the real provider code (httpx, retries, rate limiter, parser) against a
pytest-httpserver instance on 127.0.0.1 that answers in the provider's documented format.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Final, TypeVar

import msgspec
import pytest
from pytest_httpserver import HTTPServer

from mdc.config.schema import Config
from mdc.domain.events import Event
from mdc.providers.base import HistoricalProvider

FAST_REST: Final[dict[str, Any]] = {
    "timeout_s": 0.5,
    "max_attempts": 3,
    "backoff_base_s": 0.001,
    "backoff_max_s": 0.005,
    "max_retry_after_s": 5.0,
    "rate_limits": {},
}
"""Retry settings that keep a test's sleeps in the milliseconds."""

E = TypeVar("E", bound=Event)


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


class Helpers:
    """The helpers above as one fixture (test modules do not import conftest)."""

    def __init__(self, fixtures: Path) -> None:
        self.fixtures = fixtures

    def fixture_text(self, relative: str) -> str:
        """A file from ../shared/fixtures, read verbatim."""
        return (self.fixtures / relative).read_text(encoding="utf-8")

    fast_rest = FAST_REST
    config_for = staticmethod(config_for)
    fetch = staticmethod(fetch)
    flat = staticmethod(flat)
    no_recv = staticmethod(no_recv)


@pytest.fixture
def hp(fixtures_dir: Path) -> Helpers:
    return Helpers(fixtures_dir)
