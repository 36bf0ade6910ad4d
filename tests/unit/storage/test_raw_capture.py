"""Raw capture files: binary records written off the read loop, read back byte for byte in
both the binary and the older JSON-lines format, failures counted, SIGKILL loses nothing a
checkpoint covered."""

from __future__ import annotations

import os
import signal
import struct
import subprocess
import sys
from pathlib import Path

import pytest
import zstandard

from mdc.storage import raw as raw_module
from mdc.storage.capture import FrameCapture
from mdc.storage.raw import MAX_OPEN, RECORD_HEAD, iter_raw, raw_paths

T = 1_709_251_200_000_000_000  # 2024-03-01T00:00:00Z
FRAMES: list[bytes | str] = [
    '{"type":"match","price":"1.5"}',
    b"\xff\xfe binary",
    b"",
    "caf\u00e9 \u2603",
    bytes(range(256)) * 2000,  # one frame larger than a batch
]


def as_bytes(frame: bytes | str) -> bytes:
    return frame.encode("utf-8") if isinstance(frame, str) else frame


def test_frames_come_back_byte_for_byte_across_batches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(raw_module, "FLUSH_BYTES", 4096)  # many batches, many zstd frames
    capture = FrameCapture(tmp_path)
    frames = [FRAMES[i % len(FRAMES)] for i in range(200)]
    for i, frame in enumerate(frames):
        capture.write_raw("coinbase", T + i, frame)
    capture.close()
    path = tmp_path / "_raw/coinbase/2024-03-01.frames.zst"
    got = list(iter_raw(path))
    assert got == [(T + i, as_bytes(f)) for i, f in enumerate(frames)]
    assert (capture.raw.frames, capture.raw.errors) == (200, 0)
    assert capture.raw.bytes == path.stat().st_size


def test_older_json_lines_files_read_the_same(tmp_path: Path) -> None:
    lines = (
        b'{"ts_recv":1,"frame":"{\\"a\\":1}"}\n'
        b'{"ts_recv":2,"frame_b64":"//4gYmluYXJ5"}\n'
        b'{"ts_recv":3,"frame":"caf\xc3\xa9"}\n'
    )
    cctx = zstandard.ZstdCompressor()
    directory = tmp_path / "_raw/p"
    directory.mkdir(parents=True)
    old = directory / "2024-03-01.jsonl.zst"
    cut = lines.index(b"\n") + 1  # the old writer ended a zstd frame at a line's end
    old.write_bytes(cctx.compress(lines[:cut]) + cctx.compress(lines[cut:]))
    assert list(iter_raw(old)) == [(1, b'{"a":1}'), (2, b"\xff\xfe binary"), (3, b"caf\xc3\xa9")]
    capture = FrameCapture(tmp_path)
    capture.write_raw("p", T + 5, "new")
    capture.write_raw("p", T - 86_400 * 10**9, "yesterday")
    capture.close()
    names = [p.name for p in raw_paths(directory)]
    assert names == ["2024-02-29.frames.zst", "2024-03-01.jsonl.zst", "2024-03-01.frames.zst"]
    every = [rec for path in raw_paths(directory) for rec in iter_raw(path)]
    assert [frame for _, frame in every] == [b"yesterday", b'{"a":1}', b"\xff\xfe binary",
                                             b"caf\xc3\xa9", b"new"]  # fmt: skip


def test_a_record_running_past_its_frame_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "2024-03-01.frames.zst"
    body = RECORD_HEAD.pack(T, 10) + b"short"
    path.write_bytes(zstandard.ZstdCompressor().compress(body))
    with pytest.raises(ValueError, match="runs past its frame"):
        list(iter_raw(path))
    path.write_bytes(zstandard.ZstdCompressor().compress(struct.pack("<q", T)))
    with pytest.raises(ValueError, match="head is cut"):
        list(iter_raw(path))


def test_a_failed_write_is_counted_never_raised(tmp_path: Path) -> None:
    capture = FrameCapture(tmp_path)
    capture.write_raw("p", T, "kept")
    capture.flush()
    capture.write_raw("p", T + 1, "lost")
    (f,) = capture.raw.files.values()
    full = os.open("/dev/full", os.O_WRONLY)
    saved = os.dup(f.fd)
    os.dup2(full, f.fd)  # the next write fails with ENOSPC, on the worker thread
    capture.flush()
    assert capture.raw.errors == 1
    assert capture.last_error == "raw capture write failed: No space left on device"
    os.dup2(saved, f.fd)
    for fd in (full, saved):
        os.close(fd)
    capture.write_raw("p", T + 2, "after")
    capture.close()
    assert list(iter_raw(f.path)) == [(T, b"kept"), (T + 2, b"after")]


def test_files_retired_for_the_handle_limit_keep_every_frame(tmp_path: Path) -> None:
    capture = FrameCapture(tmp_path)
    providers = [f"p{i}" for i in range(MAX_OPEN + 6)]
    for round_ in range(3):
        for i, name in enumerate(providers):
            capture.write_raw(name, T + round_, f"{name}-{round_}-{i}")
    capture.close()
    for i, name in enumerate(providers):
        got = list(iter_raw(tmp_path / "_raw" / name / "2024-03-01.frames.zst"))
        assert got == [(T + r, f"{name}-{r}-{i}".encode()) for r in range(3)]


WRITER = """
import sys
from pathlib import Path
from mdc.config.schema import StorageConfig
from mdc.storage import open_store

store = open_store(StorageConfig(root=sys.argv[1], min_free_mb=0))
T = int(sys.argv[2])
for i in range(3000):
    store.write_raw("p", T + i, b"frame-%d" % i)
store.checkpoint()
print("checkpointed", flush=True)
i = 3000
while True:  # until killed: batches go to the worker while the kill lands
    store.write_raw("p", T + i, b"frame-%d" % i + bytes(i % 500))
    i += 1
"""


def test_sigkill_keeps_every_frame_a_checkpoint_covered(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(tmp_path), str(T)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline() == "checkpointed\n"
    path = tmp_path / "_raw/p/2024-03-01.frames.zst"
    size = path.stat().st_size
    while path.stat().st_size < size + 20_000:  # batches written after the checkpoint
        assert proc.poll() is None
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    capture = FrameCapture(tmp_path)  # reopening cuts a torn last zstd frame
    capture.write_raw("p", T + 10**9, "after restart")
    capture.close()
    got = list(iter_raw(path))
    n = len(got) - 1
    assert n > 3000
    assert got[:n] == [(T + i, b"frame-%d" % i + bytes(i % 500 if i >= 3000 else 0))
                       for i in range(n)]  # fmt: skip
    assert got[-1] == (T + 10**9, b"after restart")
