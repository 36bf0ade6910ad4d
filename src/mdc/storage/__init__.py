"""Storage: the WAL, archive writers and the archive read API."""

from __future__ import annotations

from mdc.config.schema import StorageConfig
from mdc.storage.base import EventStore
from mdc.storage.plain import PlainJsonlStore


def open_store(config: StorageConfig) -> EventStore:
    return PlainJsonlStore(config.root)
