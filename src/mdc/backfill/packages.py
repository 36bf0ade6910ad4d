"""Dataset packages (``mdc package``): a selection of an archive as one shareable file.

A package is a ``.tar.zst`` (or ``.zip``) holding the archive's own data files unchanged under
``data/`` (their paths relative to the root, so the layout explains them), the root's
``layout.json``, a ``manifest.json`` (per file: rows, first/last ``ts_event``, sha256; the schema
version, the mdc version, the providers the data came from), ``DATA_DICTIONARY.md`` (every
field of every packaged type) and loader snippets for pandas, polars and DuckDB. Whole files
are packaged, so a time selection takes every partition that overlaps it.

``verify`` re-hashes every member and re-counts every file's rows against the manifest and
names each file that differs. ``import`` verifies, then appends every event through the
destination's store with ``dedup`` (natural keys), via the resumable import writer, so a second
import adds nothing and an interrupted one resumes.
"""

from __future__ import annotations

import hashlib
import io
import shutil
import tarfile
import tempfile
import time
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Final, Literal

import msgspec
import pyarrow as pa
import pyarrow.compute as pc
import zstandard

from mdc import __version__
from mdc.backfill.imports import ImportResult, run_import
from mdc.domain.events import TYPES_BY_NAME, Event
from mdc.storage.archive import Archive, ArchiveFile, TimeArg, to_ns
from mdc.storage.arrow import from_table, schema
from mdc.storage.base import EventStore
from mdc.storage.layout import CONTROL_DIR
from mdc.storage.reader import read_jsonl_table, read_parquet_table

SCHEMA_VERSION: Final = 1
"""Version of the package format (manifest fields, member names); bumped on any change."""
MANIFEST: Final = "manifest.json"
DICTIONARY: Final = "DATA_DICTIONARY.md"
LAYOUT: Final = "layout.json"
DUCKDB: Final = "loaders/duckdb.sql"
DATA: Final = "data/"
PACKAGES_DIR: Final = "_packages"
"""Where the dashboard keeps the packages it creates (under the archive root)."""
IMPORT_BATCH: Final = 50_000
Kind = Literal["tar.zst", "zip"]


class PackageError(ValueError):
    """A package that cannot be made, read or trusted; the message names the fix or file."""


class FileEntry(msgspec.Struct, kw_only=True):
    path: str
    """Member name under ``data/``: the file's path relative to the archive root."""
    type: str
    symbol: str
    partition: str
    provider: str | None
    format: str
    bytes: int
    rows: int
    sha256: str
    first_ts: int | None
    last_ts: int | None


class Manifest(msgspec.Struct, kw_only=True):
    schema_version: int
    mdc_version: str
    created_at: str
    name: str
    description: str = ""
    providers: list[str]
    types: list[str]
    symbols: list[str]
    first_ts: int | None
    last_ts: int | None
    rows: int
    files: list[FileEntry]


class Problem(msgspec.Struct, kw_only=True):
    path: str
    problem: str
    stops: bool = False
    """The package cannot be read past this member."""


class Verification(msgspec.Struct, kw_only=True):
    ok: bool
    files: int
    rows: int
    problems: list[Problem]


def package_kind(path: Path) -> Kind:
    name = path.name.lower()
    if name.endswith(".tar.zst"):
        return "tar.zst"
    if name.endswith(".zip"):
        return "zip"
    raise PackageError(f"{path}: a package file name ends in .tar.zst or .zip")


# -- reading a data file ------------------------------------------------------------------------
def _table(path: Path, fmt: str, type_name: str) -> pa.Table:
    cls = TYPES_BY_NAME[type_name]
    if fmt == "parquet":
        return read_parquet_table(path, cls)
    return read_jsonl_table(path, cls)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _entry(f: ArchiveFile) -> FileEntry:
    table = _table(f.path, f.format, f.type_name)
    first = last = None
    if table.num_rows:
        ts = table.column("ts_event").cast(pa.int64())
        first, last = pc.min(ts).as_py(), pc.max(ts).as_py()
    return FileEntry(
        path=f.rel,
        type=f.type_name,
        symbol=f.symbol,
        partition=f.partition,
        provider=f.provider,
        format=f.format,
        bytes=f.path.stat().st_size,
        rows=table.num_rows,
        sha256=_sha256(f.path),
        first_ts=first,
        last_ts=last,
    )


# -- create -------------------------------------------------------------------------------------
def select_files(
    archive: Archive,
    symbols: list[str] | None = None,
    types: list[str] | None = None,
    start: TimeArg = None,
    end: TimeArg = None,
) -> list[ArchiveFile]:
    """The files of every partition matching the filters, in one format each (no doubles)."""
    lo, hi = to_ns(start), to_ns(end, end=True)
    for t in types or []:
        if t not in TYPES_BY_NAME:
            raise PackageError(f"unknown type {t!r}; known: {', '.join(sorted(TYPES_BY_NAME))}")
    out: list[ArchiveFile] = []
    for p in archive.partitions():
        if symbols and p.symbol not in symbols:
            continue
        if types and p.type_name not in types:
            continue
        if (lo is not None and p.end_ns <= lo) or (hi is not None and p.start_ns >= hi):
            continue
        out.extend(p.files(archive.source))
    return sorted(out, key=lambda f: f.rel)


def _dictionary(types: list[str]) -> str:
    lines = [
        "# Data dictionary",
        "",
        "Times are nanoseconds since the Unix epoch, UTC (Parquet: TIMESTAMP(ns, UTC)).",
        "`ts_event` is the exchange's time, `ts_recv` the collector's receive time.",
        "Prices and sizes are floats in the instrument's quote currency / units.",
        "",
    ]
    for t in types:
        cls = TYPES_BY_NAME[t]
        lines += [f"## {t}", "", (cls.__doc__ or "").strip().splitlines()[0], ""]
        lines += ["| field | type | nullable |", "|---|---|---|"]
        for field in schema(cls):
            lines.append(f"| `{field.name}` | {field.type} | {'yes' if field.nullable else 'no'} |")
        lines.append("")
    return "\n".join(lines)


_LOADER = '''"""Load this package's data with {lib} (extract the package first)."""
import json
from pathlib import Path

import {module}

here = Path(__file__).resolve().parent.parent
manifest = json.loads((here / "manifest.json").read_text())


def load(type_name: str) -> "{frame}":
    frames = []
    for f in manifest["files"]:
        if f["type"] == type_name:
            path = here / "data" / f["path"]
            parquet = f["format"] == "parquet"
            frames.append({parquet}(path) if parquet else {jsonl}(path))
    return {concat} if frames else {empty}


if __name__ == "__main__":
    for t in manifest["types"]:
        print(t, len(load(t)))
'''
LOADERS: Final = {
    "loaders/pandas_load.py": _LOADER.format(
        lib="pandas",
        module="pandas as pd",
        frame="pd.DataFrame",
        parquet="pd.read_parquet",
        jsonl="(lambda p: pd.read_json(p, lines=True))",
        concat="pd.concat(frames, ignore_index=True)",
        empty="pd.DataFrame()",
    ),
    "loaders/polars_load.py": _LOADER.format(
        lib="polars",
        module="polars as pl",
        frame="pl.DataFrame",
        parquet="pl.read_parquet",
        jsonl="pl.read_ndjson",
        concat='pl.concat(frames, how="diagonal_relaxed")',
        empty="pl.DataFrame()",
    ),
}


def _duckdb(manifest: Manifest) -> str:
    lines = [
        "-- Views over this package's data (extract it, run `duckdb < loaders/duckdb.sql`",
        "-- from the extracted directory).",
    ]
    for t in manifest.types:
        files = [f for f in manifest.files if f.type == t]
        selects = []
        parquet = [f"'data/{f.path}'" for f in files if f.format == "parquet"]
        jsonl = [f"'data/{f.path}'" for f in files if f.format == "jsonl"]
        if parquet:
            selects.append(f"SELECT * FROM read_parquet([{', '.join(parquet)}])")
        if jsonl:
            selects.append(
                f"SELECT * FROM read_json([{', '.join(jsonl)}], format='newline_delimited')"
            )
        lines.append(f"CREATE VIEW {t} AS {' UNION ALL BY NAME '.join(selects)};")
    return "\n".join(lines) + "\n"


def build_manifest(
    files: list[ArchiveFile], name: str, description: str = "", now: datetime | None = None
) -> Manifest:
    entries = [_entry(f) for f in files]
    firsts = [e.first_ts for e in entries if e.first_ts is not None]
    lasts = [e.last_ts for e in entries if e.last_ts is not None]
    return Manifest(
        schema_version=SCHEMA_VERSION,
        mdc_version=__version__,
        created_at=(now or datetime.now(UTC)).isoformat(),
        name=name,
        description=description,
        providers=sorted({e.provider for e in entries if e.provider} | _row_providers(files)),
        types=sorted({e.type for e in entries}),
        symbols=sorted({e.symbol for e in entries}),
        first_ts=min(firsts) if firsts else None,
        last_ts=max(lasts) if lasts else None,
        rows=sum(e.rows for e in entries),
        files=entries,
    )


def _row_providers(files: list[ArchiveFile]) -> set[str]:
    """Providers named in the rows (the path names one only with ``provider_in_path``)."""
    out: set[str] = set()
    for f in files:
        if f.provider is None:
            table = _table(f.path, f.format, f.type_name)
            out.update(p for p in pc.unique(table.column("provider")).to_pylist() if p)
    return out


class _Writer:
    """Members into a tar.zst or a zip, streamed (a package may be larger than memory).

    In a tar.zst every member is its own checksummed zstd frame (a valid multi-frame ``.zst``
    for ``zstd -d | tar x``): damage stays in the member it hits and is found at its end.
    """

    def __init__(self, out: Path, kind: Kind) -> None:
        self.kind = kind
        self._raw: IO[bytes] = out.open("wb")
        self._zst: zstandard.ZstdCompressionWriter | None = None
        self._tar: tarfile.TarFile | None = None
        self._zip: zipfile.ZipFile | None = None
        if kind == "tar.zst":
            cctx = zstandard.ZstdCompressor(level=9, write_checksum=True)
            self._zst = cctx.stream_writer(self._raw, closefd=False)
            # Not the "w|" stream mode: it buffers across members, and frames end per member.
            self._tar = tarfile.open(fileobj=self._zst, mode="w")  # noqa: SIM115 - close()
        else:
            self._zip = zipfile.ZipFile(self._raw, "w", zipfile.ZIP_DEFLATED, allowZip64=True)

    def _end_member(self) -> None:
        if self._zst is not None:
            self._zst.flush(zstandard.FLUSH_FRAME)

    def add_bytes(self, name: str, data: bytes, mtime: float) -> None:
        if self._tar is not None:
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), int(mtime), 0o644
            self._tar.addfile(info, io.BytesIO(data))
            self._end_member()
        elif self._zip is not None:
            self._zip.writestr(_zinfo(name, mtime), data)

    def add_file(self, name: str, path: Path) -> None:
        if self._tar is not None:
            info = self._tar.gettarinfo(str(path), arcname=name)
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            with path.open("rb") as f:
                self._tar.addfile(info, f)
            self._end_member()
        elif self._zip is not None:
            with (
                path.open("rb") as src,
                self._zip.open(_zinfo(name, path.stat().st_mtime), "w") as dst,
            ):
                shutil.copyfileobj(src, dst, 1 << 20)

    def close(self) -> None:
        try:
            if self._tar is not None:
                self._tar.close()
            if self._zst is not None:
                self._zst.flush(zstandard.FLUSH_FRAME)
                self._zst.close()  # type: ignore[no-untyped-call]
            if self._zip is not None:
                self._zip.close()
        finally:
            self._raw.close()


def _zinfo(name: str, mtime: float) -> zipfile.ZipInfo:
    stamp = datetime.fromtimestamp(max(mtime, 315_532_800), UTC)  # zip dates start in 1980
    info = zipfile.ZipInfo(name, stamp.timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def create_package(
    archive: Archive,
    out: Path,
    files: list[ArchiveFile],
    name: str | None = None,
    description: str = "",
) -> Manifest:
    """Write ``files`` of ``archive`` into the package ``out`` (written beside, then renamed).

    Each file is first copied aside and the manifest is made from the copies: a collector may
    still be appending to a file, and hash, rows and packaged bytes must be of the same bytes.
    """
    kind = package_kind(out)
    if not files:
        raise PackageError(
            "nothing selected: check --symbols/--types/--from/--to against the archive"
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.partial")
    with tempfile.TemporaryDirectory(prefix=".package-", dir=out.parent) as staging:
        staged = []
        for f in files:
            copy = Path(staging, f.rel)
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(f.path, copy)
            staged.append(replace(f, path=copy))
        manifest = build_manifest(staged, name or out.name.split(".")[0], description)
        now = time.time()
        writer = _Writer(tmp, kind)
        try:
            leading = {
                MANIFEST: msgspec.json.format(msgspec.json.encode(manifest)),
                LAYOUT: msgspec.json.encode(archive.spec),
                DICTIONARY: _dictionary(manifest.types).encode(),
                **{member: text.encode() for member, text in LOADERS.items()},
                DUCKDB: _duckdb(manifest).encode(),
            }
            for member in _order(manifest)[: len(leading)]:
                writer.add_bytes(member, leading[member], now)
            for f in staged:
                writer.add_file(DATA + f.rel, f.path)
        except BaseException:
            writer.close()
            tmp.unlink(missing_ok=True)
            raise
        writer.close()
    tmp.replace(out)
    return manifest


# -- read, verify -------------------------------------------------------------------------------
def _members(package: Path) -> Iterator[tuple[str, Callable[[], IO[bytes]]]]:
    """(name, open) of every regular member, in archive order, streamed."""
    kind = package_kind(package)
    if kind == "zip":
        with zipfile.ZipFile(package) as zf:
            for info in zf.infolist():
                if not info.is_dir():
                    yield info.filename, lambda info=info: zf.open(info)  # type: ignore[misc]
        return
    with package.open("rb") as raw:
        reader = zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=False)
        # Reads of one block: a read never runs ahead into the next member's frame, so damage
        # surfaces in the member that holds it (``extract`` names it).
        with tarfile.open(fileobj=reader, mode="r|", bufsize=tarfile.BLOCKSIZE) as tar:
            for member in tar:
                if member.isfile():
                    fileobj = tar.extractfile(member)
                    assert fileobj is not None
                    yield member.name, lambda f=fileobj: f  # type: ignore[misc]


def read_manifest(package: Path) -> Manifest:
    """The manifest (the first member of a package this module wrote)."""
    try:
        for name, opener in _members(package):
            if name == MANIFEST:
                return msgspec.json.decode(opener().read(), type=Manifest)
    except (OSError, tarfile.TarError, zipfile.BadZipFile, zstandard.ZstdError) as exc:
        raise PackageError(f"{package}: not a readable package ({exc})") from exc
    except msgspec.DecodeError as exc:
        raise PackageError(f"{package}: {MANIFEST} is invalid ({exc})") from exc
    raise PackageError(f"{package}: no {MANIFEST}; was it made by `mdc package create`?")


def _safe_member(name: str) -> bool:
    parts = Path(name).parts
    return not Path(name).is_absolute() and ".." not in parts


def extract(package: Path, into: Path) -> tuple[Manifest, list[Problem]]:
    """Every member under ``into`` (names checked: nothing escapes it): the manifest, and the
    members that could not be read. A zip goes on with the next member; a tar stream cannot,
    so the members after a damaged one are reported as not reached."""
    manifest = read_manifest(package)
    if manifest.schema_version > SCHEMA_VERSION:
        raise PackageError(
            f"{package}: package schema {manifest.schema_version} is newer than this mdc reads "
            f"({SCHEMA_VERSION}); upgrade mdc"
        )
    problems: list[Problem] = []
    name = done = ""
    try:
        for name, opener in _members(package):
            if not _safe_member(name):
                raise PackageError(f"{package}: member {name!r} points outside the package")
            target = into / name
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                with target.open("wb") as dst:
                    shutil.copyfileobj(opener(), dst, 1 << 20)
            except (zipfile.BadZipFile, zlib.error) as exc:
                target.unlink(missing_ok=True)
                problems.append(Problem(path=_data_name(name), problem=f"corrupt: {exc}"))
            done = name
    except (OSError, EOFError, tarfile.TarError, zipfile.BadZipFile, zstandard.ZstdError) as exc:
        # Raised copying ``name``, or reading the header of the member after the last one done.
        order = _order(manifest)
        if name == done:
            name = order[order.index(done) + 1] if done in order[:-1] else order[0]
        problems.append(Problem(path=_data_name(name), problem=f"corrupt: {exc}", stops=True))
    return manifest, problems


def _order(manifest: Manifest) -> list[str]:
    """The members of a package in the order ``create_package`` writes them."""
    return [
        MANIFEST,
        LAYOUT,
        DICTIONARY,
        *LOADERS,
        DUCKDB,
        *(DATA + f.path for f in manifest.files),
    ]


def _data_name(member: str) -> str:
    return member[len(DATA) :] if member.startswith(DATA) else member


def verify_extracted(
    directory: Path, manifest: Manifest, problems: list[Problem] | None = None
) -> Verification:
    """Hashes and row counts of the extracted files; ``problems`` from :func:`extract` first."""
    problems = list(problems or [])
    seen = {p.path for p in problems}
    rows = 0
    listed = {DATA + e.path for e in manifest.files}
    for e in manifest.files:
        path = directory / DATA / e.path
        if e.path in seen:
            continue
        if not path.is_file():
            broken = next((p.path for p in problems if p.stops), None)
            why = f"not reached (unreadable after {broken})" if broken else "missing"
            problems.append(Problem(path=e.path, problem=why))
            continue
        digest = _sha256(path)
        if digest != e.sha256:
            problems.append(
                Problem(path=e.path, problem=f"sha256 {digest[:16]}… != manifest {e.sha256[:16]}…")
            )
            continue
        try:
            n = _table(path, e.format, e.type).num_rows
        except (OSError, ValueError, msgspec.DecodeError, pa.ArrowException) as exc:
            problems.append(Problem(path=e.path, problem=f"unreadable: {exc}"))
            continue
        rows += n
        if n != e.rows:
            problems.append(Problem(path=e.path, problem=f"{n} rows != manifest {e.rows}"))
    data_dir = directory / DATA
    for path in sorted(data_dir.rglob("*")) if data_dir.is_dir() else []:
        rel = DATA + path.relative_to(directory).as_posix()[len(DATA) :]
        if path.is_file() and rel not in listed:
            problems.append(Problem(path=rel[len(DATA) :], problem="not in the manifest"))
    return Verification(ok=not problems, files=len(manifest.files), rows=rows, problems=problems)


def verify_package(package: Path) -> Verification:
    """Every member's sha256 and every file's row count against the manifest."""
    with tempfile.TemporaryDirectory(prefix="mdc-verify-") as tmp:
        manifest, problems = extract(package, Path(tmp))
        return verify_extracted(Path(tmp), manifest, problems)


# -- import -------------------------------------------------------------------------------------
@dataclass
class PackageImport:
    result: ImportResult
    verification: Verification
    manifest: Manifest


def _batches(directory: Path, manifest: Manifest) -> Iterator[list[Event]]:
    for e in manifest.files:
        table = _table(directory / DATA / e.path, e.format, e.type)
        for start in range(0, table.num_rows, IMPORT_BATCH):
            yield from_table(TYPES_BY_NAME[e.type], table.slice(start, IMPORT_BATCH))


def import_package(
    store: EventStore, root: Path, package: Path, force: bool = False
) -> PackageImport:
    """Verify ``package``, then merge its events into the store at ``root`` (deduplicated)."""
    scratch = root / CONTROL_DIR / "tmp"
    scratch.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="package-", dir=scratch) as tmp:
        directory = Path(tmp)
        manifest, problems = extract(package, directory)
        verification = verify_extracted(directory, manifest, problems)
        if not verification.ok:
            names = ", ".join(f"{p.path} ({p.problem})" for p in verification.problems[:5])
            raise PackageError(f"{package}: failed verification, nothing imported: {names}")
        result = run_import(store, root, "package", package, _batches(directory, manifest), force)
        return PackageImport(result=result, verification=verification, manifest=manifest)


def list_packages(directory: Path) -> list[tuple[Path, Manifest | None, str]]:
    """Packages in ``directory``: (path, manifest or None, error)."""
    out: list[tuple[Path, Manifest | None, str]] = []
    for path in sorted(directory.iterdir()) if directory.is_dir() else []:
        if not path.is_file() or not path.name.lower().endswith((".tar.zst", ".zip")):
            continue
        try:
            out.append((path, read_manifest(path), ""))
        except PackageError as exc:
            out.append((path, None, str(exc)))
    return out
