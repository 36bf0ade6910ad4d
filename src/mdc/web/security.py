"""Who may change things: mutating routes need ``X-API-Key`` once a key is configured.

A key is mandatory for any bind that is not loopback (:func:`check_bind` refuses to start
without one); on 127.0.0.1 the dashboard works without a key unless the user set one. Keys are
compared in constant time and never echoed.
"""

from __future__ import annotations

import hmac
import ipaddress
from typing import Annotated, Final

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import APIKeyHeader

HEADER: Final = "X-API-Key"
_LOCAL_NAMES: Final = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})

api_key_header = APIKeyHeader(
    name=HEADER,
    auto_error=False,
    description="Required on mutating routes when the server has an API key (MDC_API_KEY).",
)


class BindError(ValueError):
    """The HTTP server must not start with this bind and key combination."""


def is_loopback(host: str) -> bool:
    host = host.strip("[]")
    if host.lower() in _LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_bind(host: str, api_key: str | None) -> None:
    """Refuse a non-loopback bind without an API key: anyone on the network could change us."""
    if not is_loopback(host) and not api_key:
        raise BindError(
            f"refusing to serve HTTP on {host}: a non-loopback bind needs an API key for its "
            "mutating routes; set MDC_API_KEY (or http.api_key), or bind 127.0.0.1"
        )


def require_api_key(
    request: Request, key: Annotated[str | None, Depends(api_key_header)] = None
) -> None:
    """FastAPI dependency for mutating routes."""
    expected: str | None = request.app.state.web.api_key
    if not expected:
        return
    if key is None or not hmac.compare_digest(key.encode(), expected.encode()):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail=f"this route changes the collector: send the API key in the {HEADER} header",
            headers={"WWW-Authenticate": HEADER},
        )


MutatingRoute = Depends(require_api_key)
