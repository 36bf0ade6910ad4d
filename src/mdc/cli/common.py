"""Pieces every command shares: config loading with clean errors, exit codes, the console,
and tables that stay readable on a narrow terminal and when piped."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Final, NoReturn

import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.measure import Measurement
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from mdc.config import Config, ConfigError, load_config
from mdc.config.load import ENV_PREFIX
from mdc.log import setup_logging
from mdc.providers.registry import check_config

EXIT_OK: Final = 0
EXIT_FAILURE: Final = 1
EXIT_USAGE: Final = 2
LOCAL_CONFIG: Final = Path("mdc.toml")
"""Read from the working directory when neither ``--config`` nor ``$MDC_CONFIG`` names a file
(where ``mdc config init`` writes it)."""

UNBOUNDED: Final = 100_000
"""Width to measure a table's natural size at."""

console = Console()
err_console = Console(stderr=True)

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        metavar="FILE",
        help="Config file (TOML). Default: $MDC_CONFIG, else ./mdc.toml if present, "
        "else built-in defaults.",
        envvar="MDC_CONFIG",
        show_envvar=False,
        show_default=False,
    ),
]

# The consumers of the bus (`mdc store`, `mdc sink`): how long to run, and their own /metrics.
DurationOption = Annotated[
    float | None,
    typer.Option("--duration", min=0.0, metavar="SECONDS", help="Stop after this long."),
]
MetricsPortOption = Annotated[
    int | None,
    typer.Option(
        "--http-port",
        metavar="PORT",
        help="Serve /metrics, /status and /live on this port (0: any free one).  "
        "[default: no HTTP server]",
    ),
]
MetricsHostOption = Annotated[
    str | None,
    typer.Option(
        "--http-host",
        metavar="HOST",
        help="Bind address for --http-port (not loopback: needs MDC_API_KEY).  "
        "[default: http.host]",
    ),
]


def fail(message: str, code: int = EXIT_FAILURE) -> NoReturn:
    # The message is text, not markup: "[columns] ..." or a path with brackets must show as is.
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def config_file(path: Path | None) -> Path | None:
    """The file a command reads: the one given, else ``./mdc.toml`` when it exists."""
    if path is not None:
        return path
    return LOCAL_CONFIG if LOCAL_CONFIG.is_file() else None


def config_source(path: Path | None, env: Mapping[str, str] | None = None) -> str:
    """Which config a command uses, in words: the file (or the defaults) and the overrides."""
    env = os.environ if env is None else env
    file = config_file(path)
    names = sorted(n for n in env if n.startswith(ENV_PREFIX) and n != "MDC_CONFIG")
    base = str(file) if file is not None else "built-in defaults (no mdc.toml here)"
    return f"{base} + {', '.join(names)}" if names else base


def load(
    path: Path | None, overrides: dict[str, Any] | None = None, announce: bool = False
) -> Config:
    """The config, or a message naming the bad key and exit code 2.

    ``announce`` prints which config is used on stderr first (stdout stays parseable).
    """
    if announce:
        err_console.print(f"config: {config_source(path)}", highlight=False, soft_wrap=True)
    try:
        config = load_config(config_file(path), overrides=overrides)
        check_config(config)  # provider names and [providers.*] sections, before any disk use
    except ConfigError as exc:
        fail(str(exc), EXIT_USAGE)
    return config


def parse_day(option: str, text: str) -> date:
    """A ``YYYY-MM-DD`` option value, or a usage error naming the option."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(f"{option}: expected a date YYYY-MM-DD, got {text!r}", EXIT_USAGE)


def start_logging(config: Config) -> None:
    """The config's logging (stderr, and ``logging.file`` rotated); a file that cannot be
    opened is a usage error naming the key, not a traceback."""
    try:
        c = config.logging
        setup_logging(c.level, c.format, c.file, c.file_max_mb, c.file_backups)
    except OSError as exc:
        fail(
            f"logging.file: cannot open {config.logging.file} ({exc.strerror or exc}); create "
            "its directory or choose another path",
            EXIT_USAGE,
        )


def split_symbols(value: str | None) -> list[str] | None:
    if value is None:
        return None
    symbols = [s.strip() for s in value.split(",") if s.strip()]
    if not symbols:
        fail("--symbols: give at least one symbol, e.g. --symbols SPY,AAPL", EXIT_USAGE)
    return symbols


def print_table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], title: str | None = None
) -> None:
    """A table for people on a terminal (cells fold to fit its width), tab-separated values
    when stdout is a pipe or a file (one line per row, nothing cut, ``cut``/``awk`` ready)."""
    if not console.is_terminal:
        out = sys.stdout
        if title:
            print(f"# {title}", file=out)
        print("\t".join(headers), file=out)
        for row in rows:
            print("\t".join(_tsv_cell(cell) for cell in row), file=out)
        out.flush()
        return
    table = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False)
    for header in headers:
        table.add_column(header, overflow="fold")
    for row in rows:
        table.add_row(*row)
    unbounded = console.options.update(width=UNBOUNDED, max_width=UNBOUNDED)
    if Measurement.get(console, unbounded, table).maximum <= console.width:
        console.print(table)
        return
    # Too wide for this terminal: one block per row (``key  value`` lines, values wrapped
    # between words) reads at any width, where squeezed columns would break every word.
    if title:
        console.print(title, style="bold", highlight=False)
    for row in rows:
        record = Table.grid(padding=(0, 2))
        record.add_column(style="dim", no_wrap=True)
        record.add_column(overflow="fold")
        for header, cell in zip(headers[1:], row[1:], strict=True):
            record.add_row(header, cell)
        console.print(Text(row[0], style="bold"), Padding(record, (0, 0, 0, 2)), highlight=False)


def note(message: str) -> None:
    """A summary line under a table: on stdout for a terminal, on stderr when piped (so the
    piped rows stay pure data)."""
    (console if console.is_terminal else err_console).print(message, highlight=False)


def _tsv_cell(cell: str) -> str:
    return cell.replace("\t", " ").replace("\n", " ")
