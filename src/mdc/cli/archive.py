"""``mdc archive ls|stats|verify``: what the archive holds, how big it is, whether it is sound."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import msgspec
import pyarrow.parquet as pq
import typer
from rich.progress import Progress

from mdc.cli.common import (
    EXIT_FAILURE,
    EXIT_USAGE,
    ConfigOption,
    console,
    fail,
    load,
    note,
    print_table,
)
from mdc.storage import checkpoint as ckpt
from mdc.storage.archive import Archive, ArchiveFile, open_archive
from mdc.storage.fsutil import DirLock
from mdc.storage.jsonl import read_jsonl_bytes
from mdc.storage.layout import CONTROL_DIR
from mdc.storage.verify import verify
from mdc.storage.wal import list_segments

app = typer.Typer(help="Inspect and verify the archive.", no_args_is_help=True)

DataOption = Annotated[
    Path | None, typer.Option("--data", "-d", help="Archive root (default: storage.root).")
]
TypeOption = Annotated[
    str | None, typer.Option("--type", "-t", help="Only this event type (trades, quotes, …).")
]
SymbolOption = Annotated[str | None, typer.Option("--symbol", "-s", help="Only this symbol.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


def archive_root(config_path: Path | None, data: Path | None) -> Path:
    """``--data`` or the config's ``storage.root``; it must exist."""
    root = data if data is not None else Path(load(config_path).storage.root)
    if not root.is_dir():
        fail(f"archive root {root} does not exist (set --data or storage.root)", EXIT_USAGE)
    return root


def _open(config_path: Path | None, data: Path | None) -> Archive:
    return open_archive(archive_root(config_path, data))


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return f"{n:.1f} TB"


@app.command("ls")
def ls(
    config_path: ConfigOption = None,
    data: DataOption = None,
    type_name: TypeOption = None,
    symbol: SymbolOption = None,
    as_json: JsonOption = False,
) -> None:
    """Symbols and event types with their partition range and files."""
    archive = _open(config_path, data)
    rows: dict[tuple[str, str, str], dict[str, Any]] = {}
    for p in archive.partitions(type_name, symbol):
        key = (p.type_name, p.symbol, p.provider or "")
        row = rows.setdefault(
            key,
            {
                "type": p.type_name,
                "symbol": p.symbol,
                "provider": p.provider,
                "partitions": 0,
                "first": p.partition,
                "last": p.partition,
                "jsonl_files": 0,
                "parquet_files": 0,
                "bytes": 0,
            },
        )
        row["partitions"] += 1
        row["last"] = p.partition
        row["jsonl_files"] += len(p.jsonl)
        row["parquet_files"] += len(p.parquet)
        row["bytes"] += sum(f.size for f in p.jsonl + p.parquet)
    if as_json:
        console.print_json(msgspec.json.encode(list(rows.values())).decode())
        return
    if not rows:
        console.print(f"no data in {archive.root}")
        return
    with_provider = any(r["provider"] for r in rows.values())
    print_table(
        (
            "type",
            "symbol",
            *(["provider"] if with_provider else []),
            "partitions",
            "first",
            "last",
            "jsonl",
            "parquet",
            "size",
        ),
        [
            (
                r["type"],
                r["symbol"],
                *([r["provider"] or ""] if with_provider else []),
                str(r["partitions"]),
                r["first"],
                r["last"],
                str(r["jsonl_files"]),
                str(r["parquet_files"]),
                _size(r["bytes"]),
            )
            for r in rows.values()
        ],
    )


def _rows(f: ArchiveFile) -> int:
    if f.format == "parquet":
        return int(pq.ParquetFile(f.path).metadata.num_rows)
    return read_jsonl_bytes(f.path).count(b"\n")


@app.command()
def stats(
    config_path: ConfigOption = None, data: DataOption = None, as_json: JsonOption = False
) -> None:
    """Totals per event type (files, rows, bytes) and the state of the WAL and checkpoint."""
    archive = _open(config_path, data)
    per_type: dict[str, dict[str, Any]] = {}
    for p in archive.partitions():
        t = per_type.setdefault(
            p.type_name,
            {
                "type": p.type_name,
                "symbols": set(),
                "partitions": 0,
                "files": 0,
                "rows": 0,
                "bytes": 0,
            },
        )
        t["symbols"].add(p.symbol)
        t["partitions"] += 1
        for f in archive.files_of(p):
            t["files"] += 1
            t["rows"] += _rows(f)
            t["bytes"] += f.size
    for t in per_type.values():
        t["symbols"] = len(t["symbols"])
    control = archive.root / CONTROL_DIR
    segments = list_segments(control / "wal")
    try:
        cp = ckpt.read(control / "checkpoint.json")
        cp_text = f"LSN {cp.lsn}, {len(cp.entries)} open outputs" if cp else "none"
    except ckpt.CheckpointCorrupt as exc:
        cp, cp_text = None, f"corrupt ({exc})"
    wal: dict[str, Any] = {
        "segments": len(segments),
        "bytes": sum(path.stat().st_size for _, path in segments),
        "checkpoint_lsn": cp.lsn if cp else None,
        "collector_running": DirLock(control / "LOCK").held_by_other(),
    }
    if as_json:
        console.print_json(
            msgspec.json.encode({"types": list(per_type.values()), "wal": wal}).decode()
        )
        return
    print_table(
        ("type", "symbols", "partitions", "files", "rows", "size"),
        [
            (
                t["type"],
                str(t["symbols"]),
                str(t["partitions"]),
                str(t["files"]),
                f"{t['rows']:,}",
                _size(t["bytes"]),
            )
            for t in sorted(per_type.values(), key=lambda t: t["type"])
        ],
    )
    note(
        f"WAL: {wal['segments']} segments, {_size(wal['bytes'])}; checkpoint: {cp_text}; "
        f"collector {'running' if wal['collector_running'] else 'not running'}"
    )


@app.command("verify")
def verify_cmd(
    config_path: ConfigOption = None,
    data: DataOption = None,
    show_all: Annotated[
        bool, typer.Option("--all", help="List every file, not only problems.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Re-read every file: schema, row counts, partition and symbol of every row, ordering.
    Exit code 1 when any file has an error."""
    archive = _open(config_path, data)
    total = len(archive.files())
    with Progress(console=console, transient=True, disable=as_json) as progress:
        task = progress.add_task("verifying", total=total)
        reports = verify(archive, progress=lambda f: progress.advance(task))
    errors = sum(1 for r in reports if r.status == "error")
    warnings = sum(1 for r in reports if r.status == "warning")
    if as_json:
        console.print_json(msgspec.json.encode([r.to_dict() for r in reports]).decode())
    else:
        shown = [r for r in reports if show_all or r.status != "ok"]
        if shown:
            print_table(
                ("status", "file", "rows", "out of order", "duplicates", "detail"),
                [
                    (
                        r.status,
                        r.rel,
                        f"{r.rows:,}",
                        str(r.out_of_order),
                        str(r.duplicates),
                        "; ".join(r.errors + r.warnings),
                    )
                    for r in shown
                ],
            )
        rows = sum(r.rows for r in reports)
        note(f"{len(reports)} files, {rows:,} rows: {errors} with errors, {warnings} with warnings")
    if errors:
        raise typer.Exit(EXIT_FAILURE)
