"""Exports of the archive in Lean's format (``mdc export lean``): start a job, follow it,
download the result as one zip of the Lean data folder."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, HTTPException, status
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field, model_validator

from mdc.integrations.lean.export import SecurityChoice
from mdc.integrations.lean.paths import Resolution
from mdc.web.exports import ExportJob, ExportSpec, start_export
from mdc.web.security import MutatingRoute
from mdc.web.state import WebState, get_web

router = APIRouter(prefix="/api/export", tags=["export"])
MAX_DAYS: Final = 36_600
Web = Annotated[WebState, Depends(get_web)]


class LeanExportRequest(BaseModel):
    symbols: list[Annotated[str, Field(min_length=1, max_length=32)]] = Field(
        min_length=1, max_length=200, description="Archive symbols (SPY, BTC/USD …)."
    )
    start: date = Field(description="First date (data time zone), inclusive.")
    end: date = Field(description="Last date, inclusive.")
    resolution: Resolution = "minute"
    security_type: SecurityChoice = "auto"
    market: str | None = Field(None, max_length=32, pattern=r"^[a-z0-9]+$")

    @model_validator(mode="after")
    def _ordered(self) -> LeanExportRequest:
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        if (self.end - self.start).days > MAX_DAYS:
            raise ValueError(f"at most {MAX_DAYS} days per export (about a century)")
        return self


def _view(job: ExportJob) -> dict[str, Any]:
    spec, out = job.params, job.result
    assert out is not None  # started with its progress record
    return {
        "id": job.id,
        "state": job.state,
        "symbols": spec.symbols,
        "start": spec.start.isoformat(),
        "end": spec.end.isoformat(),
        "resolution": spec.resolution,
        "security_type": spec.security_type,
        "created_ns": job.created_ns,
        "finished_ns": job.finished_ns,
        "files": [{"path": f.rel, "rows": f.rows, "source": f.source} for f in list(out.files)],
        "rows": out.rows,
        "empty": out.empty,
        "problems": out.problems,
        "error": job.error,
        "download": f"/api/export/jobs/{job.id}/download" if out.bundle else None,
        "bundle_bytes": out.bundle_bytes,
    }


@router.post(
    "/lean",
    status_code=status.HTTP_202_ACCEPTED,
    dependencies=[MutatingRoute],
    summary="Export symbols and dates in Lean's format (as `mdc export lean`), in the background",
)
async def start_lean(request: LeanExportRequest, web: Web) -> dict[str, Any]:
    if not web.root.is_dir():
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"archive root {web.root} does not exist")
    spec = ExportSpec(
        [s.strip().upper() for s in request.symbols],
        request.start,
        request.end,
        request.resolution,
        request.security_type,
        request.market,
    )
    return _view(start_export(web.exports, web.root, spec))


@router.get("/jobs", summary="Export jobs of this server, newest first")
async def list_jobs(web: Web) -> list[dict[str, Any]]:
    return [_view(j) for j in web.exports.list()]


def _job(web: WebState, job_id: str) -> ExportJob:
    job = web.exports.get(job_id)
    if job is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no export job {job_id!r}")
    return job


@router.get("/jobs/{job_id}", summary="One export job: state, files written, problems")
async def get_job(job_id: str, web: Web) -> dict[str, Any]:
    return _view(_job(web, job_id))


@router.get(
    "/jobs/{job_id}/download",
    response_class=FileResponse,
    summary="The exported Lean data folder as one zip",
)
async def download(job_id: str, web: Web) -> FileResponse:
    job = _job(web, job_id)
    bundle = job.result.bundle if job.result is not None else ""
    if not bundle or not Path(bundle).is_file():
        detail = f"export {job_id} is {job.state}" + (
            ": nothing was written" if job.state == "done" else ""
        )
        raise HTTPException(status.HTTP_409_CONFLICT, detail)
    return FileResponse(bundle, media_type="application/zip", filename=f"{job.id}.zip")
