"""Backfill jobs: list, start, watch, cancel.

This build has no backfill service yet, so every route answers 501 with a message that says
so (never invented jobs); the dashboard shows that message on its Backfill page.
"""

from __future__ import annotations

from typing import Annotated, Any, Final, NoReturn

from fastapi import APIRouter, HTTPException, Path, status

from mdc.web.security import MutatingRoute

router = APIRouter(prefix="/api/backfill", tags=["backfill"])
UNAVAILABLE: Final = (
    "backfill is not available in this build: the backfill service (mdc.backfill) is not "
    "installed yet; use `mdc backfill` once it is"
)
JobId = Annotated[str, Path(max_length=128)]


def _unavailable() -> NoReturn:
    raise HTTPException(status.HTTP_501_NOT_IMPLEMENTED, detail=UNAVAILABLE)


@router.get("/jobs", summary="Backfill jobs and their progress (501 in this build)")
async def list_jobs() -> list[dict[str, Any]]:
    _unavailable()


@router.post("/jobs", dependencies=[MutatingRoute], summary="Start a backfill job (501)")
async def start_job() -> dict[str, Any]:
    _unavailable()


@router.get("/jobs/{job_id}", summary="One job's progress (501 in this build)")
async def get_job(job_id: JobId) -> dict[str, Any]:
    _unavailable()


@router.delete("/jobs/{job_id}", dependencies=[MutatingRoute], summary="Cancel a job (501)")
async def cancel_job(job_id: JobId) -> dict[str, Any]:
    _unavailable()
