"""``mdc import <kind> FILE``: files from elsewhere into the archive (idempotent, resumable).

Kinds: ``nyse-xdp`` (a pcap/pcapng capture of the XDP Integrated feed, plain, ``.gz`` or
``.zst``), ``taq`` (a NYSE Daily TAQ trade, quote, NBBO or master file), ``lean`` (a
QuantConnect Lean data folder: every equity/crypto tick, second, minute, hour and daily zip in
it), ``tardis`` (a Tardis.dev ``incremental_book_L2``, ``trades`` or ``quotes`` CSV),
``databento`` (a DBN file) and ``csv`` (any CSV with a column-mapping file). ``mdc import list``
shows what a root has imported. Events go through the normal store (``backfill/imports.py``);
a master file is reference data and replaces its day's table (``storage/reference.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import msgspec
import typer
from rich.table import Table

from mdc.backfill.csvmap import MappedCsvReader, MappingError, load_mapping
from mdc.backfill.csvrows import RowCounter
from mdc.backfill.dbn import DbnError, DbnReader
from mdc.backfill.imports import ImportResult, list_states, record_import, run_import
from mdc.backfill.tardis import TardisError, TardisReader
from mdc.cli.common import (
    EXIT_FAILURE,
    EXIT_USAGE,
    ConfigOption,
    console,
    fail,
    load,
    split_symbols,
)
from mdc.config import Config, ConfigError, provider_section
from mdc.domain.events import Event
from mdc.integrations.lean.importer import ReadStats, read_batches, scan
from mdc.integrations.lean.zipfiles import LeanZipError
from mdc.log import setup_logging
from mdc.providers.nyse.config import NyseConfig
from mdc.providers.nyse.pcap import PcapError
from mdc.providers.nyse.replay import Replay
from mdc.providers.nyse.taq import TaqError, TaqReader, file_date
from mdc.providers.nyse.taq_master import (
    REFERENCE_NAME,
    MasterError,
    header_of,
    is_master,
    read_master,
)
from mdc.storage import StoragePaused, Store, open_store
from mdc.storage.fsutil import StorageLocked
from mdc.storage.reference import write_reference

VendorReader = TardisReader | DbnReader | MappedCsvReader
app = typer.Typer(help="Import files (captures, vendor files) into the archive.")

FileArgument = Annotated[
    Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="The file to import.")
]
DataOption = Annotated[
    Path | None, typer.Option("--data", "-d", help="Archive root (storage.root).")
]
ForceOption = Annotated[
    bool, typer.Option("--force", help="Import again even if this file was imported before.")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable summary.")]


def _config(config_path: Path | None, data: Path | None) -> Config:
    """The config with ``--data`` as ``storage.root``, logging set up."""
    config = load(config_path, {"storage.root": str(data) if data else None})
    setup_logging(config.logging.level, config.logging.format)
    return config


@contextmanager
def _store(config: Config) -> Iterator[Store]:
    """The root's store for an import; a locked root or a paused store ends the command with
    the fix (what was written stays: imports resume)."""
    try:
        store = open_store(config.storage)
    except StorageLocked as exc:
        fail(f"{exc}; stop `mdc collect` on this root or import into another --data root")
    try:
        yield store
    except StoragePaused as exc:
        fail(
            f"the store paused ({exc.reason}); what was written is kept — run the same "
            "command again to resume"
        )
    finally:
        store.close()


def _write(
    config: Config, kind: str, source: Path, batches: Iterable[list[Event]], force: bool
) -> ImportResult:
    with _store(config) as store:
        return run_import(store, Path(config.storage.root), kind, source, batches, force)


def _print(result: ImportResult, extra: dict[str, object], as_json: bool) -> None:
    state = result.state
    summary = {"import": msgspec.to_builtins(state), "skipped": result.skipped, **extra}
    if as_json:
        console.print_json(msgspec.json.encode(summary).decode())
        return
    if result.skipped:
        console.print(
            f"{state.source}: already imported ({state.events:,} events); --force to redo",
            highlight=False,
        )
        return
    table = Table("type", "events", title=f"{state.kind}: {Path(state.source).name}")
    for name, count in sorted(state.by_type.items()):
        table.add_row(name, f"{count:,}")
    console.print(table)
    for key, value in extra.items():
        if not isinstance(value, list | dict):
            console.print(f"{key}: {value}", highlight=False)


@app.command("nyse-xdp")
def nyse_xdp(
    file: FileArgument,
    symbols: Annotated[
        str | None,
        typer.Option("--symbols", "-s", help="Only these symbols (default: every symbol)."),
    ] = None,
    orders: Annotated[
        bool,
        typer.Option(
            "--orders",
            help="Also store every order message as order_updates (L3), as "
            "[providers.nyse] order_events = true does.",
        ),
    ] = False,
    force: ForceOption = False,
    data: DataOption = None,
    as_json: JsonOption = False,
    config_path: ConfigOption = None,
) -> None:
    """Replay an XDP Integrated capture (pcap/pcapng, .gz/.zst) through the live decoder."""
    config = _config(config_path, data)
    try:
        settings = provider_section(config, "nyse", NyseConfig)
    except ConfigError as exc:
        fail(str(exc), EXIT_USAGE)
    if orders:
        settings = msgspec.structs.replace(settings, order_events=True)
    only = split_symbols(symbols)
    wanted = set(only) if only else None
    replay = Replay(
        file, settings, lambda s: (True, True) if wanted is None or s in wanted else (False, False)
    )
    try:
        result = _write(config, "nyse-xdp", file, replay.batches(), force)
    except PcapError as exc:
        fail(f"{file}: {exc}", EXIT_FAILURE)
    extra: dict[str, object] = {
        "pcap": msgspec.to_builtins(replay.pcap),
        "feed": replay.feed.counters(),
        "unlisted_destinations": replay.unlisted,
    }
    _print(result, extra, as_json)
    if not as_json and not result.skipped:
        table = Table("channel", "messages", "packets", "duplicates", "gaps", "missing")
        for ch in replay.feed.channels.values():
            c = ch.counters()
            table.add_row(
                str(ch.id),
                f"{ch.messages:,}",
                _per_line(ch.packets),
                _per_line(ch.duplicates),
                str(c["gaps"]),
                str(c["missing_messages"]),
            )
        console.print(table)
        if replay.unlisted:
            console.print(
                "destinations not in [providers.nyse] channels (each replayed as its own "
                f"channel, A/B not arbitrated): {', '.join(replay.unlisted)}",
                highlight=False,
            )


def _per_line(counts: dict[str, int]) -> str:
    return " ".join(f"{line}={n:,}" for line, n in sorted(counts.items())) or "-"


@app.command("taq")
def taq(
    file: FileArgument,
    trading_date: Annotated[
        str | None,
        typer.Option("--date", help="Trading date YYYY-MM-DD (default: from the file name)."),
    ] = None,
    force: ForceOption = False,
    data: DataOption = None,
    as_json: JsonOption = False,
    config_path: ConfigOption = None,
) -> None:
    """Import a NYSE Daily TAQ trade, quote (BBO), NBBO or master file (pipe-delimited, gzip)."""
    config = _config(config_path, data)
    day: date | None = None
    if trading_date is not None:
        try:
            day = datetime.strptime(trading_date, "%Y-%m-%d").date()
        except ValueError:
            fail(f"--date: expected YYYY-MM-DD, got {trading_date!r}", EXIT_USAGE)
    try:
        if is_master(file.name, header_of(file)):
            _master(config, file, day, as_json)
            return
        reader = TaqReader(file, day)
        result = _write(config, "taq", file, reader.batches(), force)
    except TaqError as exc:
        fail(str(exc), EXIT_USAGE)
    extra: dict[str, object] = {
        "file_kind": reader.kind,
        "date": reader.day.isoformat(),
        "rows": reader.rows,
        "bad_rows": reader.bad_rows,
        "bad_examples": reader.bad_examples,
    }
    _print(result, extra, as_json)
    if not as_json:
        for example in reader.bad_examples:
            console.print(f"  {example}", highlight=False)


@app.command("lean")
def lean(
    folder: Annotated[
        Path,
        typer.Argument(
            exists=True, file_okay=False, help="A Lean data folder (or a folder inside one)."
        ),
    ],
    force: ForceOption = False,
    data: DataOption = None,
    as_json: JsonOption = False,
    config_path: ConfigOption = None,
) -> None:
    """Import Lean ticks and bars (equity and crypto zips); each zip is one resumable import."""
    config = _config(config_path, data)
    sources, skipped = scan(folder)
    if not sources:
        fail(f"{folder}: no Lean equity/crypto data zips found (expected e.g. equity/usa/...)")
    report: list[dict[str, object]] = []
    unreadable: list[str] = []
    examples: list[str] = []
    with _store(config) as store:
        for source in sources:
            stats = ReadStats()
            try:
                batches = read_batches(source, stats)
                result = run_import(
                    store, Path(config.storage.root), "lean", source.path, batches, force
                )
            except LeanZipError as exc:
                unreadable.append(str(exc))
                continue
            examples.extend(stats.bad_examples)
            report.append(
                {
                    "file": source.rel,
                    "skipped": result.skipped,
                    "events": result.state.events,
                    "written": result.written,
                    "by_type": result.state.by_type,
                    "rows": stats.rows,
                    "bad_rows": stats.bad_rows,
                    "bad_examples": stats.bad_examples,
                }
            )
    summary = {"files": report, "not_lean": skipped, "unreadable": unreadable}
    if as_json:
        console.print_json(msgspec.json.encode(summary).decode())
    else:
        table = Table("file", "events", "bad rows", "state", title=f"lean: {folder}")
        for r in report:
            state = "already imported" if r["skipped"] else "imported"
            table.add_row(str(r["file"]), f"{r['events']:,}", str(r["bad_rows"]), state)
        console.print(table)
        for example in examples:
            console.print(f"  {example}", highlight=False)
        for rel in skipped:
            console.print(f"not a Lean equity/crypto data zip, skipped: {rel}", highlight=False)
        for message in unreadable:
            console.print(f"unreadable: {message}", highlight=False)
    if unreadable:
        raise typer.Exit(EXIT_FAILURE)


def _vendor_file(
    kind: str,
    file: Path,
    reader: Callable[[], VendorReader],
    extra: Callable[[VendorReader], dict[str, object]],
    force: bool,
    data: Path | None,
    as_json: bool,
    config_path: Path | None,
) -> None:
    """Import one vendor file: a reader error (bad header, bad mapping) is a usage error; rows
    that do not parse are counted and shown."""
    config = _config(config_path, data)
    try:
        source = reader()
        result = _write(config, kind, file, source.batches(), force)
    except (TardisError, MappingError, DbnError) as exc:
        fail(str(exc), EXIT_USAGE)
    summary = extra(source)
    _print(result, summary, as_json)
    if not as_json:
        for example in getattr(source, "bad_examples", []):
            console.print(f"  {example}", highlight=False, soft_wrap=True)


def _rows(reader: RowCounter) -> dict[str, object]:
    return {"rows": reader.rows, "bad_rows": reader.bad_rows, "bad_examples": reader.bad_examples}


@app.command("tardis")
def tardis(
    file: FileArgument,
    force: ForceOption = False,
    data: DataOption = None,
    as_json: JsonOption = False,
    config_path: ConfigOption = None,
) -> None:
    """Import a Tardis.dev CSV (incremental_book_L2, trades or quotes; plain, .gz or .zst)."""

    def extra(r: VendorReader) -> dict[str, object]:
        assert isinstance(r, TardisReader)
        return {
            "file_kind": r.kind,
            **_rows(r),
            "skipped_before_first_snapshot": r.before_snapshot,
        }

    _vendor_file(
        "tardis", file, lambda: TardisReader(file), extra, force, data, as_json, config_path
    )


@app.command("databento")
def databento(
    file: FileArgument,
    force: ForceOption = False,
    data: DataOption = None,
    as_json: JsonOption = False,
    config_path: ConfigOption = None,
) -> None:
    """Import a Databento DBN file (.dbn or .dbn.zst: trades, mbp-1/tbbo, bbo, ohlcv)."""

    def extra(r: VendorReader) -> dict[str, object]:
        assert isinstance(r, DbnReader)
        return {
            "dataset": r.dataset,
            "schema": r.schema,
            "records": r.records,
            "skipped_records": dict(r.skipped),
            "unmapped_instruments": sorted(r.unmapped),
        }

    _vendor_file(
        "databento", file, lambda: DbnReader(file), extra, force, data, as_json, config_path
    )


@app.command("csv")
def csv_file(
    file: FileArgument,
    mapping: Annotated[
        Path,
        typer.Option(
            "--mapping", "-m", exists=True, dir_okay=False, help="Column-mapping TOML file."
        ),
    ],
    force: ForceOption = False,
    data: DataOption = None,
    as_json: JsonOption = False,
    config_path: ConfigOption = None,
) -> None:
    """Import any CSV (plain, .gz or .zst) through a column-mapping file (docs/datasets.md)."""

    def extra(r: VendorReader) -> dict[str, object]:
        assert isinstance(r, MappedCsvReader)
        return {"type": r.mapping.type, **_rows(r)}

    _vendor_file(
        "csv",
        file,
        lambda: MappedCsvReader(file, load_mapping(mapping)),
        extra,
        force,
        data,
        as_json,
        config_path,
    )


def _master(config: Config, file: Path, day: date | None, as_json: bool) -> None:
    """A master (reference) file: its records replace that day's ``nyse_taq_master`` table."""
    try:
        parsed = read_master(file)
    except MasterError as exc:
        fail(f"{file.name}: {exc}", EXIT_USAGE)
    when = day if day is not None else file_date(file)
    root = Path(config.storage.root)
    if not parsed.records:
        fail(f"{file.name}: no valid rows ({parsed.bad_rows} bad): nothing stored")
    path = write_reference(root, REFERENCE_NAME, when, parsed.records)
    record_import(root, "taq", file, {f"reference:{REFERENCE_NAME}": len(parsed.records)})
    summary = {
        "file_kind": "master",
        "date": when.isoformat(),
        "rows": parsed.rows,
        "bad_rows": parsed.bad_rows,
        "bad_examples": parsed.bad_examples,
        "records": len(parsed.records),
        "trailer": parsed.trailer,
        "stored": str(path),
    }
    if as_json:
        console.print_json(msgspec.json.encode(summary).decode())
        return
    console.print(
        f"{file.name}: {len(parsed.records):,} symbols of {when} stored as reference table "
        f"{REFERENCE_NAME} ({path}); {parsed.bad_rows} bad rows",
        highlight=False,
    )
    for example in parsed.bad_examples:
        console.print(f"  {example}", highlight=False)


@app.command("list")
def list_imports(
    data: DataOption = None, as_json: JsonOption = False, config_path: ConfigOption = None
) -> None:
    """Imports recorded in the archive root: file, kind, events, finished or not."""
    config = load(config_path, {"storage.root": str(data) if data else None})
    states = list_states(Path(config.storage.root))
    if as_json:
        console.print_json(msgspec.json.encode(states).decode())
        return
    table = Table("kind", "file", "events", "state")
    for s in states:
        table.add_row(s.kind, s.source, f"{s.events:,}", "done" if s.done else "interrupted")
    console.print(table)
