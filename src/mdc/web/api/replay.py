"""Replay over the HTTP server's own WebSocket: ``/api/replay?from=…&to=…`` streams the archive's
events merged by ``ts_event``, in the protocol of ``mdc replay --to-ws`` (docs/replay.md)."""

from __future__ import annotations

import msgspec
from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from mdc.domain.events import TYPES_BY_NAME, encode_json
from mdc.replay.merge import DEFAULT_TYPES, merged
from mdc.replay.pace import Pacer, in_thread, paced_batches, parse_speed
from mdc.storage.archive import open_archive, to_ns
from mdc.web.state import WebState

router = APIRouter(prefix="/api/replay", tags=["replay"])


def _list(text: str | None) -> list[str] | None:
    items = [x.strip() for x in (text or "").split(",") if x.strip()]
    return items or None


@router.websocket("")
async def replay(websocket: WebSocket) -> None:
    """Query: ``from``, ``to`` (dates or ISO instants), ``symbols``, ``types``, ``speed``."""
    web: WebState = websocket.app.state.web
    q = websocket.query_params
    await websocket.accept()
    try:
        lo, hi = to_ns(q.get("from")), to_ns(q.get("to"), end=True)
        speed = parse_speed(q.get("speed", "max"))
        if lo is None or hi is None:
            raise ValueError("from and to are required (YYYY-MM-DD or ISO instants)")
        types = _list(q.get("types")) or list(DEFAULT_TYPES)
        unknown = [t for t in types if t not in TYPES_BY_NAME]
        if unknown:
            raise ValueError(
                f"unknown types {', '.join(unknown)}; known: {', '.join(sorted(TYPES_BY_NAME))}"
            )
        archive = open_archive(web.root)
    except (ValueError, FileNotFoundError) as exc:
        await websocket.send_text(
            msgspec.json.encode({"type": "error", "detail": str(exc)}).decode()
        )
        await websocket.close(code=1008)
        return
    symbols = _list(q.get("symbols"))
    hello = {
        "type": "hello",
        "from": lo,
        "to": hi,
        "speed": speed,
        "symbols": symbols,
        "types": types,
    }
    sent = 0
    try:
        await websocket.send_text(msgspec.json.encode(hello).decode())
        events = in_thread(merged(archive, symbols, types, lo, hi))
        async for batch in paced_batches(events, Pacer(speed)):
            await websocket.send_text((b"[" + b",".join(map(encode_json, batch)) + b"]").decode())
            sent += len(batch)
        await websocket.send_text(msgspec.json.encode({"type": "end", "events": sent}).decode())
        await websocket.close()
    except WebSocketDisconnect:
        return
