"""``/status`` and its 1 Hz Server-Sent-Events stream."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Request

from mdc import __version__
from mdc.web.responses import EventStream, sse_message
from mdc.web.security import STREAM_TOKEN_TTL_S, stream_token
from mdc.web.state import WebState, get_web

router = APIRouter(tags=["status"])
Web = Annotated[WebState, Depends(get_web)]
STATUS_INTERVAL_S: Final = 1.0


def status_payload(web: WebState) -> dict[str, Any]:
    """The runtime's status plus what the web layer knows (mode, health, throughput)."""
    report = web.health.evaluate()
    if web.runtime is not None:
        data = web.runtime.status()
    else:
        data = {
            "version": __version__,
            "uptime_s": round(time.time() - web.started, 3),
            "accepting": False,
            "providers": {},
            "symbols": {},
        }
    data["mode"] = web.mode
    data["archive_root"] = str(web.root)
    data["health"] = {
        "status": report.status,
        "alerts": [c.to_dict() for c in report.checks if c.status != "healthy"],
    }
    if web.backfill is not None:
        web.backfill.list_jobs()  # refreshes the unreadable job files
        data["backfill"] = web.backfill.skipped()
    if web.live is not None and web.live.throughput:
        ts, total, by_type = web.live.throughput[-1]
        data["throughput"] = {"ts": ts, "events_per_s": total, "by_type": by_type}
    return data


@router.get("/status", summary="Uptime, version, providers, symbols, pipeline and storage")
async def status(web: Web) -> dict[str, Any]:
    return status_payload(web)


@router.get(
    "/api/stream",
    summary="Server-Sent Events: the /status document once a second",
    response_class=EventStream,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def status_stream(web: Web, request: Request) -> EventStream:
    async def events() -> AsyncIterator[bytes]:
        yield b"retry: 2000\n\n"
        while not web.closing.is_set() and not await request.is_disconnected():
            yield sse_message(web.redactor, status_payload(web), "status")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(web.closing.wait(), STATUS_INTERVAL_S)

    return EventStream(events())


@router.get(
    "/api/stream/token",
    summary="A token for ?token= on the event streams (a browser's EventSource sends no headers)",
)
async def stream_token_for(web: Web) -> dict[str, Any]:
    token = stream_token(web.api_key, time.time()) if web.api_key else None
    return {"token": token, "expires_in_s": STREAM_TOKEN_TTL_S if token else None}
