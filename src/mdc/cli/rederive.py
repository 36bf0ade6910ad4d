"""``mdc rederive``: re-parse a provider's stored raw frames into a new archive version.

What is replaced and what is copied: ``backfill/rederive.py`` and docs/datasets.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import msgspec
import typer
from rich.table import Table

from mdc.backfill.rederive import RederiveError, rederive, rederive_in_place
from mdc.cli.common import EXIT_USAGE, ConfigOption, console, fail, load
from mdc.log import setup_logging
from mdc.providers.registry import UnknownProvider
from mdc.storage import StorageLocked


def rederive_cmd(
    provider: Annotated[str, typer.Option("--provider", "-p", help="Whose raw frames.")],
    start: Annotated[str, typer.Option("--from", help="First day (UTC) or instant of receipt.")],
    end: Annotated[str, typer.Option("--to", help="Last day (inclusive) or instant.")],
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="New archive root to write.")
    ] = None,
    in_place: Annotated[
        bool,
        typer.Option(
            "--in-place", help="Replace the archive itself (atomic swap; the old one is kept)."
        ),
    ] = False,
    data: Annotated[
        Path | None, typer.Option("--data", "-d", help="Archive root (storage.root).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="The report as JSON.")] = False,
    config_path: ConfigOption = None,
) -> None:
    """Run today's parser over the stored raw frames into a new archive version at --out (or
    --in-place), and report the rows removed and added per type and day."""
    config = load(config_path, {"storage.root": str(data) if data else None})
    setup_logging(config.logging.level, config.logging.format)
    if (out is None) == (not in_place):
        fail("give either --out DIR (a new version) or --in-place", EXIT_USAGE)
    root = Path(config.storage.root)
    kept: Path | None = None
    try:
        if out is not None:
            report = rederive(config, root, out, provider, start, end)
        else:
            report, kept = rederive_in_place(config, root, provider, start, end)
    except (RederiveError, UnknownProvider, FileNotFoundError, StorageLocked) as exc:
        fail(str(exc), EXIT_USAGE)
    except ValueError as exc:
        fail(f"--from/--to: {exc}", EXIT_USAGE)
    if as_json:
        summary = {**msgspec.to_builtins(report), "previous_version": str(kept) if kept else None}
        console.print_json(msgspec.json.encode(summary).decode())
        return
    console.print(
        f"{report.frames:,} frames re-parsed ({report.bad_frames:,} bad); "
        f"{report.copied:,} events copied, {report.replaced:,} replaced by {report.derived:,}; "
        f"new version in {report.out}" + (f"; the previous one is kept at {kept}" if kept else ""),
        highlight=False,
        soft_wrap=True,
    )
    for example in report.bad_examples:
        console.print(f"  bad frame: {example}", highlight=False, soft_wrap=True)
    if report.unchanged:
        console.print("no rows changed", highlight=False)
        return
    table = Table("type", "day", "removed", "added", title="changes")
    for c in report.changes:
        table.add_row(c.type, c.day, f"{c.removed:,}", f"{c.added:,}")
    console.print(table)
