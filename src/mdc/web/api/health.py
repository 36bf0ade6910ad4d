"""Liveness, readiness and the health report."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response, status

from mdc.web.state import WebState, get_web

router = APIRouter(tags=["health"])
Web = Annotated[WebState, Depends(get_web)]


@router.get("/live", summary="The process is up")
async def live() -> dict[str, str]:
    return {"status": "alive"}


@router.get("/ready", summary="Accepting data and able to store it (503 otherwise)")
async def ready(web: Web, response: Response) -> dict[str, Any]:
    ok, reason = web.health.ready()
    if not ok:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return {"ready": ok, "reason": reason}


@router.get("/health", summary="Named checks and the overall status (503 when unhealthy)")
async def health(web: Web, response: Response) -> dict[str, Any]:
    report = web.health.evaluate()
    if report.status == "unhealthy":
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return report.to_dict()
