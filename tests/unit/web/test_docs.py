"""``/docs`` works offline: Swagger UI's script and stylesheet come from this server, not a CDN."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient

from mdc.config import load_config
from mdc.web.app import create_app


def test_docs_page_and_every_asset_it_loads_are_served_locally(tmp_path: Path) -> None:
    config = load_config(overrides={"storage": {"root": str(tmp_path / "data")}})
    with TestClient(create_app(config)) as http:
        page = http.get("/docs")
        assert page.status_code == 200
        urls = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page.text)
        urls += re.findall(r"""url: ?["']([^"']+)["']""", page.text)
        assert "/docs/assets/swagger-ui-bundle.js" in urls
        assert "/docs/assets/swagger-ui.css" in urls
        assert not [u for u in urls if u.startswith(("http://", "https://", "//"))]
        for url in urls:
            response = http.get(url)
            assert response.status_code == 200, url
            assert response.content, url
        assert http.get("/redoc").status_code == 404  # no packaged ReDoc: not offered
        icon = http.get("/favicon.ico")
        assert icon.status_code == 200
        assert icon.headers["content-type"] == "image/x-icon"
