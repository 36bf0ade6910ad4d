"""Raw capture and bad frames of a store: not WAL-backed, flushed at every checkpoint.

Frames go to :class:`~mdc.storage.raw.RawLog` files (``_raw/``, binary records compressed in
batches on a worker thread) and :class:`~mdc.storage.raw.FrameLog` files (``_bad/``, JSON
lines); a write failure is counted and the frames dropped, never raised into a provider's read
loop.
"""

from __future__ import annotations

from pathlib import Path

from mdc.storage.layout import BAD_DIR, RAW_DIR
from mdc.storage.raw import FrameLog, RawLog, frame_fields


class FrameCapture:
    """The raw-capture and bad-frame logs under one archive root."""

    def __init__(self, root: Path) -> None:
        self.raw = RawLog(root / RAW_DIR, self._error)
        self.bad = FrameLog(root / BAD_DIR)
        self.last_error = ""

    def _error(self, message: str) -> None:
        self.last_error = message

    def write_raw(self, provider: str, ts_recv: int, data: bytes | str) -> None:
        try:
            self.raw.write_frame(provider, ts_recv, data)
        except OSError as exc:
            self.raw.errors += 1
            self._error(f"raw capture write failed: {exc.strerror or exc}")

    def write_bad_frame(self, provider: str, ts_recv: int, data: bytes | str, error: str) -> None:
        try:
            self.bad.write(provider, ts_recv, {"error": error, **frame_fields(data)})
        except OSError as exc:
            self.bad.errors += 1
            self._error(f"bad-frame write failed: {exc.strerror or exc}")

    def flush(self) -> None:
        self.raw.flush()
        self.bad.flush()

    def dirty_fds(self) -> list[int]:
        """Descriptors of files written since the last checkpoint (it fsyncs them)."""
        return self.raw.dirty_fds() + self.bad.dirty_fds()

    def holds(self, path: Path) -> bool:
        """Whether ``path`` is open (retention must not delete it)."""
        return path in self.raw.open_paths() or path in self.bad.open_paths()

    def close(self) -> None:
        try:
            self.raw.close()
        finally:
            self.bad.close()
