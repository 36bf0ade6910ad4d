"""Hold one chunk's rows until a provider has delivered all of it.

Nothing of a chunk reaches the archive until its provider finished it: a provider that fails on
page 7 leaves no rows behind, the next provider serves the whole chunk, and every row of the
chunk carries one provenance. Small chunks stay in memory; big ones (a day of quotes) spill to
a file of length-prefixed msgpack batches in the data root, read back in order and deleted.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Final

from mdc.domain.events import Event, decode_msgpack_batch, encode_msgpack_batch

MEMORY_ROWS: Final = 200_000
"""Rows kept in memory before the spool moves to disk."""
_LENGTH: Final = struct.Struct("<I")


class ChunkSpool:
    """Append pages, then replay them in order (once the chunk is known to be complete)."""

    def __init__(self, path: Path, memory_rows: int = MEMORY_ROWS) -> None:
        self.path = path
        self.memory_rows = memory_rows
        self.rows = 0
        self._pages: list[list[Event]] = []
        self._file: IO[bytes] | None = None

    def add(self, batch: list[Event]) -> None:
        if not batch:
            return
        self.rows += len(batch)
        if self._file is None and self.rows <= self.memory_rows:
            self._pages.append(batch)
            return
        if self._file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = self.path.open("wb")
            for page in self._pages:
                self._write(page)
            self._pages = []
        self._write(batch)

    def pages(self) -> Iterator[list[Event]]:
        """Every page added, in order."""
        if self._file is None:
            yield from self._pages
            return
        self._file.flush()
        with self.path.open("rb") as f:
            while header := f.read(_LENGTH.size):
                (size,) = _LENGTH.unpack(header)
                yield decode_msgpack_batch(f.read(size))

    def clear(self) -> None:
        """Forget everything (a failed attempt) and remove the spill file."""
        self.rows = 0
        self._pages = []
        if self._file is not None:
            self._file.close()
            self._file = None
        self.path.unlink(missing_ok=True)

    def _write(self, batch: list[Event]) -> None:
        assert self._file is not None
        data = encode_msgpack_batch(batch)
        self._file.write(_LENGTH.pack(len(data)))
        self._file.write(data)
