"""The FastAPI application: routers by area, the static dashboard, health and metrics.

``create_app(config, runtime)`` serves a running collector; ``create_app(config)`` (no runtime)
serves an archive read-only (``mdc serve``): live routes then answer 409.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Final

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from prometheus_client.core import Metric
from starlette.exceptions import HTTPException as StarletteHTTPException

from mdc import __version__
from mdc.config.schema import Config
from mdc.distributed.remote import RemoteSet
from mdc.monitoring.health import HealthMonitor
from mdc.monitoring.metrics import (
    RuntimeCollector,
    alert_families,
    backfill_families,
    build_registry,
)
from mdc.web.api import (
    alerts as alerts_api,
)
from mdc.web.api import (
    backfill,
    config,
    datasets,
    export,
    health,
    imports,
    indexes,
    instruments,
    live,
    metrics,
    providers,
    quality,
    reference,
    remote,
    replay,
    status,
    storage,
    symbols,
    watchlists,
)
from mdc.web.docs import add_docs
from mdc.web.limits import BodyLimit
from mdc.web.live import LiveView
from mdc.web.responses import Redactor, response_class, secrets_of
from mdc.web.security import MetricsRoute, ReadRoute, SocketRoute, reads_need_key
from mdc.web.state import WebState

if TYPE_CHECKING:
    from mdc.backfill.service import BackfillService
    from mdc.pipeline.reload import ConfigReloader
    from mdc.pipeline.runtime import Runtime
    from mdc.quality.alerts import AlertManager

STATIC_DIR: Final = Path(__file__).parent / "static"
ROUTERS: Final = (
    health,
    alerts_api,
    status,
    metrics,
    live,
    symbols,
    instruments,
    watchlists,
    indexes,
    providers,
    storage,
    quality,
    config,
    backfill,
    imports,
    export,
    reference,
    replay,
    datasets,
    remote,
)
ACCESS: Final = {health: [], metrics: [MetricsRoute], replay: [SocketRoute]}
"""Routers with another rule than "reads need the key where the bind says so" (web/security)."""


def create_app(
    config: Config,
    runtime: Runtime | None = None,
    backfill_service: BackfillService | None = None,
    alerts: AlertManager | None = None,
    reloader: ConfigReloader | None = None,
) -> FastAPI:
    redactor = Redactor(secrets_of(config))
    json_response = response_class(redactor)
    monitor = HealthMonitor(config, runtime)
    view = LiveView.attach(runtime) if runtime is not None else None
    collector = RuntimeCollector(
        config,
        runtime,
        monitor,
        view.tallies if view else None,
        extra=lambda: _extra_families(backfill_service, alerts),
    )
    web = WebState(
        config=config,
        runtime=runtime,
        health=monitor,
        live=view,
        registry=build_registry(collector),
        redactor=redactor,
        api_key=config.http.api_key or None,
        reads_need_key=reads_need_key(config.http),
        backfill=backfill_service,
        alerts=alerts,
        reloader=reloader,
        remote=RemoteSet(config.distributed) if config.distributed.live_watch else None,
    )
    if runtime is not None:
        runtime.config_listeners.append(web.reconfigure)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        web.start()
        try:
            yield
        finally:
            await web.stop()

    app = FastAPI(
        title="Market Data Collector",
        version=__version__,
        description="Live status, data, subscriptions, archive and health of an mdc collector.",
        default_response_class=json_response,
        lifespan=lifespan,
        docs_url=None,  # served from this package by add_docs (FastAPI's page needs a CDN)
        redoc_url=None,
    )
    app.state.web = web
    app.add_middleware(BodyLimit, max_bytes=config.http.max_body_bytes)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        return json_response(
            {"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers
        )

    async def validation_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        errors = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in exc.errors()
        ]
        return json_response({"detail": errors}, status_code=422)

    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    for module in ROUTERS:
        app.include_router(module.router, dependencies=ACCESS.get(module, [ReadRoute]))

    @app.get("/", include_in_schema=False)
    async def index() -> RedirectResponse:
        return RedirectResponse("/ui/")

    add_docs(app)
    app.mount("/ui", StaticFiles(directory=STATIC_DIR, html=True), name="ui")
    return app


def _extra_families(
    backfill_service: BackfillService | None, alerts: AlertManager | None
) -> Iterator[Metric]:
    if backfill_service is not None:
        yield from backfill_families(backfill_service)
    if alerts is not None:
        yield from alert_families(alerts)
