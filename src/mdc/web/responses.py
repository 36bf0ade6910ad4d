"""JSON and Server-Sent-Events responses that can never carry a secret.

Every JSON body the app sends goes through :class:`Redactor`, which replaces the values of the
configured secrets (API key, provider credentials) with ``****``: a provider error message that
quotes a URL with a key in it, or a frame echoed back, cannot leak the key. Encoding is msgspec
(fast, and it handles the plain dicts and lists the runtime reports).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterable
from typing import Any, Final

import msgspec
from starlette.responses import JSONResponse, StreamingResponse

from mdc.config.load import MASK, mask
from mdc.config.schema import Config

SSE_HEADERS: Final = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
MIN_SECRET_LEN: Final = 4
"""Shorter values are not treated as secrets (replacing them would mangle ordinary text)."""


class Redactor:
    """Replaces known secret values in encoded bodies."""

    def __init__(self, secrets: Iterable[str]) -> None:
        patterns: set[bytes] = set()
        for secret in secrets:
            if len(secret) < MIN_SECRET_LEN:
                continue
            patterns.add(secret.encode())
            patterns.add(msgspec.json.encode(secret)[1:-1])  # as it appears inside JSON text
        self._patterns = sorted(patterns, key=len, reverse=True)

    def __call__(self, body: bytes) -> bytes:
        for pattern in self._patterns:
            if pattern in body:
                body = body.replace(pattern, MASK.encode())
        return body

    def encode(self, data: Any) -> bytes:
        return self(msgspec.json.encode(data, enc_hook=str))


def secrets_of(config: Config, env: dict[str, str] | None = None) -> list[str]:
    """The secret values this process knows: API key, provider credentials, masked config keys."""
    from mdc.providers.registry import all_specs

    env = dict(os.environ) if env is None else env
    found = [config.http.api_key or "", env.get("MDC_API_KEY", "")]
    for spec in all_specs().values():
        found.extend(env.get(name, "") for name in spec.credentials)
    raw = msgspec.to_builtins(config)
    found.extend(_masked_values(raw, mask(raw)))
    return [s for s in found if s]


def _masked_values(raw: Any, masked: Any) -> list[str]:
    if isinstance(raw, dict) and isinstance(masked, dict):
        out: list[str] = []
        for key, value in raw.items():
            if masked.get(key) == MASK and isinstance(value, str):
                out.append(value)
            else:
                out.extend(_masked_values(value, masked.get(key)))
        return out
    if isinstance(raw, list) and isinstance(masked, list):
        return [s for r, m in zip(raw, masked, strict=False) for s in _masked_values(r, m)]
    return []


def response_class(redactor: Redactor) -> type[JSONResponse]:
    """A JSONResponse subclass bound to ``redactor`` (FastAPI takes a class, not an instance)."""

    class RedactedJSONResponse(JSONResponse):
        def render(self, content: Any) -> bytes:
            return redactor.encode(content)

    return RedactedJSONResponse


def sse_message(redactor: Redactor, data: Any, event: str | None = None) -> bytes:
    """One Server-Sent Event with a JSON payload."""
    head = f"event: {event}\n".encode() if event else b""
    return head + b"data: " + redactor.encode(data) + b"\n\n"


class EventStream(StreamingResponse):
    """A Server-Sent-Events response: the class also marks a route as a stream (a browser's
    ``EventSource`` cannot send the key, see :mod:`mdc.web.security`)."""

    media_type = "text/event-stream"

    def __init__(self, content: AsyncIterator[bytes], status_code: int = 200) -> None:
        super().__init__(content, status_code, headers=SSE_HEADERS)
