"""File imports recorded in the archive root (``mdc import …``): what was imported, how far.

Read-only: imports run from the CLI (``mdc import nyse-xdp|taq FILE``), which needs the root's
write lock, so a running collector's API reports them rather than starting them.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from fastapi import APIRouter, Depends

from mdc.backfill.imports import list_states
from mdc.web.state import WebState, get_web

router = APIRouter(prefix="/api/imports", tags=["imports"])


@router.get("", summary="Every file import of this archive root, newest first")
async def list_imports(web: Annotated[WebState, Depends(get_web)]) -> list[dict[str, Any]]:
    return [msgspec.to_builtins(s) for s in list_states(web.root)]
