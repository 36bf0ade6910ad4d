"""The shared REST client against a local HTTP server: Retry-After, rate limits, errors, leaks."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

import msgspec
import pytest
from pytest_httpserver import HTTPServer
from tests.support.clock import FakeTime

from mdc.providers.base import CredentialsError, ProviderError
from mdc.providers.ratelimit import RateLimiter
from mdc.providers.rest import RestClient, RestSettings

FAST = RestSettings(max_attempts=3, backoff_base_s=0.001, backoff_max_s=0.005, timeout_s=0.5)


def with_client(
    settings: RestSettings,
    body: Callable[[RestClient], Awaitable[Any]],
    *,
    sleep: Callable[[float], Awaitable[None]] | None = None,
    limiter: RateLimiter | None = None,
    credential_env: tuple[str, ...] = (),
) -> tuple[Any, RestClient]:
    async def go() -> tuple[Any, RestClient]:
        kwargs: dict[str, Any] = {"credential_env": credential_env}
        if sleep is not None:
            kwargs["sleep"] = sleep
        client = RestClient("demo", settings, limiter or RateLimiter(), **kwargs)
        try:
            return await body(client), client
        finally:
            await client.aclose()

    return asyncio.run(go())


def test_retry_after_seconds_is_waited_out(server: HTTPServer) -> None:
    server.expect_ordered_request("/x").respond_with_data(
        "wait", status=429, headers={"Retry-After": "1"}
    )
    server.expect_ordered_request("/x").respond_with_data("ok")
    time = FakeTime()
    response, client = with_client(FAST, lambda c: c.get(server.url_for("/x")), sleep=time.sleep)
    assert response.text == "ok"
    assert time.sleeps == [1.0]
    assert client.stats.last_retry_after_s == 1.0
    assert client.stats.retry_waited_s == 1.0


def test_retry_after_http_date_on_503(server: HTTPServer) -> None:
    sent = int(datetime.now(UTC).timestamp())
    until = sent + 30
    later = format_datetime(datetime.fromtimestamp(until, UTC), usegmt=True)
    server.expect_ordered_request("/x").respond_with_data(
        "maintenance", status=503, headers={"Retry-After": later}
    )
    server.expect_ordered_request("/x").respond_with_data("ok")
    slept: list[float] = []

    async def record(seconds: float) -> None:
        slept.append(seconds)

    response, _ = with_client(FAST, lambda c: c.get(server.url_for("/x")), sleep=record)
    done = datetime.now(UTC).timestamp()
    assert response.text == "ok"
    # The wait is the date minus the moment the answer came: between the start and end of
    # this test, however slow the machine is.
    assert len(slept) == 1 and until - done <= slept[0] <= until - sent


def test_backoff_grows_and_is_jittered(server: HTTPServer) -> None:
    server.expect_request("/x").respond_with_data("down", status=500)
    slept: list[float] = []

    async def record(seconds: float) -> None:
        slept.append(seconds)

    settings = RestSettings(max_attempts=4, backoff_base_s=1.0, backoff_max_s=3.0)
    with pytest.raises(ProviderError, match=r"demo: HTTP 500: down after 4 attempts"):
        with_client(settings, lambda c: c.get(server.url_for("/x")), sleep=record)
    assert len(slept) == 3
    assert 0.5 <= slept[0] <= 1.0 and 1.0 <= slept[1] <= 2.0 and 1.5 <= slept[2] <= 3.0


def test_rate_limit_spaces_requests(server: HTTPServer) -> None:
    server.expect_request("/x").respond_with_data("ok")
    time = FakeTime()  # the limiter's clock: real requests take no time on it
    limiter = RateLimiter(time.clock, time.sleep)
    settings = msgspec.structs.replace(FAST, rate_limits={"all": "2/1s"})

    async def many(client: RestClient) -> None:
        for _ in range(5):
            await client.get(server.url_for("/x"), endpoint="bars")

    with_client(settings, many, limiter=limiter)
    # A burst of 2, then three more at 0.5 s each.
    assert time.sleeps == [pytest.approx(0.5)] * 3
    stats = limiter.stats()[("demo", "bars")]
    assert (stats.acquired, stats.waits) == (5, 3)
    assert stats.waited_s == pytest.approx(1.5)


def test_connection_refused_is_retried_then_reported() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/x?apikey=SECRET1"
    with pytest.raises(ProviderError, match=r"after 3 attempts") as info:
        with_client(FAST, lambda c: c.get(url))
    message = str(info.value)
    assert message.startswith(f"demo: cannot reach http://127.0.0.1:{port} (ConnectError")
    assert message.endswith(
        ": check the network, proxy or firewall, or point providers.demo at a reachable host"
    )
    assert "\n" not in message
    assert "SECRET1" not in str(info.value)
    assert "apikey=****" in str(info.value)


def test_client_error_is_not_retried_and_quotes_the_provider(server: HTTPServer) -> None:
    server.expect_request("/x").respond_with_json(
        {"status": "ERROR", "message": "limit must be <= 50000"}, status=400
    )
    with pytest.raises(ProviderError, match=r"HTTP 400 from .*/x: limit must be <= 50000"):
        with_client(FAST, lambda c: c.get(server.url_for("/x")))
    assert len(server.log) == 1


def test_forbidden_without_credentials_env(server: HTTPServer) -> None:
    server.expect_request("/x").respond_with_data("Forbidden", status=403)
    with pytest.raises(CredentialsError) as info:
        with_client(FAST, lambda c: c.get(server.url_for("/x")))
    assert str(info.value) == (
        "demo: HTTP 403: rejected the credentials or the plan does not include this data: Forbidden"
    )


def test_secrets_never_reach_logs_or_errors(
    server: HTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    server.expect_request("/x").respond_with_data("key TOPSECRET is bad", status=401)
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.INFO, logger="httpx")  # the app's logging setup quiets it

    async def go(client: RestClient) -> None:
        client.add_secret("TOPSECRET")
        await client.get(server.url_for("/x"), {"apiKey": "TOPSECRET", "limit": 5})

    with pytest.raises(CredentialsError) as info:
        with_client(FAST, go, credential_env=("DEMO_KEY",))
    assert "TOPSECRET" not in str(info.value)
    assert "check DEMO_KEY" in str(info.value)
    # Everything the client side logged (the test server's own werkzeug log is not ours).
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name != "werkzeug")
    assert "HTTP Request" in logged  # httpx's own line is there …
    assert "TOPSECRET" not in logged  # … with the key masked
    assert "apiKey=****" in logged


def test_malformed_json_names_the_url_and_shows_the_start(server: HTTPServer) -> None:
    server.expect_request("/x").respond_with_data("<!doctype html><p>oops</p>")

    async def go(client: RestClient) -> Any:
        response = await client.get(server.url_for("/x"), {"token": "T0K"})
        return client.decode(response, dict[str, int], "price list")

    with pytest.raises(ProviderError) as info:
        with_client(FAST, go)
    message = str(info.value)
    assert message.startswith("demo: malformed price list from http://127.0.0.1:")
    assert "/x?token=**** (HTTP 200)" in message
    assert "body starts '<!doctype html><p>oops</p>'" in message
