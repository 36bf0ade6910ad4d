"""Power loss simulated on the WAL of a killed writer: truncation at random offsets and bit
flips (hypothesis). Recovery must keep every event of every intact record exactly once, lose
exactly the records the damage hit, report the damage as Integrity events, and never refuse to
start."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
from crash_writer import config, make_event
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mdc.storage import checkpoint as ckpt
from mdc.storage import open_store
from mdc.storage.archive import open_archive
from mdc.storage.wal import (
    FLAG_DEDUP,
    RECORD_HEADER,
    SEGMENT_HEADER,
    decode_payload,
    iter_records,
    list_segments,
    scan_segment,
)

WRITER = Path(__file__).with_name("crash_writer.py")
TYPES = ("trades", "quotes", "book_deltas")


@dataclass(frozen=True)
class Record:
    lsn: int
    dedup: bool
    segment: str
    start: int
    end: int
    seqs: tuple[int, ...]


@dataclass(frozen=True, repr=False)
class Template:
    root: Path
    checkpoint_lsn: int
    records: tuple[Record, ...]
    """WAL records after the checkpoint: what recovery replays."""
    baseline: Counter[int]
    """Seqs in the archive after recovering the undamaged template."""
    boundaries: dict[str, set[int]]
    """Offsets in each segment where a cut leaves no partial record."""


def archived(root: Path) -> tuple[Counter[int], list[str]]:
    archive = open_archive(root, source="jsonl")
    seqs: Counter[int] = Counter()
    for type_name in TYPES:
        for event in archive.events(type_name):
            assert event.seq is not None and event == make_event(event.seq)
            seqs[event.seq] += 1
    kinds = [e.kind for e in archive.events("integrity")]  # type: ignore[attr-defined]
    return seqs, kinds


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    base = tmp_path_factory.mktemp("template")
    root = base / "archive"
    proc = subprocess.Popen(
        [
            sys.executable,
            str(WRITER),
            str(root),
            str(base / "acks"),
            "0",
            "--format",
            "jsonl",
            "--batches",
            "80",
            "--checkpoint-s",
            "3600",
            "--checkpoint-at",
            "25",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready", proc.communicate()[1]
    proc.kill()
    proc.wait()
    cp = ckpt.read(root / "_mdc/checkpoint.json")
    assert cp is not None and cp.lsn > 0
    records = []
    boundaries: dict[str, set[int]] = {}
    for _, path in list_segments(root / "_mdc/wal"):
        data = path.read_bytes()
        scan = scan_segment(path, data)
        assert not scan.damage
        boundaries[path.name] = {0, SEGMENT_HEADER.size} | {
            r.offset + r.length for r in scan.records
        }
        for rec in scan.records:
            if rec.lsn > cp.lsn:
                events = decode_payload(data, rec)
                records.append(
                    Record(
                        rec.lsn,
                        bool(rec.flags & FLAG_DEDUP),
                        path.name,
                        rec.offset - RECORD_HEADER.size,
                        rec.offset + rec.length,
                        tuple(e.seq for e in events),
                    )  # type: ignore[misc]
                )
    assert len({r.segment for r in records}) >= 2, "the damage must be able to hit any segment"
    check = base / "check"
    shutil.copytree(root, check)
    open_store(config(str(check), 0, "jsonl")).close()
    baseline, kinds = archived(check)
    assert kinds == []
    assert max(baseline.values()) == 1
    return Template(root, cp.lsn, tuple(records), baseline, boundaries)


def expected_after(t: Template, lost: set[int]) -> Counter[int]:
    """The baseline without the events that only lost records carried. An event re-appended
    by a dedup record (a backfill re-run) survives if any copy does, and an event whose
    first record is behind the checkpoint is committed whatever happens to the WAL."""
    surviving = {s for r in t.records if r.lsn not in lost for s in r.seqs}
    first_after_checkpoint = {s for r in t.records if not r.dedup for s in r.seqs}
    gone = {s for r in t.records if r.lsn in lost for s in r.seqs}
    gone = (gone - surviving) & first_after_checkpoint
    return Counter({s: n for s, n in t.baseline.items() if s not in gone})


SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@SETTINGS
@given(segment=st.integers(0, 100), cut=st.floats(0, 1))
def test_truncated_wal_recovers_every_intact_record_once(
    template: Template, tmp_path_factory: pytest.TempPathFactory, segment: int, cut: float
) -> None:
    root = tmp_path_factory.mktemp("cut") / "archive"
    shutil.copytree(template.root, root)
    segments = sorted({r.segment for r in template.records})
    name = segments[segment % len(segments)]
    path = root / "_mdc/wal" / name
    size = path.stat().st_size
    offset = int(size * cut)
    with path.open("r+b") as f:
        f.truncate(offset)
    lost = {r.lsn for r in template.records if r.segment == name and r.end > offset}
    open_store(config(str(root), 0, "jsonl")).close()
    seqs, kinds = archived(root)
    assert seqs == expected_after(template, lost)
    torn = offset not in template.boundaries[name]
    assert ("wal_torn_tail" in kinds) == torn
    later = [r for r in template.records if r.segment > name]
    if lost and later:
        assert "wal_missing_records" in kinds


@SETTINGS
@given(
    flips=st.lists(
        st.tuples(st.integers(0, 100), st.floats(0, 1), st.integers(0, 7)), min_size=1, max_size=5
    )
)
def test_bit_flipped_wal_loses_only_the_hit_records(
    template: Template,
    tmp_path_factory: pytest.TempPathFactory,
    flips: list[tuple[int, float, int]],
) -> None:
    root = tmp_path_factory.mktemp("flip") / "archive"
    shutil.copytree(template.root, root)
    segments = sorted({r.segment for r in template.records})
    originals = {name: (root / "_mdc/wal" / name).read_bytes() for name in segments}
    damaged = {name: bytearray(data) for name, data in originals.items()}
    for seg, where, bit in flips:
        name = segments[seg % len(segments)]
        data = damaged[name]
        data[int((len(data) - 1) * where)] ^= 1 << bit
    lost = set()
    for name, data in damaged.items():
        (root / "_mdc/wal" / name).write_bytes(bytes(data))
        changed = [i for i, (a, b) in enumerate(zip(originals[name], data, strict=True)) if a != b]
        for r in template.records:
            if r.segment == name and any(r.start <= i < r.end for i in changed):
                lost.add(r.lsn)
    open_store(config(str(root), 0, "jsonl")).close()
    seqs, kinds = archived(root)
    assert seqs == expected_after(template, lost)
    assert bool(lost) == any(k in ("wal_corrupt_record", "wal_torn_tail") for k in kinds)
    assert len(list((root / "_mdc/quarantine").glob("*.bad"))) >= (1 if lost else 0)


@pytest.mark.parametrize("into", [2, RECORD_HEADER.size + 10], ids=["in-magic", "in-payload"])
def test_a_torn_record_s_lsn_is_never_reused(template: Template, tmp_path: Path, into: int) -> None:
    root = tmp_path / "archive"
    shutil.copytree(template.root, root)
    torn = template.records[-1]
    original = (root / "_mdc/wal" / torn.segment).read_bytes()
    with (root / "_mdc/wal" / torn.segment).open("r+b") as f:
        f.truncate(torn.start + into)
    # A writer recovers, appends and is killed before its next checkpoint.
    args = ["--format", "jsonl", "--batches", "3", "--checkpoint-s", "3600"]
    proc = subprocess.Popen(
        [sys.executable, str(WRITER), str(root), str(tmp_path / "acks"), "1", *args],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    proc.kill()
    proc.wait()
    lsns = [lsn for lsn, _, _ in iter_records(root / "_mdc/wal")]
    assert lsns == sorted(set(lsns))
    assert min(lsn for lsn in lsns if lsn >= torn.lsn) > torn.lsn  # used up, even unreadable
    quarantined = [p.read_bytes() for p in (root / "_mdc/quarantine").iterdir()]
    assert quarantined == [original[torn.start : torn.start + into]]
    # The next recovery takes the LSNs after the torn one for what they are: no gap.
    open_store(config(str(root), 1, "jsonl")).close()
    _, kinds = archived(root)
    assert kinds.count("wal_torn_tail") == 1
    assert "wal_missing_records" not in kinds
