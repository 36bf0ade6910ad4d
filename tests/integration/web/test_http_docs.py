"""/docs works offline: Swagger UI's assets come from this server, not a CDN; /favicon.ico."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from mdc.config import load_config
from mdc.web.app import create_app


def test_docs_page_loads_only_local_assets(tmp_path: Path) -> None:
    config = load_config(env={"MDC_STORAGE__ROOT": str(tmp_path)})
    with TestClient(create_app(config)) as client:
        page = client.get("/docs")
        assert page.status_code == 200
        assert "https://" not in page.text  # no CDN: every script and stylesheet is ours
        assert '"/docs/assets/swagger-ui-bundle.js"' in page.text
        script = client.get("/docs/assets/swagger-ui-bundle.js")
        assert script.status_code == 200 and len(script.content) > 100_000
        assert client.get("/docs/assets/swagger-ui.css").status_code == 200
        assert client.get("/openapi.json").json()["info"]["title"] == "Market Data Collector"
        icon = client.get("/favicon.ico")
        assert icon.status_code == 200 and icon.headers["content-type"] == "image/x-icon"
        assert icon.content[:4] == b"\x00\x00\x01\x00"
        assert client.get("/redoc").status_code == 404
