"""``mdc config validate|show|init|reload``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import msgspec
import typer

from mdc.cli.common import (
    EXIT_FAILURE,
    EXIT_USAGE,
    LOCAL_CONFIG,
    ConfigOption,
    console,
    fail,
    load,
)
from mdc.cli.remote import CollectorUnavailable, UrlOption, call_json, collector_url
from mdc.config import to_dict
from mdc.config.sample import SAMPLE_CONFIG

app = typer.Typer(help="Check, show and create configuration files.", no_args_is_help=True)


@app.command()
def validate(config_path: ConfigOption = None) -> None:
    """Validate the config (file + MDC_* env vars); exit 2 with the bad key named.

    The config used (``--config``, ``$MDC_CONFIG``, else ``./mdc.toml``) is named on stderr.
    """
    load(config_path, announce=True)
    console.print("config OK")


@app.command()
def show(
    config_path: ConfigOption = None,
    fmt: Annotated[str, typer.Option("--format", help="json or toml")] = "toml",
) -> None:
    """Print the effective config (defaults + file + env), secrets masked.

    Which config that is goes to stderr, so stdout stays valid TOML or JSON.
    """
    data = to_dict(load(config_path, announce=True))
    if fmt == "json":
        console.print_json(msgspec.json.encode(data).decode())
    elif fmt == "toml":
        typer.echo(_to_toml(data))
    else:
        fail(f"--format: must be json or toml, got {fmt!r}", EXIT_USAGE)


@app.command()
def reload(config_path: ConfigOption = None, url: UrlOption = None) -> None:
    """Make the running collector reload its config file now (as SIGHUP or an edit would):
    print what was applied and what needs a restart; exit 1 when the new config is refused
    (the collector keeps running on the previous one)."""
    config = load(config_path)
    try:
        result = call_json("POST", collector_url(config, url), "/api/config/reload", config, 30.0)
    except CollectorUnavailable as exc:
        fail(str(exc), EXIT_FAILURE)
    console.print(result["message"], highlight=False, soft_wrap=True, markup=False)


@app.command()
def init(
    path: Annotated[Path, typer.Argument(help="Where to write the sample.")] = Path("mdc.toml"),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented sample config."""
    if path.exists() and not force:
        fail(f"{path} exists (use --force to overwrite)", EXIT_USAGE)
    path.write_text(SAMPLE_CONFIG, encoding="utf-8")
    console.print(f"wrote {path}")
    if path.resolve() != LOCAL_CONFIG.resolve():
        console.print(f"use it with --config {path} (or MDC_CONFIG={path})", highlight=False)
    else:
        console.print("mdc reads ./mdc.toml from this directory by itself", highlight=False)


def _to_toml(data: dict[str, object], prefix: str = "") -> str:
    """Minimal TOML writer for display: scalars first, then sub-tables."""
    lines: list[str] = []
    tables: list[tuple[str, dict[str, object]]] = []
    for key, value in data.items():
        if isinstance(value, dict):
            tables.append((f"{prefix}{key}", value))
        else:
            lines.append(f"{key} = {_toml_value(value)}")
    out = "\n".join(lines)
    for name, table in tables:
        body = _to_toml(table, f"{name}.")
        out += f"\n\n[{name}]\n{body}" if body.strip() else f"\n\n[{name}]"
    return out.strip()


def _toml_value(value: object) -> str:
    if value is None:
        return '""  # unset'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return msgspec.json.encode(value).decode()
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return str(value)
