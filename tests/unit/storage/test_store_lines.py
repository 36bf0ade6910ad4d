"""``Store.append_lines`` (the compiled fast path's append) against ``Store.append``: the same
archive bytes, WAL records that replay to the same events, and a crash before any checkpoint
recovered from the WAL alone to what the Python path stores."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from tests.support.simstream import Step, stream

from mdc.collectors.chain import Collectors
from mdc.config.schema import StorageConfig, WalConfig
from mdc.domain import native
from mdc.domain.events import Event
from mdc.pipeline import fastpath
from mdc.providers.simulated import SPEC
from mdc.providers.simulated.parse import PROVIDER, parse_frame
from mdc.providers.simulated.wire import decode_frame
from mdc.storage import open_store
from mdc.storage.archive import open_archive
from mdc.storage.routing import Router
from mdc.storage.store import Store
from mdc.storage.wal import iter_records

kernel = native.load(fastpath.KERNEL)
pytestmark = pytest.mark.skipif(
    kernel is None, reason="the kernel is not built (make native) or MDC_PURE_PYTHON is set"
)
STEPS = list(stream(11, 100, depth=False))


def _cfg(root: Path, **kw: Any) -> StorageConfig:
    return StorageConfig(root=str(root), min_free_mb=0, **kw)


def _collectors() -> Collectors:
    collectors = Collectors()
    collectors.register_provider(PROVIDER, SPEC.capabilities)
    return collectors


def _python(store: Store, steps: list[Step]) -> None:
    collectors = _collectors()
    for step in steps:
        if step.reset:
            collectors.reset(step.reset)
        store.append(collectors.process(parse_frame(step.frame, step.ts_recv, "SIM")))


def _fast(store: Store, steps: list[Step]) -> int:
    collectors = _collectors()
    path = fastpath.FastPath(kernel, collectors, "SIM", store.layout)
    for step in steps:
        if step.reset:
            collectors.reset(step.reset)
        store.append_lines(path.handle(decode_frame(step.frame), step.ts_recv).lines)
    return path.fast_events


def _files(root: Path, suffix: str = ".jsonl") -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob(f"*{suffix}"))
        if "_mdc" not in p.parts
    }


@pytest.mark.parametrize("fmt", ["jsonl", "both"])
def test_the_archive_is_byte_identical(tmp_path: Path, fmt: str) -> None:
    pure = open_store(_cfg(tmp_path / "pure", format=fmt))
    _python(pure, STEPS)
    pure.close()
    fast = open_store(_cfg(tmp_path / "fast", format=fmt))
    assert _fast(fast, STEPS) > 12_000
    stats = fast.stats()
    fast.close()
    expected = _files(tmp_path / "pure")
    assert len(expected) > 10
    assert _files(tmp_path / "fast") == expected
    assert (
        stats["events_written"]
        == stats["events_acknowledged"]
        == sum(f.count(b"\n") for f in expected.values())
    )
    if fmt == "both":
        for kind in ("trades", "quotes"):
            rows = [
                list(open_archive(tmp_path / name, source="parquet").events(kind))
                for name in ("pure", "fast")
            ]
            assert rows[0] == rows[1] and len(rows[0]) > 1000


def _by_partition(store_root: Path, router: Router) -> dict[Any, list[Event]]:
    out: dict[Any, list[Event]] = defaultdict(list)
    for _, _, events in iter_records(store_root / "_mdc" / "wal"):
        for pk, group in router.route(events).items():
            out[pk] += group
    return dict(out)


def test_wal_records_hold_the_events_the_python_path_acknowledges(tmp_path: Path) -> None:
    keep = WalConfig(keep_segments=True)
    pure = open_store(_cfg(tmp_path / "pure", wal=keep))
    _python(pure, STEPS)
    router = Router(pure.layout)
    pure.close()
    fast = open_store(_cfg(tmp_path / "fast", wal=keep))
    _fast(fast, STEPS)
    fast.close()
    got = _by_partition(tmp_path / "fast", router)
    assert got == _by_partition(tmp_path / "pure", router)
    assert sum(map(len, got.values())) > 12_000


def test_a_crash_before_any_checkpoint_recovers_what_the_python_path_stores(
    tmp_path: Path,
) -> None:
    pure = open_store(_cfg(tmp_path / "pure"))
    _python(pure, STEPS)
    pure.close()
    fast = open_store(_cfg(tmp_path / "fast"))
    _fast(fast, STEPS)
    fast._wal.sync()
    fast._capture.close()
    fast._wal.close()
    fast._checkpointer.close()
    fast._lock.release()  # the process "dies" here: the JSONL buffers never reach the files
    again = open_store(_cfg(tmp_path / "fast"))
    replayed = again.stats()["recovered_events"]
    again.close()
    expected = _files(tmp_path / "pure")
    assert _files(tmp_path / "fast") == expected
    assert replayed > 12_000
