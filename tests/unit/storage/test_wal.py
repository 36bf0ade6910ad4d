from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from mdc.domain.events import Event, Trade, encode_msgpack_batch
from mdc.storage.wal import (
    FLAG_DEDUP,
    KIND_JSONL,
    KIND_MSGPACK,
    RECORD_HEADER,
    SEGMENT_HEADER,
    WalWriter,
    iter_records,
    last_lsn,
    list_segments,
    recover_segments,
    scan_segment,
)


def trades(start: int, n: int) -> list[Event]:
    return [
        Trade(
            symbol="AAPL",
            venue="XNAS",
            provider="t",
            ts_event=1_000 + i,
            ts_recv=2_000 + i,
            seq=i,
            price=100.0 + i / 8,
            size=1.0,
        )
        for i in range(start, start + n)
    ]


def writer(
    d: Path, policy: str = "off", segment_bytes: int = 1 << 20, next_lsn: int = 1
) -> WalWriter:
    return WalWriter(d, next_lsn, policy, 5, segment_bytes, 3600)  # type: ignore[arg-type]


def write_batches(d: Path, sizes: list[int], segment_bytes: int = 1 << 20) -> list[list[Event]]:
    w = writer(d, segment_bytes=segment_bytes)
    batches = []
    seq = 0
    for n in sizes:
        batch = trades(seq, n)
        seq += n
        w.append([encode_msgpack_batch(batch)], KIND_MSGPACK, n)
        batches.append(batch)
    w.close()
    return batches


def test_records_round_trip_with_lsn_flags_and_both_payload_kinds(tmp_path: Path) -> None:
    w = writer(tmp_path)
    a, b = trades(0, 3), trades(3, 2)
    assert w.append([encode_msgpack_batch(a)], KIND_MSGPACK, 3) == 1
    lines = [b"".join(e_json + b"\n" for e_json in map(_json, b[:1])), _json(b[1]) + b"\n"]
    assert w.append(lines, KIND_JSONL, 2, FLAG_DEDUP) == 2
    w.close()
    got = list(iter_records(tmp_path))
    assert [(lsn, flags) for lsn, flags, _ in got] == [(1, 0), (2, FLAG_DEDUP)]
    assert got[0][2] == a
    assert got[1][2] == b
    assert last_lsn(tmp_path) == 2


def _json(e: Event) -> bytes:
    from mdc.domain.events import encode_json

    return encode_json(e)


def test_segments_roll_by_size_and_drop_behind_a_checkpoint(tmp_path: Path) -> None:
    w = writer(tmp_path, segment_bytes=2_000)
    for i in range(12):
        w.append([encode_msgpack_batch(trades(i * 10, 10))], KIND_MSGPACK, 10)
    segments = w.segments()
    assert len(segments) > 3
    assert [first for first, _ in segments] == sorted(first for first, _ in segments)
    keep_from = segments[2][0]
    dropped = w.drop_through(keep_from - 1, None)
    assert dropped == 2
    assert list_segments(tmp_path)[0][0] == keep_from
    archive = tmp_path.parent / "archive"
    assert w.drop_through(w.written_lsn, archive) == len(segments) - 3  # never the current one
    assert len(list(archive.iterdir())) == len(segments) - 3
    w.close()
    assert [lsn for lsn, _, _ in iter_records(tmp_path)] == list(range(segments[-1][0], 13))


def test_fsync_policies_account_for_durability(tmp_path: Path) -> None:
    w = writer(tmp_path / "always", "always")
    w.append([b"\x90"], KIND_MSGPACK, 0)
    assert (w.durable_lsn, w.fsyncs) == (1, 1)
    w.close()
    w = writer(tmp_path / "interval", "interval")
    w.append([b"\x90"], KIND_MSGPACK, 0)
    assert w.written_lsn == 1
    assert w.sync() == 1
    assert w.durable_lsn == 1
    w.close()
    w = writer(tmp_path / "off", "off")
    w.append([b"\x90"], KIND_MSGPACK, 0)
    assert (w.durable_lsn, w.fsyncs) == (1, 0)
    w.close()


def test_a_failed_write_is_cut_back_and_not_acknowledged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = writer(tmp_path)
    w.append([encode_msgpack_batch(trades(0, 2))], KIND_MSGPACK, 2)
    size = os.path.getsize(w.segments()[-1][1])

    def short_then_full(fd: int, parts: list[bytes]) -> int:
        os.write(fd, parts[0][:5])  # a torn header reaches the file
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "writev", short_then_full)
    with pytest.raises(OSError, match="No space"):
        w.append([encode_msgpack_batch(trades(2, 2))], KIND_MSGPACK, 2)
    monkeypatch.undo()
    assert os.path.getsize(w.segments()[-1][1]) == size
    assert w.written_lsn == 1
    assert w.append([encode_msgpack_batch(trades(2, 2))], KIND_MSGPACK, 2) == 2
    w.close()
    assert [lsn for lsn, _, _ in iter_records(tmp_path)] == [1, 2]


def test_scan_finds_records_after_a_corrupt_one(tmp_path: Path) -> None:
    write_batches(tmp_path, [5, 5, 5])
    path = list_segments(tmp_path)[0][1]
    data = bytearray(path.read_bytes())
    second = SEGMENT_HEADER.size + _record_size(data, SEGMENT_HEADER.size)
    data[second + RECORD_HEADER.size + 3] ^= 0x40
    scan = scan_segment(path, bytes(data))
    assert [r.lsn for r in scan.records] == [1, 3]
    assert len(scan.damage) == 1
    assert scan.damage[0].tail is False
    assert scan.damage[0].start == second


def _record_size(data: bytearray, pos: int) -> int:
    length = int.from_bytes(data[pos + 4 : pos + 8], "little")
    return RECORD_HEADER.size + length


def test_recovery_quarantines_and_truncates_a_torn_tail(tmp_path: Path) -> None:
    wal, quarantine = tmp_path / "wal", tmp_path / "q"
    write_batches(wal, [4, 4])
    path = list_segments(wal)[0][1]
    whole = path.stat().st_size
    with path.open("r+b") as f:
        f.truncate(whole - 7)
    scans = list(recover_segments(wal, 0, quarantine, sync=False))
    assert [r.lsn for r in scans[0][0].records] == [1]
    assert scans[0][0].damage[0].kind == "wal_torn_tail"
    assert path.stat().st_size == SEGMENT_HEADER.size + _record_size(
        bytearray(path.read_bytes()), SEGMENT_HEADER.size
    )
    (bad,) = quarantine.iterdir()
    assert bad.stat().st_size == whole - 7 - path.stat().st_size


RECORD_SIZES = st.lists(st.integers(1, 40), min_size=1, max_size=12)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(sizes=RECORD_SIZES, cut=st.floats(0, 1))
@example(sizes=[3], cut=0.01)  # inside the segment header
@example(sizes=[3, 3], cut=1.0)
def test_truncation_at_any_offset_keeps_exactly_the_whole_records_before_it(
    tmp_path_factory: pytest.TempPathFactory, sizes: list[int], cut: float
) -> None:
    d = tmp_path_factory.mktemp("wal")
    batches = write_batches(d, sizes)
    path = list_segments(d)[0][1]
    data = path.read_bytes()
    offset = int(len(data) * cut)
    path.write_bytes(data[:offset])
    ends = _record_ends(data)
    survivors = [i for i, end in enumerate(ends) if end <= offset]
    scans = list(recover_segments(d, 0, d.parent / (d.name + "-q"), sync=False))
    got = [r.lsn for scan, _ in scans for r in scan.records]
    assert got == [i + 1 for i in survivors]
    torn = offset not in (0, SEGMENT_HEADER.size, *ends)
    assert any(dmg.tail for scan, _ in scans for dmg in scan.damage) == torn
    assert [events for _, _, events in iter_records(d)] == [batches[i] for i in survivors]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    sizes=RECORD_SIZES, flips=st.lists(st.tuples(st.floats(0, 1), st.integers(0, 7)), max_size=4)
)
def test_bit_flips_lose_exactly_the_records_they_hit(
    tmp_path_factory: pytest.TempPathFactory,
    sizes: list[int],
    flips: list[tuple[float, int]],
) -> None:
    d = tmp_path_factory.mktemp("wal")
    batches = write_batches(d, sizes)
    path = list_segments(d)[0][1]
    data = bytearray(path.read_bytes())
    hit: set[int] = set()
    starts = [SEGMENT_HEADER.size, *_record_ends(bytes(data))[:-1]]
    ends = _record_ends(bytes(data))
    for where, bit in flips:
        pos = SEGMENT_HEADER.size + int((len(data) - SEGMENT_HEADER.size - 1) * where)
        data[pos] ^= 1 << bit
    flipped = {
        SEGMENT_HEADER.size + int((len(data) - SEGMENT_HEADER.size - 1) * where)
        for where, bit in flips
    }
    # A byte flipped twice with the same bit is restored; count what really changed.
    original = path.read_bytes()
    changed = {p for p in flipped if data[p] != original[p]}
    for i, (start, end) in enumerate(zip(starts, ends, strict=True)):
        if any(start <= p < end for p in changed):
            hit.add(i)
    path.write_bytes(bytes(data))
    got = [events for _, _, events in iter_records(d)]
    assert got == [b for i, b in enumerate(batches) if i not in hit]
    scan = scan_segment(path, bytes(data))
    assert bool(scan.damage) == bool(hit)


def _record_ends(data: bytes) -> list[int]:
    ends = []
    pos = SEGMENT_HEADER.size
    while pos < len(data):
        pos += RECORD_HEADER.size + int.from_bytes(data[pos + 4 : pos + 8], "little")
        ends.append(pos)
    return ends
