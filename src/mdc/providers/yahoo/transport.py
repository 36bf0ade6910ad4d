"""An httpx transport that sends each request through curl_cffi with a browser's TLS fingerprint.

Yahoo answers plain HTTP clients (Python's TLS handshake, no HTTP/2) with 429; curl_cffi
(https://github.com/lexiforest/curl_cffi, the ``mdc[yahoo]`` extra, as yfinance uses it:
``yfinance/_http.py``, ``Session(impersonate="chrome")``, read 2026-12-02) makes the TLS and
HTTP/2 handshake look like the named browser's and sends that browser's default headers. httpx
keeps doing everything else (cookies, redirects, timeouts, the rest of ``RestClient``), so this
only moves bytes: curl follows no redirects and keeps no cookies of its own, and the headers
httpx adds on its own (``User-Agent``, ``Accept*``) are left to the browser profile.
"""

from __future__ import annotations

from typing import Final

import httpx
from curl_cffi import CurlError
from curl_cffi.requests import AsyncSession, Response
from curl_cffi.requests.exceptions import Timeout

BROWSER_HEADERS: Final = frozenset({"user-agent", "accept", "accept-encoding"})
"""Headers the impersonated browser sets itself (a mismatch would give the client away)."""
DECODED_HEADERS: Final = frozenset({"content-encoding", "content-length", "transfer-encoding"})
"""Headers that no longer describe the body curl hands back (already decompressed)."""


class CurlCffiTransport(httpx.AsyncBaseTransport):
    def __init__(self, impersonate: str, timeout_s: float) -> None:
        self._session: AsyncSession[Response] = AsyncSession(
            impersonate=impersonate,
            timeout=timeout_s,
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        headers = [
            (name, value)
            for name, value in request.headers.multi_items()
            if name.lower() not in BROWSER_HEADERS
        ]
        body = await request.aread()
        try:
            answer = await self._session.request(
                request.method,  # type: ignore[arg-type]
                str(request.url),
                headers=headers,
                data=body or None,
                allow_redirects=False,
                discard_cookies=True,
            )
        except Timeout as exc:
            raise httpx.ReadTimeout(str(exc), request=request) from None
        except CurlError as exc:
            raise httpx.ConnectError(str(exc), request=request) from None
        kept = [
            (name, value)
            for name, value in answer.headers.multi_items()
            if value is not None and name.lower() not in DECODED_HEADERS
        ]
        return httpx.Response(
            answer.status_code, headers=kept, content=answer.content, request=request
        )

    async def aclose(self) -> None:
        await self._session.close()
