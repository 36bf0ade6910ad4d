"""A real collector with the HTTP server, fed by the in-test scripted provider."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.support.collector import CollectorThread, scripted
from tests.support.feed import scripted_config


@pytest.fixture
def collector(tmp_path: Path) -> Iterator[CollectorThread]:
    with CollectorThread(scripted_config(tmp_path / "data"), scripted) as running:
        yield running


@pytest.fixture
def client(collector: CollectorThread) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=collector.url, timeout=10) as http:
        yield http
