"""``mdc package create|verify|import|list``: share a selection of the archive as one file.

The package format and its guarantees are in ``backfill/packages.py`` and docs/datasets.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import msgspec
import typer
from rich.table import Table

from mdc.backfill.packages import (
    PackageError,
    create_package,
    import_package,
    list_packages,
    select_files,
    verify_package,
)
from mdc.cli.common import (
    EXIT_FAILURE,
    EXIT_USAGE,
    ConfigOption,
    console,
    fail,
    load,
    split_symbols,
)
from mdc.domain.time import iso
from mdc.storage import StorageLocked, StoragePaused, open_store
from mdc.storage.archive import open_archive

app = typer.Typer(help="Dataset packages: create, verify, import and list .tar.zst/.zip files.")

DataOption = Annotated[
    Path | None, typer.Option("--data", "-d", help="Archive root (storage.root).")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
PackageArgument = Annotated[
    Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="The package file.")
]


def _span(first: int | None, last: int | None) -> str:
    if first is None or last is None:
        return "-"
    return f"{iso(first)} .. {iso(last)}"


@app.command("create")
def create(
    out: Annotated[Path, typer.Argument(help="Package to write: NAME.tar.zst or NAME.zip.")],
    symbols: Annotated[str | None, typer.Option("--symbols", "-s", help="Only these.")] = None,
    types: Annotated[
        str | None, typer.Option("--types", "-t", help="Only these types (trades,quotes,…).")
    ] = None,
    start: Annotated[str | None, typer.Option("--from", help="First day or instant.")] = None,
    end: Annotated[
        str | None, typer.Option("--to", help="Last day (inclusive) or instant.")
    ] = None,
    name: Annotated[str | None, typer.Option("--name", help="Dataset name.")] = None,
    description: Annotated[str, typer.Option("--description", help="One line about it.")] = "",
    data: DataOption = None,
    as_json: JsonOption = False,
    config_path: ConfigOption = None,
) -> None:
    """Package the partitions matching the filters (whole files) with a manifest."""
    config = load(config_path, {"storage.root": str(data) if data else None})
    if out.exists():
        fail(f"{out} exists; choose another name or remove it", EXIT_USAGE)
    try:
        archive = open_archive(config.storage.root)
        files = select_files(
            archive,
            split_symbols(symbols),
            [t.strip() for t in types.split(",") if t.strip()] if types else None,
            start,
            end,
        )
        manifest = create_package(archive, out, files, name, description)
    except (PackageError, FileNotFoundError, ValueError) as exc:
        fail(str(exc), EXIT_USAGE)
    if as_json:
        console.print_json(msgspec.json.encode(manifest).decode())
        return
    console.print(
        f"{out}: {len(manifest.files)} files, {manifest.rows:,} rows, "
        f"{', '.join(manifest.types)}; {_span(manifest.first_ts, manifest.last_ts)}",
        highlight=False,
        soft_wrap=True,
    )


@app.command("verify")
def verify(package: PackageArgument, as_json: JsonOption = False) -> None:
    """Check every file's sha256 and row count against the manifest (exit 1 on a mismatch)."""
    try:
        result = verify_package(package)
    except PackageError as exc:
        fail(str(exc))
    if as_json:
        console.print_json(msgspec.json.encode(result).decode())
    elif result.ok:
        console.print(f"{package}: OK, {result.files} files, {result.rows:,} rows", highlight=False)
    else:
        for p in result.problems:
            console.print(f"{p.path}: {p.problem}", highlight=False, soft_wrap=True)
    if not result.ok:
        raise typer.Exit(EXIT_FAILURE)


@app.command("import")
def import_(
    package: PackageArgument,
    force: Annotated[
        bool, typer.Option("--force", help="Import again (dedup still applies).")
    ] = False,
    data: DataOption = None,
    as_json: JsonOption = False,
    config_path: ConfigOption = None,
) -> None:
    """Verify, then merge the package into the archive (events already there are skipped)."""
    config = load(config_path, {"storage.root": str(data) if data else None})
    try:
        store = open_store(config.storage)
    except StorageLocked as exc:
        fail(f"{exc}; stop `mdc collect` on this root or import into another --data root")
    try:
        done = import_package(store, Path(config.storage.root), package, force)
    except PackageError as exc:
        fail(str(exc))
    except StoragePaused as exc:
        fail(f"the store paused ({exc.reason}); run the same command again to resume")
    finally:
        store.close()
    state = done.result.state
    if as_json:
        summary = {"import": msgspec.to_builtins(state), "skipped": done.result.skipped}
        console.print_json(msgspec.json.encode(summary).decode())
        return
    if done.result.skipped:
        console.print(f"{package}: already imported; --force to redo", highlight=False)
        return
    table = Table("type", "events", title=f"package {done.manifest.name}")
    for type_name, count in sorted(state.by_type.items()):
        table.add_row(type_name, f"{count:,}")
    console.print(table)


@app.command("list")
def list_(
    directory: Annotated[Path, typer.Argument(help="Directory holding packages.")] = Path("."),
    as_json: JsonOption = False,
) -> None:
    """Packages in a directory with their manifests' summary."""
    found = list_packages(directory)
    if as_json:
        rows = [
            {"path": str(p), "manifest": msgspec.to_builtins(m) if m else None, "error": e}
            for p, m, e in found
        ]
        console.print_json(msgspec.json.encode(rows).decode())
        return
    table = Table("package", "name", "files", "rows", "types", "span", "mdc")
    for path, m, error in found:
        if m is None:
            table.add_row(path.name, error, "", "", "", "", "")
            continue
        table.add_row(
            path.name,
            m.name,
            str(len(m.files)),
            f"{m.rows:,}",
            ",".join(m.types),
            _span(m.first_ts, m.last_ts),
            m.mdc_version,
        )
    console.print(table)
