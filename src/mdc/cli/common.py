"""Pieces every command shares: config loading with clean errors, exit codes, the console."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Final, NoReturn

import typer
from rich.console import Console

from mdc.config import Config, ConfigError, load_config

EXIT_OK: Final = 0
EXIT_FAILURE: Final = 1
EXIT_USAGE: Final = 2

console = Console()
err_console = Console(stderr=True)

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        help="Config file (TOML). Default: $MDC_CONFIG, else built-in defaults.",
        envvar="MDC_CONFIG",
        show_envvar=False,
    ),
]


def fail(message: str, code: int = EXIT_FAILURE) -> NoReturn:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def load(path: Path | None, overrides: dict[str, Any] | None = None) -> Config:
    """The config, or a message naming the bad key and exit code 2."""
    try:
        return load_config(path, overrides=overrides)
    except ConfigError as exc:
        fail(str(exc), EXIT_USAGE)


def split_symbols(value: str | None) -> list[str] | None:
    if value is None:
        return None
    symbols = [s.strip() for s in value.split(",") if s.strip()]
    if not symbols:
        fail("--symbols: give at least one symbol, e.g. --symbols SPY,AAPL", EXIT_USAGE)
    return symbols
