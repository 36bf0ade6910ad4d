"""File logging rotates by size and keeps the configured number of old files."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from mdc.log import setup_logging


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    for handler in root.handlers:
        handler.close()
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.mark.usefixtures("restore_logging")
def test_file_log_rotates_at_its_size_and_keeps_backups(tmp_path: Path) -> None:
    path = tmp_path / "mdc.log"
    setup_logging("INFO", "json", file=str(path), file_max_mb=1, file_backups=2)
    line = "x" * 1000
    for i in range(4000):  # ~4.1 MB of records: rotates three times, keeps two old files
        logging.getLogger("mdc.test").info("%d %s", i, line)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["mdc.log", "mdc.log.1", "mdc.log.2"]
    assert all(p.stat().st_size <= 1024 * 1024 for p in tmp_path.iterdir())
    assert path.read_text().splitlines()[-1].endswith(f'"msg":"3999 {line}"}}')
