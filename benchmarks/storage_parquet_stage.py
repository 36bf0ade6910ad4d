"""Storage stage, Parquet: WAL (fsync interval 100 ms) + Parquet parts (zstd), in events/s.

The harness plugin twin of ``storage_stage.py`` (which writes JSONL): every batch appended to a
real store writing Parquet, the store closed, so finishing the parts is inside the timing.
"""

from __future__ import annotations

from pathlib import Path

from mdc.config.schema import StorageConfig, WalConfig
from mdc.domain.events import Event
from mdc.storage import open_store


def run(batches: list[list[Event]], tmp_dir: Path) -> int:
    config = StorageConfig(
        root=str(Path(tmp_dir) / "wal-parquet"),
        format="parquet",
        raw_capture=False,
        min_free_mb=0,
        wal=WalConfig(fsync="interval", fsync_interval_ms=100),
    )
    store = open_store(config)
    for batch in batches:
        store.append(batch)
    store.close()
    return sum(map(len, batches))
