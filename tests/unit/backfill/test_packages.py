"""``mdc package``: created, copied, verified and imported into an empty archive, the data reads
back identical; a flipped byte fails ``verify`` naming the file; a second import adds nothing."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import duckdb
import pytest
import zstandard
from tests.support.packages import frame_of, middle_of
from typer.testing import CliRunner

from mdc.cli.main import app
from mdc.config.schema import StorageConfig
from mdc.domain.events import Event, Quote, Trade
from mdc.storage import open_store
from mdc.storage.archive import open_archive

runner = CliRunner()
DAY = 86_400 * 10**9
T0 = 1_764_547_200 * 10**9  # 2025-12-01T00:00:00Z
SYMBOLS = ("AAA", "BBB")


def events() -> list[Event]:
    out: list[Event] = []
    for i in range(600):
        sym = SYMBOLS[i % 2]
        ts = T0 + (i % 3) * DAY + i * 1_000_000
        out.append(
            Trade(
                symbol=sym, venue="x", provider="sim", ts_event=ts, ts_recv=ts + 5,
                seq=i, price=100 + i / 100, size=1 + i % 7, trade_id=str(i),
            )
        )  # fmt: skip
        if i % 3 == 0:
            out.append(
                Quote(
                    symbol=sym, venue="x", provider="sim", ts_event=ts + 1, ts_recv=ts + 6,
                    bid_price=99.5, bid_size=i, ask_price=100.5, ask_size=i + 1,
                )
            )  # fmt: skip
    return out


def fill(root: Path, fmt: str) -> None:
    store = open_store(StorageConfig(root=str(root), format=fmt))  # type: ignore[arg-type]
    try:
        batch = events()
        for start in range(0, len(batch), 100):
            store.append(batch[start : start + 100])
    finally:
        store.close()


def table(root: Path, type_name: str) -> list[dict[str, object]]:
    query = f"SELECT * FROM {type_name} ORDER BY ts_event, symbol"
    rows: list[dict[str, object]] = open_archive(root).sql(query, as_="arrow").to_pylist()
    return rows


def cli(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


@pytest.mark.parametrize(("fmt", "suffix"), [("jsonl", ".tar.zst"), ("parquet", ".zip")])
def test_package_round_trip_into_an_empty_archive(tmp_path: Path, fmt: str, suffix: str) -> None:
    src, dst = tmp_path / "src", tmp_path / "dst"
    fill(src, fmt)
    pkg = tmp_path / f"set{suffix}"
    code, out = cli("package", "create", str(pkg), "-d", str(src), "--json")
    assert code == 0, out
    manifest = json.loads(out)
    assert manifest["rows"] == 800
    assert manifest["types"] == ["quotes", "trades"]
    assert manifest["providers"] == ["sim"]
    assert manifest["symbols"] == list(SYMBOLS)
    assert sum(f["rows"] for f in manifest["files"] if f["type"] == "trades") == 600
    copy = tmp_path / "elsewhere" / pkg.name
    copy.parent.mkdir()
    shutil.copy(pkg, copy)
    code, out = cli("package", "verify", str(copy))
    assert code == 0, out
    assert f"OK, {len(manifest['files'])} files, 800 rows" in out

    code, out = cli("package", "import", str(copy), "-d", str(dst), "--json")
    assert code == 0, out
    assert json.loads(out)["import"]["by_type"] == {"trades": 600, "quotes": 200}
    for type_name in ("trades", "quotes"):
        assert table(dst, type_name) == table(src, type_name)

    code, out = cli("package", "import", str(copy), "-d", str(dst), "--force", "--json")
    assert code == 0, out
    assert len(table(dst, "trades")) == 600  # dedup: the second import added nothing
    assert len(table(dst, "quotes")) == 200

    code, out = cli("package", "list", str(copy.parent), "--json")
    (listed,) = json.loads(out)
    assert listed["manifest"]["rows"] == 800


def test_selection_and_members(tmp_path: Path) -> None:
    src = tmp_path / "src"
    fill(src, "jsonl")
    pkg = tmp_path / "one.tar.zst"
    code, out = cli(
        "package", "create", str(pkg), "-d", str(src), "-s", "AAA", "-t", "trades",
        "--from", "2025-12-02", "--to", "2025-12-02", "--json",
    )  # fmt: skip
    assert code == 0, out
    manifest = json.loads(out)
    assert [f["path"] for f in manifest["files"]] == ["AAA/trades/2025-12-02.jsonl"]
    assert manifest["rows"] == 100  # i even with i % 3 == 1: 100 of 600
    with (
        pkg.open("rb") as raw,
        tarfile.open(fileobj=zstandard.ZstdDecompressor().stream_reader(raw), mode="r|") as tar,
    ):
        names = [m.name for m in tar]
    assert names == [
        "manifest.json", "layout.json", "DATA_DICTIONARY.md", "loaders/pandas_load.py",
        "loaders/polars_load.py", "loaders/duckdb.sql", "data/AAA/trades/2025-12-02.jsonl",
    ]  # fmt: skip
    code, out = cli("package", "create", str(tmp_path / "none.zip"), "-d", str(src), "-s", "ZZZ")
    assert code == 2
    assert "nothing selected" in out


def _flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def test_flipped_byte_fails_verify_naming_the_file(tmp_path: Path) -> None:
    src = tmp_path / "src"
    fill(src, "jsonl")
    pkg = tmp_path / "set.zip"
    assert cli("package", "create", str(pkg), "-d", str(src))[0] == 0
    with zipfile.ZipFile(pkg) as zf:
        info = zf.getinfo("data/BBB/quotes/2025-12-01.jsonl")
    # The member's data starts after its local header (30 bytes + name + extra).
    header = 30 + len(info.filename.encode()) + len(info.extra)
    _flip(pkg, info.header_offset + header + info.compress_size // 2)
    code, out = cli("package", "verify", str(pkg))
    assert code == 1
    assert out.startswith("BBB/quotes/2025-12-01.jsonl: ")
    assert len(out.strip().splitlines()) == 1  # only that file
    dst = tmp_path / "dst"
    code, out = cli("package", "import", str(pkg), "-d", str(dst))
    assert code == 1
    assert "failed verification, nothing imported: BBB/quotes/2025-12-01.jsonl" in out


@pytest.mark.parametrize("where", ["middle", "frame header"])
def test_flipped_byte_in_a_tar_zst_names_the_file(tmp_path: Path, where: str) -> None:
    """One checksummed zstd frame per member: damage is found in the member it hits (also when
    its frame cannot even be opened, before its tar header is read); a tar stream cannot be
    read past it, so the later files are reported as not reached."""
    src = tmp_path / "src"
    fill(src, "jsonl")
    pkg = tmp_path / "set.tar.zst"
    code, out = cli("package", "create", str(pkg), "-d", str(src), "--json")
    names = [f["path"] for f in json.loads(out)["files"]]
    target = "BBB/quotes/2025-12-01.jsonl"
    data = pkg.read_bytes()
    at = (
        middle_of(data, f"data/{target}")
        if where == "middle"
        else frame_of(data, f"data/{target}")[0] + 4
    )
    _flip(pkg, at)
    code, out = cli("package", "verify", str(pkg), "--json")
    assert code == 1
    problems = json.loads(out)["problems"]
    assert problems[0]["path"] == target
    assert "checksum" in problems[0]["problem"] or "corrupt" in problems[0]["problem"]
    after = names[names.index(target) + 1 :]
    assert [p["path"] for p in problems[1:]] == after
    assert all(p["problem"] == f"not reached (unreadable after {target})" for p in problems[1:])


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_loader_snippets_read_every_row(
    tmp_path: Path, fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = tmp_path / "src"
    fill(src, fmt)
    pkg = tmp_path / "set.zip"
    assert cli("package", "create", str(pkg), "-d", str(src))[0] == 0
    out = tmp_path / "x"
    with zipfile.ZipFile(pkg) as zf:
        zf.extractall(out)
    for loader in ("pandas_load.py", "polars_load.py"):
        run = subprocess.run(
            [sys.executable, str(out / "loaders" / loader)], capture_output=True, text=True
        )
        assert run.returncode == 0, run.stderr
        assert run.stdout.split("\n") == ["quotes 200", "trades 600", ""]
    monkeypatch.chdir(out)  # the SQL names the files relative to the extracted package
    con = duckdb.connect()
    con.execute((out / "loaders" / "duckdb.sql").read_text())
    counts = con.execute("SELECT (SELECT count(*) FROM trades), (SELECT count(*) FROM quotes)")
    assert counts.fetchall() == [(600, 200)]
