"""Index constituent lists (S&P 500, Nasdaq-100, Dow 30): source and date, members, refresh."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from fastapi import APIRouter, Depends, HTTPException, Path, status

from mdc.domain.time import today_utc
from mdc.instruments.indexes import INDEXES, Indexes, IndexListError
from mdc.web.security import MutatingRoute
from mdc.web.state import WebState, get_web

router = APIRouter(prefix="/api/indexes", tags=["indexes"])
Web = Annotated[WebState, Depends(get_web)]
Name = Annotated[str, Path(pattern="^[a-z0-9]{1,32}$", description="sp500, nasdaq100, dow30")]


def _get(web: WebState, name: str) -> Any:
    try:
        return Indexes(web.root).get(name)
    except IndexListError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=str(exc.args[0])) from None


@router.get("", summary="The index lists: title, source, date, size")
async def list_indexes(web: Web) -> list[dict[str, Any]]:
    out = []
    for name in INDEXES:
        index = _get(web, name)
        out.append(
            {
                "name": name,
                "title": index.title,
                "source": index.source,
                "as_of": index.as_of,
                "members": len(index.members),
                "url": INDEXES[name].url,
            }
        )
    return out


@router.get("/{name}", summary="One index list with its members")
async def get_index(web: Web, name: Name) -> dict[str, Any]:
    data: dict[str, Any] = msgspec.to_builtins(_get(web, name))
    subscribed = set(web.runtime.symbols) if web.runtime is not None else set()
    for m in data["members"]:
        m["subscribed"] = m["symbol"] in subscribed
    return data


@router.post(
    "/{name}/refresh",
    dependencies=[MutatingRoute],
    summary="Read the public source page again and keep its list, dated today",
)
async def refresh_index(web: Web, name: Name) -> dict[str, Any]:
    _get(web, name)
    try:
        index = await Indexes(web.root).refresh(name, today_utc())
    except IndexListError as exc:
        raise HTTPException(status.HTTP_502_BAD_GATEWAY, detail=str(exc.args[0])) from None
    return {
        "name": name,
        "as_of": index.as_of,
        "source": index.source,
        "members": len(index.members),
    }
