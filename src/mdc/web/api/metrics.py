"""Prometheus exposition of the collector's figures."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from mdc.monitoring.metrics import CONTENT_TYPE, render
from mdc.web.state import WebState, get_web

router = APIRouter(tags=["monitoring"])


@router.get(
    "/metrics",
    summary="Prometheus metrics (text exposition format)",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE: {}}}},
)
async def metrics(web: Annotated[WebState, Depends(get_web)]) -> Response:
    return Response(web.redactor(render(web.registry)), media_type=CONTENT_TYPE)
