"""Archives for gap finder tests: events written by the store, read back from its files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from tests.support.archive import write_archive

from mdc.backfill.archive import FileArchive
from mdc.domain.events import Event


@pytest.fixture
def archive_of() -> Callable[[Path, list[Event]], FileArchive]:
    def build(root: Path, events: list[Event]) -> FileArchive:
        write_archive(root, events)
        return FileArchive(root)

    return build
