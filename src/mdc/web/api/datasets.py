"""Datasets: packages of this archive (list, create, verify, download) and re-derivation from
raw frames, the long ones as jobs the page polls (``web/jobs.py``).

Packages live in ``<root>/_packages/``; a re-derived version is written beside the root
(``<root's parent>/<out>``), never over it. Importing a package needs the root's write lock, so
it stays on the command line (``mdc package import``).
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path as FsPath
from typing import Annotated, Any, Final, Literal

import msgspec
from fastapi import APIRouter, Depends, HTTPException, Path, status
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field

from mdc.backfill.packages import (
    PACKAGES_DIR,
    create_package,
    list_packages,
    select_files,
    verify_package,
)
from mdc.backfill.rederive import rederive
from mdc.storage.archive import open_archive
from mdc.web.jobs import Job
from mdc.web.security import MutatingRoute
from mdc.web.state import WebState, get_web

router = APIRouter(prefix="/api/datasets", tags=["datasets"])
Web = Annotated[WebState, Depends(get_web)]
NAME_RE: Final = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
PackageFile = Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}\.(tar\.zst|zip)$")]


class PackageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=NAME_RE, description="File name without the extension")
    format: Literal["tar.zst", "zip"] = "tar.zst"
    symbols: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field([], max_length=1000)
    types: list[Annotated[str, Field(min_length=1, max_length=32)]] = Field([], max_length=20)
    start: date | None = None
    end: date | None = None
    description: str = Field("", max_length=500)


class RederiveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    provider: str = Field(min_length=1, max_length=64)
    start: date
    end: date
    out: str = Field(pattern=NAME_RE, description="Directory beside the archive root")


def _view(job: Job[dict[str, Any], Any]) -> dict[str, Any]:
    return {
        "id": job.id,
        "kind": job.kind,
        "params": job.params,
        "state": job.state,
        "result": job.result,
        "error": job.error,
        "started_ns": job.created_ns,
        "finished_ns": job.finished_ns,
    }


def _packages_dir(web: WebState) -> FsPath:
    return web.root / PACKAGES_DIR


@router.get("/packages", summary="Packages in <root>/_packages with their manifests")
async def packages(web: Web) -> list[dict[str, Any]]:
    out = []
    for path, manifest, error in list_packages(_packages_dir(web)):
        summary = None
        if manifest is not None:
            summary = msgspec.to_builtins(manifest)
            summary["file_count"] = len(summary.pop("files"))
        out.append(
            {"file": path.name, "bytes": path.stat().st_size, "manifest": summary, "error": error}
        )
    return out


@router.post(
    "/packages",
    status_code=status.HTTP_202_ACCEPTED,
    dependencies=[MutatingRoute],
    summary="Create a package (a job)",
)
async def create(web: Web, body: PackageIn) -> dict[str, Any]:
    target = _packages_dir(web) / f"{body.name}.{body.format}"
    if target.exists():
        raise HTTPException(status.HTTP_409_CONFLICT, detail=f"{target.name} exists")
    try:
        archive = open_archive(web.root)
        files = select_files(archive, body.symbols, body.types, body.start, body.end)
    except FileNotFoundError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(exc)) from None
    except ValueError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, detail=str(exc)) from None
    if not files:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST, detail="nothing selected: check symbols, types, dates"
        )

    def work(_job_id: str) -> Any:
        manifest = create_package(archive, target, files, body.name, body.description)
        return {"file": target.name, "files": len(manifest.files), "rows": manifest.rows}

    return _view(web.jobs.start("package", body.model_dump(mode="json"), work))


@router.post(
    "/packages/{file}/verify",
    status_code=status.HTTP_202_ACCEPTED,
    dependencies=[MutatingRoute],
    summary="Verify a package's hashes and row counts (a job)",
)
async def verify(web: Web, file: PackageFile) -> dict[str, Any]:
    path = _packages_dir(web) / file
    if not path.is_file():
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no package {file}")
    job = web.jobs.start(
        "verify", {"file": file}, lambda _id: msgspec.to_builtins(verify_package(path))
    )
    return _view(job)


@router.get("/packages/{file}", summary="Download a package", response_class=FileResponse)
async def download(web: Web, file: PackageFile) -> FileResponse:
    path = _packages_dir(web) / file
    if not path.is_file():
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no package {file}")
    return FileResponse(path, filename=file, media_type="application/octet-stream")


@router.post(
    "/rederive",
    status_code=status.HTTP_202_ACCEPTED,
    dependencies=[MutatingRoute],
    summary="Re-derive a provider's raw frames into a new archive version (a job)",
)
async def rederive_job(web: Web, body: RederiveIn) -> dict[str, Any]:
    if body.end < body.start:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, detail="end is before start")
    out = web.root.resolve().parent / body.out
    if out.exists():
        raise HTTPException(status.HTTP_409_CONFLICT, detail=f"{out} exists; choose a new name")
    if not re.fullmatch(NAME_RE, body.provider):
        raise HTTPException(status.HTTP_400_BAD_REQUEST, detail="bad provider name")

    def work(_job_id: str) -> Any:
        report = rederive(web.config, web.root, out, body.provider, body.start, body.end)
        return msgspec.to_builtins(report)

    return _view(web.jobs.start("rederive", body.model_dump(mode="json"), work))


@router.get("/jobs", summary="Dataset jobs of this server, newest first")
async def jobs(web: Web) -> list[dict[str, Any]]:
    return [_view(j) for j in web.jobs.list()]


@router.get("/jobs/{job_id}", summary="One dataset job with its result")
async def job(web: Web, job_id: Annotated[str, Path(max_length=64)]) -> dict[str, Any]:
    found = web.jobs.get(job_id)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no job {job_id}")
    return _view(found)
