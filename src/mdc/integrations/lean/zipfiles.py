"""Lean's zip container: one CSV entry per zip, read whatever its name, written deterministically.

Lean reads the **first** entry of a data zip (``ZipDataCacheProvider``), accepts Zip64 and data
descriptors, CRLF and trailing newlines; it writes LF between rows and none after the last
(``LeanDataWriter.WriteFile``). Our zips carry a fixed timestamp (1980-01-01) so the same data
gives the same bytes; the deflate stream itself can never match Lean's (another zlib), which is
why Lean-equality is defined on the entry name and its decompressed content
(``../shared/research/lean-format.md`` §8, read 2026-12-03).
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Final

FIXED_TIME: Final = (1980, 1, 1, 0, 0, 0)


class LeanZipError(ValueError):
    """A zip Lean could not read either (not a zip, or no entry)."""


def read_entry(path: Path) -> tuple[str, bytes]:
    """(name, content) of the first entry of the zip at ``path``."""
    try:
        with zipfile.ZipFile(path) as zf:
            infos = [i for i in zf.infolist() if not i.is_dir()]
            if not infos:
                raise LeanZipError(f"{path}: the zip has no entry")
            return infos[0].filename, zf.read(infos[0])
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise LeanZipError(f"{path}: not a readable zip ({exc})") from None


def rows(content: bytes) -> list[list[str]]:
    """The CSV rows of an entry: LF or CRLF, blank lines ignored, fields split on ``,``."""
    text = content.decode("utf-8-sig")
    return [line.split(",") for line in text.replace("\r\n", "\n").split("\n") if line.strip()]


def payload(lines: Iterable[str]) -> bytes:
    """Lean's file body: rows joined by LF, no final newline."""
    return "\n".join(lines).encode("ascii")


def write_zip(path: Path, entry: str, content: bytes) -> None:
    """Write ``path`` holding one deflated entry, atomically (a partial zip never shows)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    info = zipfile.ZipInfo(entry, date_time=FIXED_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    with zipfile.ZipFile(tmp, "w") as zf:
        zf.writestr(info, content, compress_type=zipfile.ZIP_DEFLATED, compresslevel=6)
    os.replace(tmp, path)
