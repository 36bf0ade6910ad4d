"""``mdc compact``: merge small Parquet parts of closed partitions."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from mdc.cli.archive import DataOption, _size, archive_root
from mdc.cli.common import ConfigOption, console
from mdc.storage.compact import compact as run_compact


def compact(
    config_path: ConfigOption = None,
    data: DataOption = None,
    min_parts: Annotated[
        int,
        typer.Option("--min-parts", min=2, help="Merge partitions with at least this many parts."),
    ] = 2,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only show what would be merged.")
    ] = False,
) -> None:
    """Merge the Parquet parts of each closed partition into one (safe while collecting)."""
    root = archive_root(config_path, data)
    results = run_compact(root, min_parts=min_parts, dry_run=dry_run)
    if not results:
        console.print("nothing to compact")
        return
    table = Table("partition", "parts", "rows", "before", "after")
    for r in results:
        table.add_row(
            r.directory,
            str(r.parts_in),
            f"{r.rows:,}",
            _size(r.bytes_in),
            "-" if dry_run else _size(r.bytes_out),
        )
    console.print(table)
    verb = "would merge" if dry_run else "merged"
    console.print(f"{verb} {sum(r.parts_in for r in results)} parts into {len(results)}")
