"""Read acknowledged WAL records as they are written: the source of a publisher or a sink.

``WalTail`` follows the segments of a live WAL from a position (an LSN): it reads only what
was appended since the last call (an offset into the active segment), returns intact records
up to a bound (the store's acknowledged LSN, so nothing the fsync policy does not vouch for
leaves the machine) and moves to the next segment when one exists. A record that is still
being written is simply not returned yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mdc.domain.events import Event
from mdc.storage.wal import SEGMENT_HEADER, RecordRef, _record_at, decode_payload, list_segments


@dataclass(frozen=True, slots=True)
class TailRecord:
    lsn: int
    flags: int
    events: list[Event]


class WalTail:
    """Records of ``wal_dir`` above ``after_lsn``, in LSN order, read incrementally."""

    def __init__(self, wal_dir: Path, after_lsn: int) -> None:
        self.dir = wal_dir
        self.lsn = after_lsn
        """The newest LSN returned so far."""
        self._segment: Path | None = None
        self._offset = 0

    def read(self, up_to_lsn: int, max_records: int = 1024) -> list[TailRecord]:
        """Up to ``max_records`` intact records with ``lsn <= up_to_lsn`` after the last one."""
        out: list[TailRecord] = []
        while len(out) < max_records and self.lsn < up_to_lsn:
            segments = list_segments(self.dir)
            if self._segment is None or not self._segment.exists():
                # Start (or the segment went): the newest segment starting at or before lsn+1.
                start = [p for first, p in segments if first <= self.lsn + 1]
                chosen = start[-1] if start else (segments[0][1] if segments else None)
                if chosen is None:
                    break
                self._segment, self._offset = chosen, 0
            got = self._read_segment(up_to_lsn, max_records - len(out))
            out.extend(got)
            if got:
                continue
            newer = [p for first, p in segments if first > self.lsn and p != self._segment]
            if not newer or newer[0].name <= self._segment.name:
                break  # nothing more written yet
            self._segment, self._offset = newer[0], 0
        return out

    def _read_segment(self, up_to_lsn: int, limit: int) -> list[TailRecord]:
        assert self._segment is not None
        try:
            with self._segment.open("rb") as f:
                f.seek(self._offset)
                data = f.read()
        except FileNotFoundError:
            self._segment = None
            return []
        pos = SEGMENT_HEADER.size if self._offset == 0 else 0
        out: list[TailRecord] = []
        while len(out) < limit:
            rec: RecordRef | None = _record_at(data, pos, 0)
            if rec is None or rec.lsn > up_to_lsn:
                break
            pos = rec.offset + rec.length
            if rec.lsn > self.lsn:
                out.append(TailRecord(rec.lsn, rec.flags, decode_payload(data, rec)))
                self.lsn = rec.lsn
        self._offset += pos
        return out
