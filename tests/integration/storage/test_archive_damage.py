"""An archive file found shorter than its checkpoint (damaged outside mdc, e.g. restored from
a stale copy): recovery cuts it to its last whole line / zstd frame / gzip member, keeps the
torn bytes in the quarantine, replays the WAL after it, and DuckDB (`mdc query`) reads the
result — exactly the events that survived plus the replayed ones. Tested with plain and zstd
files; gzip members are found by the same frame walk."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from crash_writer import config
from tests.support.cli import run_mdc

from mdc.storage import checkpoint as ckpt
from mdc.storage import open_store
from mdc.storage.archive import open_archive
from mdc.storage.jsonl import codec_of, iter_frames, read_jsonl_bytes

WRITER = Path(__file__).with_name("crash_writer.py")
TYPES = ("trades", "quotes", "book_deltas")


def killed_writer(root: Path, round_no: int) -> None:
    """A writer killed after 65 batches with a checkpoint every 10: files hold several
    frames, and the WAL holds 5 batches after the last checkpoint."""
    args = ["--format", "jsonl", "--batches", "65", "--checkpoint-s", "3600"]
    args += ["--checkpoint-every", "10"]
    proc = subprocess.Popen(
        [sys.executable, str(WRITER), str(root), str(root.parent / "acks"), str(round_no), *args],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    proc.kill()
    proc.wait()


def counts(root: Path) -> dict[str, int]:
    archive = open_archive(root, source="jsonl")
    return {t: sum(1 for _ in archive.events(t)) for t in TYPES}


def lines(data: bytes, codec: str) -> int:
    if codec == "none":
        return data.count(b"\n")
    return sum(chunk.count(b"\n") for _, end, chunk in iter_frames(data, codec) if end >= 0)


def duckdb_count(root: Path, view: str) -> int:
    args = ["--data", str(root), "--source", "jsonl", "--format", "csv"]
    done = run_mdc("query", *args, f"select count(*) as n from {view}", timeout=60)
    assert done.returncode == 0, done.stderr
    return int(next(csv.DictReader(io.StringIO(done.stdout)))["n"])


@pytest.mark.parametrize("round_no", [0, 2], ids=["none", "zstd"])
def test_a_file_shorter_than_its_checkpoint_is_cut_to_a_whole_record(
    tmp_path: Path, round_no: int
) -> None:
    root = tmp_path / "archive"
    killed_writer(root, round_no)
    cp = ckpt.read(root / "_mdc/checkpoint.json")
    assert cp is not None
    entry = max((e for e in cp.entries if e.kind == "jsonl"), key=lambda e: e.length)
    path = root / entry.path
    codec = codec_of(path.name)
    committed = path.read_bytes()[: entry.length]
    if codec == "none":
        ends = [i + 1 for i, b in enumerate(committed) if b == ord("\n")]
    else:
        ends = [end for _, end, _ in iter_frames(committed, codec)]
    assert len(ends) >= 3, "the file must hold several lines / frames"
    clean = ends[len(ends) // 2]
    cut_at = clean + (ends[len(ends) // 2 + 1] - clean) // 2  # inside the next line / frame
    lost = lines(committed, codec) - lines(committed[:clean], codec)
    assert lost > 0

    baseline_root = tmp_path / "baseline"
    shutil.copytree(root, baseline_root)
    open_store(config(str(baseline_root), round_no, "jsonl")).close()
    baseline = counts(baseline_root)

    with path.open("r+b") as f:
        f.truncate(cut_at)
    open_store(config(str(root), round_no, "jsonl")).close()

    type_name = next(t for t in TYPES if t in entry.path)
    got = counts(root)
    assert got == {t: n - (lost if t == type_name else 0) for t, n in baseline.items()}
    read_jsonl_bytes(path, strict=True)  # whole lines and frames only: no torn bytes left
    quarantined = list((root / "_mdc/quarantine").glob("archive.*.bad"))
    assert [q.read_bytes() for q in quarantined] == [committed[clean:cut_at]]
    integrity = [e for e in open_archive(root, source="jsonl").events("integrity")]
    assert [e.kind for e in integrity] == ["archive_truncated"]  # type: ignore[attr-defined]
    assert f"cut to {clean} bytes" in integrity[0].detail  # type: ignore[attr-defined]
    for view in TYPES:
        assert duckdb_count(root, view) == got[view]  # no "Data corruption detected"
