"""Bind rules and secret redaction."""

from __future__ import annotations

import pytest

from mdc.config import load_config
from mdc.web.responses import Redactor, secrets_of
from mdc.web.security import BindError, check_bind, is_loopback


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
        "refusing to serve HTTP on 0.0.0.0: a non-loopback bind needs an API key for its "
        "mutating routes; set MDC_API_KEY (or http.api_key), or bind 127.0.0.1"
    )


def test_redactor_masks_raw_and_json_escaped_secrets() -> None:
    redact = Redactor(['s3cr"et', "abc"])  # "abc" is too short to be treated as a secret
    body = redact.encode({"error": 'token s3cr"et in url', "other": "abc"})
    assert body == b'{"error":"token **** in url","other":"abc"}'
    assert redact(b'raw s3cr"et') == b"raw ****"


def test_secrets_of_config_and_env() -> None:
    config = load_config(env={"MDC_API_KEY": "key-one", "MDC_PROVIDERS__X__API_TOKEN": "token-two"})
    found = secrets_of(config, env={"MDC_API_KEY": "key-one"})
    assert set(found) == {"key-one", "token-two"}
