"""Storage: the WAL, archive writers (JSONL, Parquet), recovery and the archive read API.

``open_store(config)`` runs crash recovery and returns the store the pipeline appends to; see
docs/durability.md for what it guarantees.
"""

from __future__ import annotations

from mdc.config.schema import StorageConfig
from mdc.storage.fsutil import ArchiveRootError, StorageError, StorageLocked
from mdc.storage.store import LayoutMismatch, StoragePaused, Store

__all__ = [
    "ArchiveRootError",
    "LayoutMismatch",
    "StorageError",
    "StorageLocked",
    "StoragePaused",
    "Store",
    "open_store",
]


def open_store(config: StorageConfig) -> Store:
    """The store for ``config.root``, recovered (cut to the checkpoint, WAL replayed)."""
    return Store(config)
