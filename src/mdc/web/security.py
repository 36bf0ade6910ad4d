"""Who may read and who may change things: the API key rules of the HTTP server.

- A non-loopback bind needs a key (:func:`check_bind` refuses to start without one) and then
  *every* route needs it — reads too, since the archive, its checkpoint and the WAL listing are
  licensed data — except the probes ``/live``, ``/ready``, ``/health``, ``/metrics`` when
  ``http.open_metrics`` says so, and the static dashboard and API docs (code, not data).
- On loopback the dashboard works without a key unless the user set one; a key set there guards
  the mutating routes, and reads too with ``http.require_key_for_reads``.
- A browser's ``EventSource`` cannot send headers, so the Server-Sent-Events routes also accept a
  short-lived ``?token=`` from ``GET /api/stream/token`` (which needs the key): an HMAC of its
  expiry under the key, useless for anything but opening a stream and dead after
  :data:`STREAM_TOKEN_TTL_S`. The key itself never appears in a URL. Keys are compared in
  constant time and never echoed.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import time
from typing import Annotated, Final

from fastapi import Depends, HTTPException, Request, WebSocket, WebSocketException, status
from fastapi.routing import APIRoute
from fastapi.security import APIKeyHeader

from mdc.config.schema import HttpConfig
from mdc.web.responses import EventStream

HEADER: Final = "X-API-Key"
STREAM_TOKEN_TTL_S: Final = 60
_LOCAL_NAMES: Final = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})

api_key_header = APIKeyHeader(
    name=HEADER,
    auto_error=False,
    description="The server's API key (MDC_API_KEY): needed on mutating routes once a key is "
    "set, and on every route but the probes on a non-loopback bind.",
)
Key = Annotated[str | None, Depends(api_key_header)]


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
    """Refuse a non-loopback bind without an API key: anyone on the network could read and
    change us."""
    if not is_loopback(host) and not api_key:
        raise BindError(
            f"refusing to serve HTTP on {host}: a non-loopback bind needs an API key (it then "
            "guards every route but /live, /ready and /health); set MDC_API_KEY "
            "(or http.api_key), or bind 127.0.0.1"
        )


def reads_need_key(http: HttpConfig) -> bool:
    """Whether GETs need the key: always off loopback, on loopback when the config says so."""
    return bool(http.api_key) and (http.require_key_for_reads or not is_loopback(http.host))


def stream_token(key: str, now: float) -> str:
    """A token that opens Server-Sent-Events streams until ``now + STREAM_TOKEN_TTL_S``."""
    expires = int(now) + STREAM_TOKEN_TTL_S
    return f"{expires}.{_sign(key, expires)}"


def stream_token_valid(key: str, token: str, now: float) -> bool:
    expires, _, signature = token.partition(".")
    if not expires.isdigit() or int(expires) < now:
        return False
    return hmac.compare_digest(signature, _sign(key, int(expires)))


def _sign(key: str, expires: int) -> str:
    return hmac.new(key.encode(), f"stream:{expires}".encode(), hashlib.sha256).hexdigest()


def _key_matches(given: str | None, expected: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


def require_api_key(request: Request, key: Key = None) -> None:
    """FastAPI dependency for mutating routes."""
    expected: str | None = request.app.state.web.api_key
    if expected and not _key_matches(key, expected):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail=f"this route changes the collector: send the API key in the {HEADER} header",
            headers={"WWW-Authenticate": HEADER},
        )


def require_read_key(request: Request, key: Key = None) -> None:
    """FastAPI dependency of every data route (all routers but the probes)."""
    web = request.app.state.web
    expected: str | None = web.api_key
    if not web.reads_need_key or expected is None or _key_matches(key, expected):
        return
    token = request.query_params.get("token")
    route = request.scope.get("route")
    streams = isinstance(route, APIRoute) and route.response_class is EventStream
    if streams and token is not None and stream_token_valid(expected, token, time.time()):
        return
    raise HTTPException(
        status.HTTP_401_UNAUTHORIZED,
        detail=f"this server serves data only with its API key: send it in the {HEADER} "
        "header (dashboard: Settings → API key)"
        + ("; an event stream takes ?token= from GET /api/stream/token" if streams else ""),
        headers={"WWW-Authenticate": HEADER},
    )


def require_socket_key(websocket: WebSocket) -> None:
    """The rule of :func:`require_read_key` for a WebSocket (``/api/replay``): a browser cannot
    send headers there either, so the key header or a stream ``?token=`` opens it."""
    web = websocket.app.state.web
    expected: str | None = web.api_key
    if not web.reads_need_key or expected is None:
        return
    if _key_matches(websocket.headers.get(HEADER), expected):
        return
    token = websocket.query_params.get("token")
    if token is not None and stream_token_valid(expected, token, time.time()):
        return
    raise WebSocketException(
        status.WS_1008_POLICY_VIOLATION,
        reason=f"this server serves data only with its API key: send the {HEADER} header or "
        "?token= from GET /api/stream/token",
    )


def require_metrics_key(request: Request, key: Key = None) -> None:
    """``/metrics``: like any read, unless ``http.open_metrics`` opens it for a scraper."""
    if not request.app.state.web.config.http.open_metrics:
        require_read_key(request, key)


MutatingRoute = Depends(require_api_key)
ReadRoute = Depends(require_read_key)
MetricsRoute = Depends(require_metrics_key)
SocketRoute = Depends(require_socket_key)
