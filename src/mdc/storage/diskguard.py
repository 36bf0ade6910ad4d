"""The disk space guard: pause writing below ``min_free_mb``, resume with hysteresis.

The WAL lives on the archive's filesystem, so a store that kept accepting on a full disk would
turn "paused" into "corrupt"; see docs/durability.md ("Disk space guard").
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Final

from mdc.storage.fsutil import free_bytes

log = logging.getLogger(__name__)

DISK_CHECK_INTERVAL_S: Final = 1.0
RESUME_POLL_S: Final = 0.5
RESUME_MARGIN_MB: Final = 16
"""Hysteresis: resume when free space exceeds min_free_mb by this (or 5 % of the disk)."""
MB: Final = 1024 * 1024


class DiskGuard:
    """Free space of the root's filesystem and the pause state that follows from it."""

    def __init__(self, root: Path, min_free_mb: int) -> None:
        self.root = root
        self.min_free_mb = min_free_mb
        self.min_free = min_free_mb * MB
        self.free = free_bytes(root)
        self.paused: str | None = None
        """Why writing is paused (disk space, a write error), or None."""
        self.needs_rebuild = False
        """The archive lost writes after the WAL acknowledged them: rebuild before resuming."""
        # Also look at the disk after this many bytes: a fast writer fills it between ticks.
        self._check_bytes = max(MB, self.min_free // 4)
        self._check_at = 0
        self._next_check = time.monotonic() + DISK_CHECK_INTERVAL_S
        self._next_resume = 0.0

    def set_min_free(self, min_free_mb: int) -> None:
        """A new minimum (config reload), looked at on the next timed check."""
        self.min_free_mb = min_free_mb
        self.min_free = min_free_mb * MB
        self._check_bytes = max(MB, self.min_free // 4)
        self._next_check = 0.0

    def interval_due(self, now: float) -> bool:
        """Whether ``DISK_CHECK_INTERVAL_S`` passed since the last timed look."""
        if now >= self._next_check:
            self._next_check = now + DISK_CHECK_INTERVAL_S
            return True
        return False

    def written_enough(self, wal_bytes_written: int) -> bool:
        """Whether enough was written since the last look to look again."""
        return wal_bytes_written >= self._check_at

    def check(self, wal_bytes_written: int) -> str | None:
        """Read the free space; returns the reason to pause when it is below the minimum."""
        # The archive grows about as fast as the WAL: check again after that much more.
        self._check_at = wal_bytes_written + self._check_bytes // 2
        try:
            self.free = free_bytes(self.root)
        except OSError as exc:
            log.warning("cannot read free space of %s: %s", self.root, exc)
            return None
        if self.paused is None and self.free < self.min_free:
            return (
                f"free space {self.free // MB} MB < min_free_mb {self.min_free_mb} MB "
                f"on {self.root}"
            )
        return None

    def pause(self, reason: str, rebuild: bool) -> bool:
        """Enter (or stay in) the paused state; True when this newly paused."""
        new = self.paused is None
        self.paused = self.paused or reason
        self.needs_rebuild = self.needs_rebuild or rebuild
        self._next_resume = time.monotonic() + RESUME_POLL_S
        return new

    def poll_due(self) -> bool:
        """Whether a resume attempt is due (at most every ``RESUME_POLL_S``)."""
        now = time.monotonic()
        if now < self._next_resume:
            return False
        self._next_resume = now + RESUME_POLL_S
        return True

    def space_to_resume(self) -> bool:
        try:
            self.free = free_bytes(self.root)
        except OSError:
            return False
        return self.free >= self.min_free + self._resume_margin()

    def resumed(self) -> None:
        self.paused = None
        self.needs_rebuild = False

    def _resume_margin(self) -> int:
        """Free space above ``min_free_mb`` needed to resume (hysteresis), small disks too."""
        try:
            st = os.statvfs(self.root)
        except OSError:
            return RESUME_MARGIN_MB * MB
        return min(RESUME_MARGIN_MB * MB, st.f_blocks * st.f_frsize // 20)
