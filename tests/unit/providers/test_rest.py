"""Pure parts of the REST client: secret redaction, Retry-After parsing, credentials lookup."""

from __future__ import annotations

import pytest

from mdc.providers.base import CredentialsError
from mdc.providers.rest import parse_ratelimit_reset, parse_retry_after, redact, require_env


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "https://api.polygon.io/v2/aggs?apiKey=abc123&limit=5",
            "https://api.polygon.io/v2/aggs?apiKey=****&limit=5",
        ),
        (
            "GET https://www.alphavantage.co/query?function=X&apikey=DEMO1 failed",
            "GET https://www.alphavantage.co/query?function=X&apikey=**** failed",
        ),
        ("https://x/y?token=t0k3n", "https://x/y?token=****"),
        ("https://x/y?api_key=k&qopts.cursor_id=c", "https://x/y?api_key=****&qopts.cursor_id=c"),
        ("https://x/y?monkey=banana&key=s3cr3t#frag", "https://x/y?monkey=banana&key=****#frag"),
        ("no url here", "no url here"),
    ],
)
def test_redact_secret_query_parameters(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_redact_known_secret_values_anywhere() -> None:
    assert redact("body echoed KEY123 and KEY123", ["KEY123", ""]) == "body echoed **** and ****"


def test_retry_after_seconds_and_http_date() -> None:
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after(" 0 ") == 0.0
    assert parse_retry_after("1.5") == 1.5
    now = 1_700_000_000.0  # 2023-11-14T22:13:20Z
    assert parse_retry_after("Tue, 14 Nov 2023 22:13:50 GMT", now=now) == 30.0
    assert parse_retry_after("Tue, 14 Nov 2023 22:00:00 GMT", now=now) == 0.0  # in the past
    assert parse_retry_after(None) is None
    assert parse_retry_after("") is None
    assert parse_retry_after("soon") is None
    assert parse_retry_after("-5") == 0.0


def test_require_env_names_every_missing_variable() -> None:
    env = {"A_KEY": "x", "B_SECRET": ""}
    assert require_env("p", ["A_KEY"], env) == ["x"]
    with pytest.raises(CredentialsError) as info:
        require_env("p", ["A_KEY", "B_SECRET", "C_TOKEN"], env)
    assert str(info.value) == (
        "p: missing credentials: set the environment variables B_SECRET, C_TOKEN"
    )


def test_ratelimit_reset_epoch_or_delta() -> None:
    now = 1_700_000_000.0
    assert parse_ratelimit_reset("1700000012", now=now) == 12.0
    assert parse_ratelimit_reset("1699999990", now=now) == 0.0
    assert parse_ratelimit_reset("7", now=now) == 7.0
    assert parse_ratelimit_reset(None) is None
    assert parse_ratelimit_reset("later") is None
