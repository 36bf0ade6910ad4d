"""Exactly-once under SIGKILL: a real writer process is killed at random moments, restarted,
and the archive must hold every acknowledged event once — in JSONL and in Parquet."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from crash_writer import ROUND_BASE, config, make_event

from mdc.storage import open_store
from mdc.storage.archive import open_archive

WRITER = Path(__file__).with_name("crash_writer.py")
TYPES = ("trades", "quotes", "book_deltas")


def start_writer(root: Path, ack: Path, round_no: int, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(WRITER), str(root), str(ack), str(round_no), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def read_acks(ack: Path) -> list[tuple[int, int, int, bool]]:
    if not ack.exists():
        return []
    rows = []
    for line in ack.read_text().splitlines():
        lsn, first, count, dedup = line.split()
        rows.append((int(lsn), int(first), int(count), dedup == "1"))
    return rows


def archived_seqs(root: Path, source: str) -> list[int]:
    """Every event's seq in the archive (one format), checking each event's exact content."""
    archive = open_archive(root, source=source)  # type: ignore[arg-type]
    seqs = []
    for type_name in TYPES:
        for event in archive.events(type_name):
            assert event.seq is not None
            assert event == make_event(event.seq), f"{source}: event {event.seq} altered"
            seqs.append(event.seq)
    return seqs


def check_exactly_once(root: Path, acks: list[tuple[int, int, int, bool]], rounds: int) -> int:
    acked = {s for _, first, n, dedup in acks if not dedup for s in range(first, first + n)}
    for source in ("jsonl", "parquet"):
        seqs = archived_seqs(root, source)
        doubled = [s for s, c in Counter(seqs).items() if c > 1]
        assert not doubled, f"{source}: {len(doubled)} events doubled, e.g. {doubled[:5]}"
        missing = acked - set(seqs)
        assert not missing, f"{source}: {len(missing)} acknowledged events missing"
        for r in range(rounds):
            got = sorted(s for s in seqs if s // ROUND_BASE == r)
            # The WAL is written in order: what a round left is a prefix of what it generated.
            assert got == list(range(r * ROUND_BASE, r * ROUND_BASE + len(got))), source
    return len(acked)


@pytest.mark.slow
def test_sigkill_at_random_moments_loses_and_doubles_nothing(tmp_path: Path) -> None:
    root, ack = tmp_path / "archive", tmp_path / "acks.log"
    rng = random.Random(20240301)
    rounds = int(os.environ.get("MDC_CRASH_ROUNDS", "12"))  # raise it for a soak run
    for r in range(rounds):
        before = len(read_acks(ack))
        proc = start_writer(root, ack, r)
        # Start-up and recovery take a variable time: kill at a random moment *after* the
        # writer has begun acknowledging, so every round dies mid-stream.
        deadline = time.monotonic() + 60
        while len(read_acks(ack)) == before:
            assert proc.poll() is None, proc.communicate()[1]
            assert time.monotonic() < deadline, "writer never acknowledged a batch"
            time.sleep(0.01)
        time.sleep(rng.uniform(0.0, 0.8))
        assert proc.poll() is None, proc.communicate()[1]
        proc.kill()
        proc.wait()
    store = open_store(config(str(root), rounds, "both"))
    store.close()
    acked = check_exactly_once(root, read_acks(ack), rounds)
    assert acked > 10_000


def test_clean_restart_after_kill_has_nothing_left_to_replay(tmp_path: Path) -> None:
    root, ack = tmp_path / "archive", tmp_path / "acks.log"
    proc = start_writer(root, ack, 0, "--batches", "40")
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready", proc.communicate()[1]
    proc.kill()
    proc.wait()
    open_store(config(str(root), 0, "both")).close()  # recovery
    store = open_store(config(str(root), 0, "both"))
    assert store.stats()["recovered_records"] == 0
    store.close()
    assert check_exactly_once(root, read_acks(ack), 1) == sum(
        n for _, _, n, dedup in read_acks(ack) if not dedup
    )
