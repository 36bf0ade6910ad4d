"""Archives for gap finder tests: events written by the store, read back from its files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from mdc.backfill.archive import FileArchive
from mdc.config.schema import StorageConfig
from mdc.domain.events import Event
from mdc.storage import open_store


@pytest.fixture
def archive_of() -> Callable[[Path, list[Event]], FileArchive]:
    def build(root: Path, events: list[Event]) -> FileArchive:
        store = open_store(StorageConfig(root=str(root)))
        try:
            store.append(events)
        finally:
            store.close()
        return FileArchive(root)

    return build
