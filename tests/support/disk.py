"""A real small filesystem (tmpfs) for disk-full tests, and ballast to fill it."""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final

import pytest

MB: Final = 1024 * 1024


@contextmanager
def tmpfs(point: Path, size_mb: int) -> Iterator[Path]:
    """Mount a ``size_mb`` tmpfs at ``point`` for the block; a test that needs it fails when
    it cannot be mounted (run as root, or in a container allowed to mount)."""
    point.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_mb}m", "tmpfs", str(point)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.fail(f"cannot mount a tmpfs at {point}: {done.stderr.strip()}")
    try:
        yield point
    finally:
        subprocess.run(["umount", "-l", str(point)], check=True)


def fill(mnt: Path, leave_bytes: int = 0, name: str = "ballast") -> Path:
    """A file taking all free space of ``mnt`` but ``leave_bytes``."""
    st = os.statvfs(mnt)
    size = max(0, st.f_bavail * st.f_frsize - leave_bytes)
    ballast = mnt / name
    # The last pages may not fit: the filesystem is then as full as it gets.
    with ballast.open("wb") as f, contextlib.suppress(OSError):
        f.write(b"\0" * size)
    return ballast
