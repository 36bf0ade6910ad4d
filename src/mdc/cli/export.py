"""``mdc export lean``: the archive as a QuantConnect Lean data folder (docs/lean.md)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, get_args

import msgspec
import typer
from rich.table import Table

from mdc.cli.archive import archive_root
from mdc.cli.common import EXIT_USAGE, ConfigOption, console, fail, split_symbols
from mdc.integrations.lean.export import LeanExporter, SecurityChoice
from mdc.integrations.lean.paths import RESOLUTIONS, Resolution
from mdc.storage.archive import open_archive

app = typer.Typer(help="Export archive data in other tools' formats.")


def _date(option: str, text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(f"{option}: expected a date YYYY-MM-DD, got {text!r}", EXIT_USAGE)


@app.command("lean")
def lean(
    symbols: Annotated[str, typer.Option("--symbols", "-s", help="Comma-separated symbols.")],
    start: Annotated[str, typer.Option("--from", help="First date YYYY-MM-DD (data time zone).")],
    end: Annotated[str, typer.Option("--to", help="Last date YYYY-MM-DD (inclusive).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Lean data folder to write into.")],
    resolution: Annotated[
        str, typer.Option("--resolution", "-r", help="tick, second, minute, hour or daily.")
    ] = "minute",
    security_type: Annotated[
        str,
        typer.Option(
            "--security-type",
            help="auto (pairs such as BTC/USD are crypto), equity or crypto.",
        ),
    ] = "auto",
    market: Annotated[
        str | None,
        typer.Option("--market", help="Lean market folder (default: usa, or the crypto venue)."),
    ] = None,
    data: Annotated[
        Path | None, typer.Option("--data", "-d", help="Archive root (storage.root).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable summary.")] = False,
    config_path: ConfigOption = None,
) -> None:
    """Write Lean's zips (paths, entry names, CSV columns, scaling, time zones) for the range."""
    if resolution not in RESOLUTIONS:
        fail(
            f"--resolution: must be one of {', '.join(RESOLUTIONS)}, got {resolution!r}", EXIT_USAGE
        )
    if security_type not in get_args(SecurityChoice):
        fail(f"--security-type: must be auto, equity or crypto, got {security_type!r}", EXIT_USAGE)
    first, last = _date("--from", start), _date("--to", end)
    if last < first:
        fail(f"--to {end} is before --from {start}", EXIT_USAGE)
    names = split_symbols(symbols) or []
    archive = open_archive(archive_root(config_path, data))
    res: Resolution = next(r for r in RESOLUTIONS if r == resolution)
    sec: SecurityChoice = next(s for s in get_args(SecurityChoice) if s == security_type)
    exporter = LeanExporter(archive, out, res, sec, market)
    try:
        result = exporter.export(names, first, last)
    except OSError as exc:
        fail(f"writing {out}: {exc}; files already written are complete (each zip is atomic)")
    if as_json:
        console.print_json(msgspec.json.encode(result).decode())
        return
    table = Table("file", "rows", "from", title=f"Lean {resolution} → {out}")
    for f in result.files:
        table.add_row(f.rel, f"{f.rows:,}", f.source)
    console.print(table)
    for symbol in result.empty:
        console.print(f"{symbol}: no {resolution} data in {first}..{last}", highlight=False)
