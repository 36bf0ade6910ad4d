"""A real full disk: a small tmpfs. The store pauses with a clear error, resumes by itself when
space comes back, and every acknowledged event ends up in the archive exactly once."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.support.disk import fill as fill_disk
from tests.support.disk import tmpfs

from mdc.config.schema import StorageConfig, WalConfig
from mdc.domain.events import Event, Trade
from mdc.storage import StoragePaused, diskguard, open_store
from mdc.storage.archive import open_archive
from mdc.storage.store import Store

T = 1_709_303_400_000_000_000
MB = 1024 * 1024


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    with tmpfs(tmp_path / "mnt", 8) as mnt:
        yield mnt


def batch(start: int, n: int = 1000) -> list[Event]:
    return [
        Trade(
            symbol="AAPL",
            venue="XNAS",
            provider="sim",
            ts_event=T + i,
            ts_recv=T + i,
            seq=i,
            price=100.0 + i / 100,
            size=1.0,
            trade_id=f"trade-{i:012d}",
        )
        for i in range(start, start + n)
    ]


async def pipeline(store: Store, batches: list[list[Event]]) -> int:
    """What the runtime does: append, and on StoragePaused wait and retry the rest."""
    pauses = 0
    for b in batches:
        while b:
            try:
                store.append(b)
                b = []
            except StoragePaused as exc:
                pauses += 1
                b = b[exc.acknowledged :]
                await asyncio.wait_for(store.wait_writable(), 30)
    return pauses


async def free_later(ballast: Path, after: float) -> None:
    await asyncio.sleep(after)
    ballast.unlink()


def fill(mnt: Path, mb: int) -> Path:
    ballast = mnt / "ballast"
    ballast.write_bytes(b"\0" * mb * MB)
    return ballast


def check(root: Path, n: int) -> None:
    seqs = [e.seq for e in open_archive(root).events("trades")]
    assert seqs == list(range(n))


@pytest.mark.parametrize("min_free_mb", [2, 0], ids=["guard", "enospc"])
def test_full_disk_pauses_and_resumes_without_losing_acknowledged_data(
    small_disk: Path, monkeypatch: pytest.MonkeyPatch, min_free_mb: int
) -> None:
    monkeypatch.setattr(diskguard, "DISK_CHECK_INTERVAL_S", 0.0)
    monkeypatch.setattr(diskguard, "RESUME_POLL_S", 0.05)
    ballast = fill(small_disk, 3)
    root = small_disk / "archive"
    store = open_store(
        StorageConfig(
            root=str(root),
            min_free_mb=min_free_mb,
            raw_capture=False,
            wal=WalConfig(fsync="always", segment_max_mb=1),
        )
    )
    batches = [batch(i * 1000) for i in range(14)]  # about 7 MB of WAL and JSONL

    async def run() -> int:
        freer = asyncio.create_task(free_later(ballast, 0.5))
        pauses = await pipeline(store, batches)
        await freer
        # The last batch may have been acknowledged while its archive write failed: the
        # store is paused until it has rebuilt the archive from the WAL.
        await asyncio.wait_for(store.wait_writable(), 30)
        return pauses

    pauses = asyncio.run(run())
    stats = store.stats()
    store.close()
    assert pauses >= 1
    assert stats["writable"] is True
    assert stats["errors"] >= 1
    reason = stats["last_error"]
    if min_free_mb:
        assert f"< min_free_mb {min_free_mb} MB on {root}" in reason
    else:
        assert "No space left on device" in reason or "disk full" in reason
    check(root, 14_000)


def test_paused_at_start_when_the_disk_is_already_full(small_disk: Path) -> None:
    fill(small_disk, 7)
    root = small_disk / "archive"
    store = open_store(StorageConfig(root=str(root), min_free_mb=2, raw_capture=False))
    assert store.writable is False
    assert store.stats()["pause_reason"].startswith("free space ")
    with pytest.raises(StoragePaused, match="min_free_mb 2 MB"):
        store.append(batch(0, 10))
    store.close()


def test_closing_on_a_full_disk_says_what_the_next_start_replays(
    small_disk: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root = small_disk / "archive"
    config = StorageConfig(
        root=str(root),
        min_free_mb=0,
        raw_capture=False,
        checkpoint_interval_s=3600,
        wal=WalConfig(fsync="always"),
    )
    store = open_store(config)
    for i in range(3):
        store.append(batch(i * 100, 100))  # acknowledged; the archive lines are still buffered
    ballast = fill_disk(small_disk)
    store.close()
    assert (
        "closed with 300 acknowledged events (3 WAL records, LSN 1..3) not yet in the archive"
        in caplog.text
    )
    ballast.unlink()
    caplog.clear()
    reopened = open_store(config)
    assert reopened.stats()["recovered_events"] == 300
    reopened.close()
    check(root, 300)
