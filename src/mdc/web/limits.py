"""Bounded request bodies: no route reads more than ``http.max_body_bytes``.

A pure ASGI middleware, so the bytes are counted as they arrive rather than after a framework
has buffered them: a declared ``Content-Length`` over the limit is refused before any of the
body is read, and a chunked body is refused as soon as the running count passes the limit (the
count is checked where the app reads, so the rest is never buffered). Either way the answer is
413 with a JSON ``detail`` naming the limit and the key that raises it.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.detail = (
            f"request body larger than {max_bytes} bytes (http.max_body_bytes): refused "
            "unread; send a smaller body or raise http.max_body_bytes"
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            refusal = JSONResponse(
                {"detail": self.detail}, status_code=413, headers={"Connection": "close"}
            )
            await refusal(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            # Raised where the app reads; FastAPI passes an HTTPException through to the
            # app's JSON error handler.
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise HTTPException(413, detail=self.detail, headers={"Connection": "close"})
            return message

        await self.app(scope, counted, send)
