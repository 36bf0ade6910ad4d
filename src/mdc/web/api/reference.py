"""Reference (instrument) tables of the archive root, e.g. the Daily TAQ master file by day.

Read-only: tables are written by ``mdc import taq EQY_US_ALL_REF_MASTER_…``
(``storage/reference.py``). ``GET /api/reference`` lists each table's days;
``GET /api/reference/{name}/{day}`` returns one day's rows (``day`` may be ``latest``), optionally
only ``symbol``'s.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, HTTPException, Path, Query, status

from mdc.storage.reference import read_rows, reference_days, reference_tables
from mdc.web.state import WebState, get_web

router = APIRouter(prefix="/api/reference", tags=["reference"])
Web = Annotated[WebState, Depends(get_web)]
MAX_ROWS: Final = 10_000


@router.get("", summary="Reference tables and the days each holds")
async def list_tables(web: Web) -> dict[str, list[str]]:
    return {
        name: [d.isoformat() for d in reference_days(web.root, name)]
        for name in reference_tables(web.root)
    }


@router.get("/{name}/{day}", summary="One day of a reference table (day YYYY-MM-DD or latest)")
async def table_rows(
    web: Web,
    name: Annotated[str, Path(pattern=r"^[a-z][a-z0-9_]{0,63}$")],
    day: Annotated[str, Path(pattern=r"^(latest|\d{4}-\d{2}-\d{2})$")],
    symbol: Annotated[str | None, Query(max_length=64, description="Only this symbol.")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_ROWS)] = 1000,
) -> dict[str, Any]:
    days = reference_days(web.root, name)
    if not days:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no reference table {name!r}")
    try:
        when = days[-1] if day == "latest" else date.fromisoformat(day)
    except ValueError:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, f"bad date {day!r}") from None
    if when not in days:
        held = ", ".join(d.isoformat() for d in days)
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"{name} has no {when} (days: {held})")
    rows = read_rows(web.root, name, when)
    if symbol is not None:
        rows = [r for r in rows if r.get("symbol") == symbol]
    return {"name": name, "day": when.isoformat(), "total": len(rows), "rows": rows[:limit]}
