"""Archives for tests: events written through the real store, as a collector writes them."""

from __future__ import annotations

from pathlib import Path

from mdc.config.schema import StorageConfig
from mdc.domain.events import Event
from mdc.storage import open_store


def write_archive(root: Path, events: list[Event]) -> None:
    """``events`` into ``root`` through the store, as a collector would have written them."""
    store = open_store(StorageConfig(root=str(root)))
    try:
        store.append(events)
    finally:
        store.close()
