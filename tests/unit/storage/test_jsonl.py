from __future__ import annotations

import gzip
from pathlib import Path

import pytest
import zstandard

from mdc.storage.jsonl import JsonlFile, complete_length, iter_frames, read_jsonl_bytes


@pytest.mark.parametrize(
    ("compression", "suffix"), [("none", ""), ("gzip", ".gz"), ("zstd", ".zst")]
)
def test_frames_end_at_checkpoints_so_committed_lengths_are_readable(
    tmp_path: Path, compression: str, suffix: str
) -> None:
    f = JsonlFile(tmp_path, f"a/x.jsonl{suffix}", compression, key=1, end_ns=0, lsn=0)
    f.write(b'{"a":1}\n', 1)
    f.end_frame()
    committed = f.length
    f.write(b'{"a":2}\n{"a":3}\n', 2)
    f.flush()  # written but the frame is still open, as between two checkpoints
    assert read_jsonl_bytes(f.path) == (
        b'{"a":1}\n' if compression != "none" else b'{"a":1}\n{"a":2}\n{"a":3}\n'
    )
    f.close()
    assert read_jsonl_bytes(f.path, strict=True) == b'{"a":1}\n{"a":2}\n{"a":3}\n'
    with f.path.open("r+b") as fh:
        fh.truncate(committed)
    assert read_jsonl_bytes(f.path, strict=True) == b'{"a":1}\n'
    again = JsonlFile(tmp_path, f"a/x.jsonl{suffix}", compression, key=1, end_ns=0, lsn=0)
    assert again.length == committed
    again.write(b'{"a":4}\n', 3)
    again.close()
    assert read_jsonl_bytes(f.path, strict=True) == b'{"a":1}\n{"a":4}\n'
    if compression == "gzip":
        assert gzip.decompress(f.path.read_bytes()) == b'{"a":1}\n{"a":4}\n'
    if compression == "zstd":
        reader = zstandard.ZstdDecompressor().stream_reader(
            f.path.open("rb"), read_across_frames=True
        )
        assert reader.read() == b'{"a":1}\n{"a":4}\n'


def test_strict_reading_rejects_a_torn_end(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_bytes(b'{"a":1}\n{"a":')
    assert read_jsonl_bytes(path) == b'{"a":1}\n'
    with pytest.raises(ValueError, match="last line is incomplete"):
        read_jsonl_bytes(path, strict=True)
    zpath = tmp_path / "x.jsonl.zst"
    data = zstandard.ZstdCompressor().compress(b"1\n") + zstandard.ZstdCompressor().compress(b"2\n")
    zpath.write_bytes(data[:-3])
    with pytest.raises(ValueError, match="unfinished zstd frame"):
        read_jsonl_bytes(zpath, strict=True)
    assert complete_length(data[:-3], "zstd") == len(zstandard.ZstdCompressor().compress(b"1\n"))
    assert [end for _, end, _ in iter_frames(data, "zstd")][-1] == len(data)
