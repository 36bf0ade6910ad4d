"""Backfill jobs: list, start, watch, pause, resume, cancel — through the collector's
:class:`~mdc.backfill.service.BackfillService`.

A server without the service (``mdc serve`` over an archive) answers 501 with a message that
says where backfills run; it never invents jobs. ``/gaps`` reads the archive alone, so it
answers there too.
"""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, HTTPException, Path, Query, status
from pydantic import BaseModel, ConfigDict, Field

from mdc.backfill.archive import FileArchive
from mdc.backfill.gaps import GapFinder
from mdc.backfill.jobs import JobBusy, JobStore
from mdc.backfill.service import BackfillService, JobError, JobNotFound
from mdc.config.schema import BackfillType
from mdc.web.security import MutatingRoute
from mdc.web.state import WebState, get_web

router = APIRouter(prefix="/api/backfill", tags=["backfill"])
Web = Annotated[WebState, Depends(get_web)]
UNAVAILABLE: Final = (
    "backfill is not available here: jobs run inside `mdc collect` (or use `mdc backfill` "
    "from the command line)"
)
JobId = Annotated[str, Path(max_length=128)]


class JobIn(BaseModel):
    """A backfill request; the service validates it further (dates, granularity, providers)."""

    model_config = ConfigDict(extra="forbid")
    symbols: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(
        min_length=1, max_length=1000
    )
    start: date
    end: date
    type: BackfillType = "bars"
    granularity: str = Field("1d", max_length=16, description="1d, 1h, 1m … (bars only)")
    providers: list[Annotated[str, Field(max_length=64)]] = Field([], max_length=20)
    priority: int = Field(0, ge=-1000, le=1000)
    adjusted: bool = True
    chunk_days: int | None = Field(None, ge=1, le=3650)
    repair: bool = False


def _service(web: WebState) -> BackfillService:
    if web.backfill is None:
        raise HTTPException(status.HTTP_501_NOT_IMPLEMENTED, detail=UNAVAILABLE)
    service: BackfillService = web.backfill
    return service


def _call(fn: Any, *args: Any) -> dict[str, Any]:
    try:
        result: dict[str, Any] = fn(*args)
    except JobNotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=str(exc)) from None
    except JobError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, detail=str(exc)) from None
    except JobBusy as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(exc)) from None
    return result


GapKinds = Annotated[
    str, Query(alias="type", max_length=64, description="Comma-separated: trades, quotes, bars.")
]


@router.get(
    "/gaps",
    summary="What the archive lacks in the sessions that have ended, and what was judged",
)
async def find_gaps(
    web: Web,
    symbols: Annotated[
        str | None, Query(max_length=4096, description="Comma-separated; default: configured.")
    ] = None,
    start: Annotated[
        date | None, Query(alias="from", description="Default: each symbol's first stored data.")
    ] = None,
    end: Annotated[date | None, Query(alias="to", description="Default: now.")] = None,
    kinds_text: GapKinds = "trades,quotes",
    granularity: Annotated[str, Query(max_length=16, description="Bars checked.")] = "1m",
    tolerance_s: Annotated[float | None, Query(gt=0, le=86_400)] = None,
) -> dict[str, Any]:
    names = [s.strip() for s in (symbols or "").split(",") if s.strip()] or [
        s.symbol for s in web.config.symbol_configs()
    ]
    kinds = [k.strip() for k in kinds_text.split(",") if k.strip()]
    finder = GapFinder(web.config, FileArchive(web.root), JobStore(web.root))
    try:
        report = await asyncio.to_thread(
            finder.report, names, start, end, kinds, granularity, tolerance_s
        )
    except ValueError as exc:  # GapFinderError, CalendarError, a bad interval
        raise HTTPException(status.HTTP_400_BAD_REQUEST, detail=str(exc)) from None
    return report.to_dict()


@router.get("/jobs", summary="Backfill jobs with their progress counters, newest first")
async def list_jobs(web: Web) -> list[dict[str, Any]]:
    return _service(web).list_jobs()


@router.post(
    "/jobs",
    status_code=status.HTTP_201_CREATED,
    dependencies=[MutatingRoute],
    summary="Queue a backfill job",
)
async def start_job(web: Web, body: JobIn) -> dict[str, Any]:
    service = _service(web)
    return _call(service.start, body.model_dump(mode="json", exclude_none=True))


@router.get("/jobs/{job_id}", summary="One job's progress: counters, per symbol, recent chunks")
async def get_job(web: Web, job_id: JobId) -> dict[str, Any]:
    return _call(_service(web).progress, job_id)


@router.post("/jobs/{job_id}/pause", dependencies=[MutatingRoute], summary="Pause a job")
async def pause_job(web: Web, job_id: JobId) -> dict[str, Any]:
    return _call(_service(web).pause, job_id)


@router.post("/jobs/{job_id}/resume", dependencies=[MutatingRoute], summary="Resume a job")
async def resume_job(web: Web, job_id: JobId) -> dict[str, Any]:
    return _call(_service(web).resume, job_id)


@router.delete("/jobs/{job_id}", dependencies=[MutatingRoute], summary="Cancel a job")
async def cancel_job(web: Web, job_id: JobId) -> dict[str, Any]:
    return _call(_service(web).cancel, job_id)
