"""Provider tests see only the providers under test in the registry."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mdc.providers import registry


@pytest.fixture
def registry_of_streaming_providers(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(registry, "BUILTIN", ("alpaca", "polygon"))
    registry.all_specs.cache_clear()
    yield
    registry.all_specs.cache_clear()
