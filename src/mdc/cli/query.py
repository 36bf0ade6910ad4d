"""``mdc query "SQL"``: DuckDB over the archive, one view per event type."""

from __future__ import annotations

import sys
from typing import Annotated, Literal

import pyarrow as pa
import pyarrow.csv as pacsv
import typer

from mdc.cli.archive import DataOption, archive_root
from mdc.cli.common import EXIT_FAILURE, EXIT_USAGE, ConfigOption, fail, note, print_table
from mdc.storage.archive import open_archive

MAX_TABLE_ROWS = 1000
"""A terminal table shows at most this many rows (csv and json print everything)."""
MAX_PICK_NOTES = 10
"""Partitions named whose JSONL and Parquet copies differ (the fuller one is read)."""


def query(
    sql: Annotated[
        str,
        typer.Argument(
            help="SQL over the views trades, quotes, bars, quote_bars, book_deltas, "
            "book_snapshots, order_updates, gaps, integrity, statuses, "
            "corporate_actions."
        ),
    ],
    config_path: ConfigOption = None,
    data: DataOption = None,
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="table, csv or json (lines).")
    ] = "table",
    source: Annotated[
        str,
        typer.Option(
            "--source",
            help="auto (where a partition is in both formats: the fuller copy), jsonl or parquet.",
        ),
    ] = "auto",
) -> None:
    """Run SQL with DuckDB over the archive (JSONL and Parquet files alike)."""
    import duckdb

    if fmt not in ("table", "csv", "json"):
        fail(f"--format: must be table, csv or json, got {fmt!r}", EXIT_USAGE)
    if source not in ("auto", "jsonl", "parquet"):
        fail(f"--source: must be auto, jsonl or parquet, got {source!r}", EXIT_USAGE)
    archive = open_archive(archive_root(config_path, data), source=source)  # type: ignore[arg-type]
    try:
        result = archive.sql(sql, as_="arrow")
    except (duckdb.ParserException, duckdb.BinderException, duckdb.CatalogException) as exc:
        fail(f"SQL: {exc}", EXIT_USAGE)
    except duckdb.Error as exc:
        fail(f"query failed: {exc}", EXIT_FAILURE)
    _print(result, fmt)  # type: ignore[arg-type]
    picks = archive.mismatches()
    for pick in picks[:MAX_PICK_NOTES]:
        note(pick.describe())
    if len(picks) > MAX_PICK_NOTES:
        note(f"… and {len(picks) - MAX_PICK_NOTES} more partitions whose copies differ")


def _print(table: pa.Table, fmt: Literal["table", "csv", "json"]) -> None:
    if fmt == "csv":
        pacsv.write_csv(_flat(table), sys.stdout.buffer)
        return
    if fmt == "json":
        import msgspec

        encoder = msgspec.json.Encoder()
        for row in table.to_pylist():
            sys.stdout.buffer.write(encoder.encode({k: _plain(v) for k, v in row.items()}) + b"\n")
        return
    print_table(
        table.column_names,
        [
            ["" if v is None else str(v) for v in row.values()]
            for row in table.slice(0, MAX_TABLE_ROWS).to_pylist()
        ],
    )
    more = table.num_rows - MAX_TABLE_ROWS
    note(
        f"{table.num_rows:,} rows"
        + (f" ({more:,} not shown; use --format csv)" if more > 0 else "")
    )


def _flat(table: pa.Table) -> pa.Table:
    """CSV has no lists: list columns become their JSON text."""
    import msgspec

    columns = []
    for column in table.columns:
        if pa.types.is_list(column.type):
            texts = [
                None if v is None else msgspec.json.encode(v).decode() for v in column.to_pylist()
            ]
            columns.append(pa.array(texts, pa.string()))
        else:
            columns.append(column)
    return pa.Table.from_arrays(columns, names=table.column_names)


def _plain(value: object) -> object:
    """JSON-able: timestamps as ISO strings, everything else as is."""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value
