"""The remote collector set: the live views collectors publish on core NATS (docs/scaling.md)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, status

from mdc.distributed.connect import shown
from mdc.distributed.remote import RemoteSet
from mdc.web.state import WebState, get_web

router = APIRouter(prefix="/api/remote", tags=["remote"])
Web = Annotated[WebState, Depends(get_web)]
CollectorId = Annotated[str, Path(min_length=1, max_length=64, description="A collector id.")]


def _remote(web: WebState) -> RemoteSet:
    if web.remote is None:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            detail="this server watches no remote collectors: start it with "
            "`mdc serve --live nats://HOST:4222` (or distributed.live_watch = true)",
        )
    return web.remote


@router.get("/collectors", summary="The collectors seen on the bus: status, rates, last prices")
async def collectors(web: Web) -> dict[str, Any]:
    remote = _remote(web)
    return {
        "servers": shown(remote.cfg.servers),
        **remote.stats(),
        "collectors": remote.rows(),
    }


@router.get("/collectors/{collector}", summary="One collector's newest view: symbols and tape")
async def collector(web: Web, collector: CollectorId) -> dict[str, Any]:
    found = _remote(web).get(collector)
    if found is None:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, detail=f"no live view from collector {collector!r} yet"
        )
    return found
