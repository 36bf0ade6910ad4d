"""``/docs`` (Swagger UI) and ``/favicon.ico`` served from this package, never from a CDN.

FastAPI's default ``/docs`` page loads Swagger UI's script and stylesheet from a CDN, so it is a
blank page on a machine without internet access — where a collector often runs. The assets
come from the ``fastapi-swagger`` package instead (pinned in pyproject.toml; only its files
are used, not its app patching) and are served under ``/docs/assets``. It ships Swagger UI 5,
which reads the OpenAPI 3.1 document FastAPI writes (``swagger-ui-bundle``'s Swagger UI 4
refused it: "does not specify a valid version field"). ReDoc (``/redoc``) has no packaged
copy, so it is switched off.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Final

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles

DOCS_URL: Final = "/docs"
ASSETS_URL: Final = "/docs/assets"
OAUTH2_REDIRECT_URL: Final = "/docs/oauth2-redirect"
FAVICON: Final = Path(__file__).parent / "static" / "favicon.ico"
SWAGGER_UI: Final = Path(str(resources.files("fastapi_swagger") / "resources"))
"""swagger-ui-bundle.js and swagger-ui.css, as released by Swagger UI."""


def add_docs(app: FastAPI) -> None:
    """Routes for the API docs page, its assets and the site icon (created with
    ``docs_url=None, redoc_url=None`` so FastAPI's CDN pages are not registered)."""
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get(DOCS_URL, include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} — API",
            swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url="/favicon.ico",
            oauth2_redirect_url=OAUTH2_REDIRECT_URL,
        )

    @app.get(OAUTH2_REDIRECT_URL, include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon() -> FileResponse:
        return FileResponse(FAVICON, media_type="image/x-icon")

    app.mount(ASSETS_URL, StaticFiles(directory=SWAGGER_UI), name="docs-assets")
