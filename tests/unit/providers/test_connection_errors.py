"""What a failed connection says: the cause a person can act on (no DNS, nothing listening,
TLS in the way), at WARNING for the first attempts and at ERROR once it keeps failing."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Sequence

import pytest

from mdc.config.schema import SymbolConfig
from mdc.domain.events import Event
from mdc.providers.base import ProviderError
from mdc.providers.connection import (
    ERROR_AFTER_FAILURES,
    Frame,
    StreamOptions,
    StreamSession,
    WireProtocol,
)
from tests.support.sinks import NullSink

RETRIES = 4
OPTIONS = StreamOptions(
    reconnect_initial_s=0.01,
    reconnect_max_s=0.02,
    max_retries=RETRIES,
    connect_timeout_s=5.0,
    stale_market_hours_only=False,
)


class Nothing(WireProtocol):
    """A protocol that never gets as far as a frame: only the URL matters here."""

    provider = "probe"

    def __init__(self, url: str) -> None:
        self._url = url

    def url(self) -> str:
        return self._url

    def subscribe_messages(self, symbols: Sequence[SymbolConfig]) -> list[Frame]:
        return []

    def unsubscribe_messages(self, symbols: Sequence[SymbolConfig]) -> list[Frame]:
        return []

    def parse(self, frame: Frame, ts_recv: int) -> list[Event]:
        return []


def fail_to_connect(url: str, caplog: pytest.LogCaptureFixture) -> tuple[StreamSession, str]:
    session = StreamSession(Nothing(url), NullSink(), OPTIONS, stale_after_s=30)
    with (
        caplog.at_level(logging.WARNING, logger="mdc.providers.connection"),
        pytest.raises(ProviderError) as exc,
    ):
        asyncio.run(session.run([SymbolConfig(symbol="BTC-USD")]))
    return session, str(exc.value)


def reconnect_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if "reconnecting in" in r.getMessage()]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port  # closed again: nothing listens there


def test_an_unresolvable_host_says_check_the_network_then_turns_to_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    session, fatal = fail_to_connect("ws://nonexistent.invalid/", caplog)
    cause = "cannot resolve nonexistent.invalid — check the network/DNS/proxy"
    records = reconnect_records(caplog)
    assert len(records) == RETRIES
    assert all(r.getMessage().startswith(f"probe: {cause}") for r in records)
    levels = [r.levelno for r in records]
    warn = ERROR_AFTER_FAILURES - 1
    assert levels == [logging.WARNING] * warn + [logging.ERROR] * (RETRIES - warn)
    assert "(3 failed attempts in a row)" in records[2].getMessage()
    assert session.state.state == "failed"
    assert f"giving up after {RETRIES} reconnect attempt(s); last error: {cause}" in fatal


def test_a_closed_port_says_connection_refused(caplog: pytest.LogCaptureFixture) -> None:
    port = closed_port()
    _, fatal = fail_to_connect(f"ws://127.0.0.1:{port}/", caplog)
    expected = f"connection refused by 127.0.0.1:{port} — is the URL right and the server up?"
    assert fatal.endswith(f"last error: {expected}")
    assert reconnect_records(caplog)[0].getMessage().startswith(f"probe: {expected}")


def test_tls_to_a_plain_server_says_the_handshake_failed(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """``wss://`` to a server that answers in plain text (a proxy or a wrong port)."""

    async def scenario() -> str:
        async def plain(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
            await writer.drain()
            writer.close()

        server = await asyncio.start_server(plain, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        async with server:
            session = StreamSession(
                Nothing(f"wss://127.0.0.1:{port}/"), NullSink(), OPTIONS, stale_after_s=30
            )
            with pytest.raises(ProviderError) as exc:
                await session.run([SymbolConfig(symbol="BTC-USD")])
        return str(exc.value)

    with caplog.at_level(logging.WARNING, logger="mdc.providers.connection"):
        fatal = asyncio.run(scenario())
    cause = fatal.split("last error: ", 1)[1]
    assert cause.startswith("TLS handshake with 127.0.0.1 failed (")
    assert cause.endswith(") — check the proxy")
