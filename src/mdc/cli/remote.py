"""Asking a running collector (``mdc collect``) over its HTTP API, for commands that show live
state. The URL defaults to the config's ``[http]`` bind, the API key to ``MDC_API_KEY`` (sent
as ``X-API-Key``, never printed)."""

from __future__ import annotations

from typing import Annotated, Any, Final

import httpx
import typer

from mdc.config import Config
from mdc.web.security import HEADER

TIMEOUT_S: Final = 3.0
ANY_ADDRESS: Final = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}
"""A server bound to every address is reached on loopback."""

UrlOption = Annotated[
    str | None,
    typer.Option(
        "--url",
        metavar="URL",
        help="HTTP API of the running collector. Default: http://HOST:PORT from [http] "
        "(MDC_HTTP__HOST, MDC_HTTP__PORT); the API key comes from MDC_API_KEY.",
        show_default=False,
    ),
]


class CollectorUnavailable(Exception):
    """No collector answered, or it refused: the message says which and what to do."""


def collector_url(config: Config, url: str | None) -> str:
    if url:
        return url.rstrip("/")
    host = ANY_ADDRESS.get(config.http.host, config.http.host)
    host = f"[{host}]" if ":" in host else host
    return f"http://{host}:{config.http.port}"


def get_json(base: str, path: str, config: Config) -> Any:
    """``GET base+path`` as JSON, or :class:`CollectorUnavailable` naming the fix."""
    return call_json("GET", base, path, config)


def call_json(method: str, base: str, path: str, config: Config, timeout: float = TIMEOUT_S) -> Any:
    """``method base+path`` as JSON; a refusal's ``detail`` (FastAPI errors) is the message."""
    headers = {HEADER: config.http.api_key} if config.http.api_key else {}
    try:
        res = httpx.request(method, f"{base}{path}", headers=headers, timeout=timeout)
    except httpx.TransportError as exc:
        raise CollectorUnavailable(
            f"no collector answers at {base} ({exc or type(exc).__name__}); start `mdc collect` "
            "or pass --url"
        ) from None
    if res.status_code in (401, 403):
        raise CollectorUnavailable(
            f"the collector at {base} refused the request ({res.status_code}): "
            "set MDC_API_KEY to its API key"
        )
    if res.status_code != 200:
        try:
            detail = str(res.json()["detail"])
        except (ValueError, KeyError, TypeError):
            detail = res.text[:200]
        raise CollectorUnavailable(f"the collector at {base} answered {res.status_code}: {detail}")
    try:
        return res.json()
    except ValueError:
        raise CollectorUnavailable(f"{base} is not an mdc collector (no JSON at {path})") from None
