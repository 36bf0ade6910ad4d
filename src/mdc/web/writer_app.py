"""The HTTP side of a stream consumer (``mdc store --http-port``, ``mdc sink --http-port``):
``/metrics``, ``/status``, ``/live``. The collector's key rules: a non-loopback bind needs the
API key, and ``/metrics`` needs it where reads do unless ``http.open_metrics``."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Response

from mdc import __version__
from mdc.config.schema import Config
from mdc.monitoring.metrics import CONTENT_TYPE, render
from mdc.monitoring.writer_metrics import sink_feed_registry, writer_registry
from mdc.web.security import MetricsRoute, ReadRoute, reads_need_key


@dataclass
class WriterWeb:
    """What the security dependencies and the server read from ``app.state.web``."""

    config: Config
    api_key: str | None
    reads_need_key: bool
    closing: asyncio.Event = field(default_factory=asyncio.Event)


def create_writer_app(
    config: Config, stats: Callable[[], dict[str, Any]], kind: str = "writer"
) -> FastAPI:
    """``kind`` "writer" (``mdc store``) or "sink" (``mdc sink``): its metric families and the
    key of its figures in ``/status``."""
    registry = writer_registry(stats) if kind == "writer" else sink_feed_registry(stats)
    app = FastAPI(
        title=f"mdc stream {kind}",
        version=__version__,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.web = WriterWeb(
        config=config,
        api_key=config.http.api_key or None,
        reads_need_key=reads_need_key(config.http),
    )

    @app.get("/live")
    async def live() -> dict[str, str]:
        return {"status": "alive"}

    @app.get("/metrics", dependencies=[MetricsRoute])
    async def metrics() -> Response:
        return Response(render(registry), media_type=CONTENT_TYPE)

    @app.get("/status", dependencies=[ReadRoute])
    async def status() -> dict[str, Any]:
        return {"version": __version__, kind: stats()}

    return app
