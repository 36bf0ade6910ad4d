"""Archives for quality tests: events written by the store, read back from its files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from tests.support.archive import write_archive

from mdc.config.schema import Config, StorageConfig
from mdc.domain.events import Event


@pytest.fixture
def archive_config() -> Callable[[Path, list[Event]], Config]:
    """Write ``events`` through the store into ``root``; the config that reads it."""

    def build(root: Path, events: list[Event]) -> Config:
        write_archive(root, events)
        return Config(storage=StorageConfig(root=str(root)))

    return build
