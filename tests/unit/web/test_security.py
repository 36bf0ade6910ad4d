"""Bind rules and secret redaction."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from mdc.config import load_config
from mdc.config.load import ConfigError
from mdc.web.app import create_app
from mdc.web.responses import Redactor, secrets_of
from mdc.web.security import (
    BindError,
    check_bind,
    is_loopback,
    reads_need_key,
    stream_token,
    stream_token_valid,
)


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.3.2.1", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.10", False),
        ("example.org", False),
    ],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_non_loopback_bind_needs_a_key() -> None:
    check_bind("127.0.0.1", None)
    check_bind("0.0.0.0", "secret-key")
    with pytest.raises(BindError) as err:
        check_bind("0.0.0.0", None)
    assert str(err.value) == (
        "refusing to serve HTTP on 0.0.0.0: a non-loopback bind needs an API key (it then "
        "guards every route but /live, /ready and /health); set MDC_API_KEY "
        "(or http.api_key), or bind 127.0.0.1"
    )


@pytest.mark.parametrize(
    ("env", "guarded"),
    [
        ({}, False),  # loopback, no key: the dashboard just works
        ({"MDC_API_KEY": "k-123456"}, False),  # loopback with a key: only mutating routes
        ({"MDC_API_KEY": "k-123456", "MDC_HTTP__REQUIRE_KEY_FOR_READS": "true"}, True),
        ({"MDC_API_KEY": "k-123456", "MDC_HTTP__HOST": "0.0.0.0"}, True),
        ({"MDC_API_KEY": "k-123456", "MDC_HTTP__HOST": "192.168.1.10"}, True),
        ({"MDC_API_KEY": "k-123456", "MDC_HTTP__HOST": "::1"}, False),
    ],
)
def test_which_binds_guard_reads(env: dict[str, str], guarded: bool) -> None:
    assert reads_need_key(load_config(env=env).http) is guarded


def test_forcing_guarded_reads_without_a_key_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="require_key_for_reads needs a key: set MDC_API_KEY"):
        load_config(env={"MDC_HTTP__REQUIRE_KEY_FOR_READS": "true"})


def test_stream_tokens_expire_and_are_bound_to_the_key() -> None:
    token = stream_token("key-one", now=1_000.5)
    assert token.startswith("1060.")
    assert stream_token_valid("key-one", token, now=1_060)
    assert not stream_token_valid("key-one", token, now=1_060.01)  # expired
    assert not stream_token_valid("key-two", token, now=1_001)  # another server's key
    assert not stream_token_valid("key-one", "9" * 12 + token[4:], now=1_001)  # expiry changed
    assert not stream_token_valid("key-one", "garbage", now=1_001)


def test_redactor_masks_raw_and_json_escaped_secrets() -> None:
    redact = Redactor(['s3cr"et', "abc"])  # "abc" is too short to be treated as a secret
    body = redact.encode({"error": 'token s3cr"et in url', "other": "abc"})
    assert body == b'{"error":"token **** in url","other":"abc"}'
    assert redact(b'raw s3cr"et') == b"raw ****"


def test_secrets_of_config_and_env() -> None:
    config = load_config(env={"MDC_API_KEY": "key-one", "MDC_PROVIDERS__X__API_TOKEN": "token-two"})
    found = secrets_of(config, env={"MDC_API_KEY": "key-one"})
    assert set(found) == {"key-one", "token-two"}


@pytest.mark.parametrize(
    ("env", "metrics", "status"),
    [
        ({"MDC_HTTP__HOST": "0.0.0.0"}, 401, 401),  # the bind alone guards reads
        ({"MDC_HTTP__HOST": "0.0.0.0", "MDC_HTTP__OPEN_METRICS": "true"}, 200, 401),
        ({}, 200, 200),  # loopback with a key: reads stay open, as documented
    ],
)
def test_the_app_applies_the_bind_rule(
    tmp_path: Path, env: dict[str, str], metrics: int, status: int
) -> None:
    config = load_config(env={"MDC_STORAGE__ROOT": str(tmp_path), "MDC_API_KEY": "k-123456"} | env)
    with TestClient(create_app(config)) as client:
        assert client.get("/metrics").status_code == metrics
        assert client.get("/status").status_code == status
        assert client.get("/api/storage/tree").status_code == status
        assert client.get("/health").status_code == 200
        assert client.get("/status", headers={"X-API-Key": "k-123456"}).status_code == 200
