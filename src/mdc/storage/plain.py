"""Interim plain JSONL writer (by symbol and type, one file per day)."""

from __future__ import annotations

from pathlib import Path
from typing import IO, Any

from mdc.domain.events import TYPE_NAMES, Event, encode_json
from mdc.domain.time import ns_to_date


class PlainJsonlStore:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self._files: dict[Path, IO[bytes]] = {}
        self.events = 0

    def append(self, batch: list[Event]) -> None:
        for event in batch:
            path = (
                self.root
                / event.symbol
                / TYPE_NAMES[type(event)]
                / f"{ns_to_date(event.ts_event)}.jsonl"
            )
            f = self._files.get(path)
            if f is None:
                path.parent.mkdir(parents=True, exist_ok=True)
                f = self._files[path] = path.open("ab")
            f.write(encode_json(event) + b"\n")
        self.events += len(batch)
        for f in self._files.values():
            f.flush()

    def write_raw(self, provider: str, ts_recv: int, data: bytes | str) -> None:
        pass

    def write_bad_frame(self, provider: str, ts_recv: int, data: bytes | str, error: str) -> None:
        pass

    def close(self) -> None:
        for f in self._files.values():
            f.close()

    def stats(self) -> dict[str, Any]:
        return {"events": self.events}
