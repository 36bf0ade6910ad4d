"""The effective config (secrets masked) and validation of a config file's text."""

from __future__ import annotations

import tomllib
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from mdc.config.load import ConfigError, convert, to_dict
from mdc.config.schema import Config
from mdc.providers.registry import check_config
from mdc.web.state import WebState, get_web

router = APIRouter(prefix="/api/config", tags=["config"])
MAX_CONFIG_CHARS: Final = 1_000_000


class ConfigText(BaseModel):
    model_config = ConfigDict(extra="forbid")
    toml: str = Field(max_length=MAX_CONFIG_CHARS, description="A config file's text (TOML).")


@router.get("", summary="The effective configuration, secrets masked")
async def show(web: Annotated[WebState, Depends(get_web)]) -> dict[str, Any]:
    return to_dict(web.config)


@router.post("/validate", summary="Check a config file's text; the error names the bad key")
async def validate(body: ConfigText) -> dict[str, Any]:
    try:
        raw = tomllib.loads(body.toml)
    except tomllib.TOMLDecodeError as exc:
        return {"valid": False, "error": f"not valid TOML: {exc}"}
    try:
        check_config(convert(raw, Config))
    except ConfigError as exc:
        return {"valid": False, "error": str(exc)}
    return {"valid": True, "error": None}
