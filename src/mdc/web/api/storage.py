"""The archive: stats, per-day coverage, a browsable tree, file downloads, verification."""

from __future__ import annotations

import asyncio
import os
import shutil
import stat
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, HTTPException, Query, status
from fastapi.responses import StreamingResponse

from mdc.domain.time import now_ns
from mdc.storage.archive import open_archive
from mdc.storage.coverage import MAX_COLUMNS, coverage, holdings
from mdc.storage.layout import CONTROL_DIR
from mdc.storage.usage import DiskFigures, usage_summary
from mdc.web.security import MutatingRoute
from mdc.web.state import WebState, get_web

router = APIRouter(prefix="/api/storage", tags=["storage"])
Web = Annotated[WebState, Depends(get_web)]
RelPath = Annotated[
    str, Query(max_length=1024, description="Path relative to the archive root ('' = root).")
]
MAX_ENTRIES: Final = 2000
DOWNLOAD_CHUNK: Final = 1 << 16
MAX_WALK_FILES: Final = 200_000


def resolve(root: Path, rel: str) -> Path:
    """``rel`` inside the archive root; anything that escapes it (``..``, symlinks) is a 404."""
    base = root.resolve()
    if "\x00" in rel:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, detail="path contains a NUL byte")
    target = (base / rel.lstrip("/")).resolve()
    if not target.is_relative_to(base) or not target.exists():
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no such path in the archive: {rel}")
    return target


def _entry(path: Path, base: Path) -> dict[str, Any] | None:
    try:
        st = path.lstat()
    except OSError:
        return None
    if stat.S_ISLNK(st.st_mode):
        return None
    is_dir = stat.S_ISDIR(st.st_mode)
    return {
        "name": path.name,
        "path": path.relative_to(base).as_posix(),
        "dir": is_dir,
        "size": 0 if is_dir else st.st_size,
        "mtime": st.st_mtime,
    }


def list_dir(root: Path, rel: str) -> dict[str, Any]:
    base = root.resolve()
    target = resolve(root, rel)
    if not target.is_dir():
        raise HTTPException(status.HTTP_400_BAD_REQUEST, detail=f"not a directory: {rel}")
    entries: list[dict[str, Any]] = []
    truncated = False
    with os.scandir(target) as it:
        for item in it:
            if target == base and item.name == CONTROL_DIR:
                continue  # the WAL, checkpoints and locks are the store's, not archive files
            if len(entries) >= MAX_ENTRIES:
                truncated = True
                break
            entry = _entry(Path(item.path), base)
            if entry is not None:
                entries.append(entry)
    entries.sort(key=lambda e: (not e["dir"], e["name"]))
    rel_path = target.relative_to(base).as_posix()
    return {"path": "" if rel_path == "." else rel_path, "entries": entries, "truncated": truncated}


def walk_stats(root: Path) -> dict[str, Any]:
    """Files and bytes under the root, per top-level folder (bounded walk)."""
    files = 0
    size = 0
    by_top: dict[str, dict[str, int]] = {}
    truncated = False
    if root.is_dir():
        for dirpath, _, names in os.walk(root):
            top = Path(dirpath).relative_to(root).parts[:1]
            bucket = by_top.setdefault(top[0] if top else ".", {"files": 0, "bytes": 0})
            for name in names:
                try:
                    n = os.stat(os.path.join(dirpath, name), follow_symlinks=False).st_size
                except OSError:
                    continue
                files += 1
                size += n
                bucket["files"] += 1
                bucket["bytes"] += n
            if files >= MAX_WALK_FILES:
                truncated = True
                break
    return {"files": files, "bytes": size, "by_folder": by_top, "truncated": truncated}


@router.get("/stats", summary="Disk use, write rate, WAL lag and the store's own figures")
async def stats(web: Web) -> dict[str, Any]:
    """``summary``: what an operator needs (disk used/free against the budget, measured write
    rate and projected daily size, WAL lag, checkpoint age, errors; see
    :func:`mdc.storage.usage.usage_summary`); ``disk``: files and bytes per top-level folder;
    ``store``: every counter of the running store (absent under ``mdc serve``)."""
    out: dict[str, Any] = {"root": str(web.root), "format": web.config.storage.format}
    walked = await asyncio.to_thread(walk_stats, web.root)
    out["disk"] = walked
    store = web.runtime.storage_stats() if web.runtime is not None else None
    try:
        fs = shutil.disk_usage(web.root if web.root.exists() else web.root.parent)
    except OSError as exc:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            detail=f"cannot read the free space of {web.root}: {exc}",
        ) from exc
    disk = DiskFigures(used_bytes=walked["bytes"], free_bytes=fs.free, total_bytes=fs.total)
    rate = web.write_rate if store is not None else None
    # A store that cannot report (storage_stats says why) gives the disk figures only.
    counters = store.counters if store is not None else None
    out["summary"] = usage_summary(counters, disk, web.config.storage, rate, now_ns())
    if store is not None:
        out["store"] = store.document()
    return out


@router.get("/tree", summary="One folder of the archive")
async def tree(web: Web, path: RelPath = "") -> dict[str, Any]:
    if not web.root.exists():
        return {"path": "", "entries": [], "truncated": False}
    return await asyncio.to_thread(list_dir, web.root, path)


@router.get(
    "/download",
    summary="Download one archive file",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
async def download(web: Web, path: RelPath) -> StreamingResponse:
    target = resolve(web.root, path)
    if not target.is_file():
        raise HTTPException(status.HTTP_400_BAD_REQUEST, detail=f"not a file: {path}")
    return prefix_response(target)


def prefix_response(path: Path) -> StreamingResponse:
    """The file as it is now: exactly the bytes its size says at the start. A file the
    collector is appending to grows while it is sent; sending to its end would overrun the
    Content-Length and the server would drop the connection."""
    size = path.stat().st_size

    def chunks() -> Iterator[bytes]:
        with path.open("rb") as f:
            left = size
            while left > 0:
                chunk = f.read(min(DOWNLOAD_CHUNK, left))
                if not chunk:
                    raise OSError(f"{path} shrank while it was sent")
                left -= len(chunk)
                yield chunk

    headers = {
        "content-length": str(size),
        "content-disposition": f'attachment; filename="{path.name}"',
    }
    return StreamingResponse(chunks(), media_type="application/octet-stream", headers=headers)


@router.get("/coverage", summary="Rows per symbol, type and day (the coverage grid)")
async def storage_coverage(
    web: Web,
    type: Annotated[str | None, Query(max_length=64, description="Only this event type.")] = None,
    symbol: Annotated[str | None, Query(max_length=64, description="Only this symbol.")] = None,
    end: Annotated[
        date | None, Query(description="Last day shown (default: last with data).")
    ] = None,
    days: Annotated[int, Query(ge=1, le=MAX_COLUMNS, description="Days (months) shown.")] = 31,
) -> dict[str, Any]:
    if not web.root.is_dir():
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, detail=f"archive root {web.root} does not exist"
        )

    def build() -> dict[str, Any]:
        archive = open_archive(web.root, row_counter=web.rows)
        return coverage(archive, web.rows, type, symbol, end.isoformat() if end else None, days)

    return await asyncio.to_thread(build)


@router.get("/contents", summary="What the archive holds: symbols, types, first and last day")
async def contents(web: Web) -> dict[str, Any]:
    if not web.root.is_dir():
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, detail=f"archive root {web.root} does not exist"
        )
    return await asyncio.to_thread(lambda: holdings(open_archive(web.root)))


@router.get("/verify", summary="State and result of the latest archive verification")
async def verify_state(web: Web) -> dict[str, Any]:
    return web.verifier.snapshot()


@router.post(
    "/verify",
    status_code=status.HTTP_202_ACCEPTED,
    dependencies=[MutatingRoute],
    summary="Verify every archive file (as `mdc archive verify`), in the background",
)
async def verify_start(web: Web) -> dict[str, Any]:
    """Starts a run unless one is running; poll ``GET /api/storage/verify`` for the table."""
    if not web.root.is_dir():
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, detail=f"archive root {web.root} does not exist"
        )
    web.verifier.start()
    return web.verifier.snapshot()
