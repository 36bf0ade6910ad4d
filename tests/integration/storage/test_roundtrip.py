"""Every event type round-trips bit-exactly through JSONL and Parquet, read back by pyarrow,
polars and DuckDB as well as by the archive API."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import msgspec
import polars as pl
import pyarrow as pa
import pyarrow.json as pajson
import pyarrow.parquet as pq
import pytest

from mdc.config.schema import StorageConfig
from mdc.domain.events import (
    EVENT_TYPES,
    TYPE_NAMES,
    Bar,
    BookDelta,
    BookSnapshot,
    CorporateAction,
    Event,
    Gap,
    Integrity,
    OrderUpdate,
    Quote,
    QuoteBar,
    Status,
    Trade,
)
from mdc.storage import open_store
from mdc.storage.archive import open_archive
from mdc.storage.arrow import TIMESTAMP, schema
from mdc.storage.jsonl import read_jsonl_bytes

T = 1_709_303_400_123_456_789  # 2024-03-01T14:30:00.123456789Z
TRICKY = 'Ünïcødé 💹 "quoted" back\\slash\nnew line\ttab'


def all_events() -> list[Event]:
    c = {"symbol": "BTC/USD", "venue": "COINBASE", "provider": "sim"}
    return [
        Trade(
            **c,
            ts_event=T,
            ts_recv=T + 1,
            seq=2**62,
            price=0.1 + 0.2,
            size=5e-324,
            side="sell",
            trade_id=TRICKY,
            exchange="X",
            conditions=["@", "\n", ""],
            tape="A",
            trf_id="201",
            trf_ts=T - 5,
        ),
        Trade(**c, ts_event=T + 1, ts_recv=T + 2, price=-0.0, size=1.7976931348623157e308),
        Quote(
            **c,
            ts_event=T + 2,
            ts_recv=T + 3,
            seq=7,
            bid_price=99.99999999999999,
            bid_size=0.0,
            ask_price=100.00000000000001,
            ask_size=2.5e-8,
            bid_exchange="P",
            conditions=["R"],
        ),
        BookDelta(**c, ts_event=T + 3, ts_recv=T + 4, seq=8, side="ask", price=100.5, size=0.0),
        BookSnapshot(
            **c, ts_event=T + 4, ts_recv=T + 5, seq=9, bids=[(100.0, 1.5), (99.5, 1e-9)], asks=[]
        ),
        Bar(
            **c,
            ts_event=T - T % 60_000_000_000,
            ts_recv=T + 6,
            interval="1m",
            open=1.0,
            high=2.0,
            low=-3.0,
            close=1.5,
            volume=123456789.125,
            vwap=1.2345678901234567,
            trades=42,
            adjusted=True,
        ),
        Bar(
            **c,
            ts_event=T - T % 60_000_000_000 + 60_000_000_000,
            ts_recv=T + 7,
            interval="1m",
            open=1.0,
            high=2.0,
            low=0.5,
            close=1.5,
            volume=0.0,
        ),
        QuoteBar(
            **c,
            ts_event=T - T % 60_000_000_000,
            ts_recv=T + 7,
            interval="1m",
            bid_open=1.25,
            bid_high=1.5,
            bid_low=1.0,
            bid_close=1.125,
            bid_size=300.0,
            ask_size=0.0,
        ),
        Gap(
            **c,
            ts_event=T + 8,
            ts_recv=T + 8,
            from_ts=T - 10**9,
            to_ts=T,
            reason="disconnect",
            detail=TRICKY,
        ),
        Integrity(
            **c,
            ts_event=T + 9,
            ts_recv=T + 9,
            kind="crossed_book",
            severity="error",
            detail="bid 101 >= ask 100",
        ),
        Status(**c, ts_event=T + 10, ts_recv=T + 10, kind="halt", state="halted", detail="LULD"),
        CorporateAction(
            **c, ts_event=T + 11, ts_recv=T + 11, kind="split", ratio=4.0, pay_date="2024-03-04"
        ),
        CorporateAction(
            **c, ts_event=T + 12, ts_recv=T + 12, kind="dividend", amount=0.24, currency="USD"
        ),
        OrderUpdate(
            **c,
            ts_event=T + 13,
            ts_recv=T + 14,
            seq=3,
            action="replace",
            order_id=str(2**64 - 1),
            side="bid",
            price=0.1 + 0.2,
            size=300.0,
            new_order_id="18446744073709551614",
        ),
        OrderUpdate(
            **c,
            ts_event=T + 13,
            ts_recv=T + 14,
            seq=4,
            action="delete",
            order_id="9",
            side=None,
            price=0.0,
            size=0.0,
        ),
    ]


def exact(events: list[Event]) -> bytes:
    """MessagePack keeps float64 bits (-0.0, subnormals): equal bytes = bit-exact."""
    return msgspec.msgpack.encode(events)


def by_type(events: list[Event]) -> dict[type[Event], list[Event]]:
    out: dict[type[Event], list[Event]] = {}
    for e in events:
        out.setdefault(type(e), []).append(e)
    return out


@pytest.fixture(scope="module")
def archive_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("archive")
    store = open_store(
        StorageConfig(root=str(root), format="both", raw_capture=False, min_free_mb=0)
    )
    store.append(all_events())
    store.close()
    return root


def rows_to_events(cls: type[Event], rows: list[dict[str, Any]]) -> list[Event]:
    return msgspec.convert([{k: v for k, v in r.items() if k != "type"} for r in rows], list[cls])  # type: ignore[valid-type]


def files(root: Path, cls: type[Event]) -> tuple[Path, Path]:
    name = TYPE_NAMES[cls]
    (jsonl,) = root.glob(f"BTC%2FUSD/{name}/*.jsonl")
    (part,) = root.glob(f"parquet/type={name}/date=*/symbol=BTC%2FUSD/*.parquet")
    return jsonl, part


def test_every_type_is_written(archive_root: Path) -> None:
    archive = open_archive(archive_root)
    assert archive.types() == sorted(TYPE_NAMES[t] for t in EVENT_TYPES)
    assert archive.symbols() == ["BTC/USD"]


@pytest.mark.parametrize("cls", EVENT_TYPES, ids=lambda c: TYPE_NAMES[c])
def test_archive_api_reads_both_formats_bit_exactly(archive_root: Path, cls: type[Event]) -> None:
    expected = by_type(all_events())[cls]
    for source in ("jsonl", "parquet"):
        got = open_archive(archive_root, source=source).events(TYPE_NAMES[cls])  # type: ignore[arg-type]
        assert exact(got) == exact(expected), source


@pytest.mark.parametrize("cls", EVENT_TYPES, ids=lambda c: TYPE_NAMES[c])
def test_pyarrow_reads_both_formats(archive_root: Path, cls: type[Event]) -> None:
    expected = by_type(all_events())[cls]
    jsonl, part = files(archive_root, cls)
    table = pq.read_table(part)
    assert table.schema.equals(schema(cls), check_metadata=False)
    assert exact(rows_to_events(cls, _plain_rows(table))) == exact(expected)
    plain = pa.schema(
        [
            pa.field(
                f.name,
                pa.int64()
                if f.type == TIMESTAMP
                else pa.string()
                if pa.types.is_dictionary(f.type)
                else f.type,
            )
            for f in schema(cls)
        ]
    )
    table = pajson.read_json(
        io.BytesIO(read_jsonl_bytes(jsonl)),
        parse_options=pajson.ParseOptions(
            explicit_schema=plain, unexpected_field_behavior="ignore"
        ),
    )
    assert exact(rows_to_events(cls, table.to_pylist())) == exact(expected)


def _plain_rows(table: pa.Table) -> list[dict[str, Any]]:
    columns = [c.cast(pa.int64()) if c.type == TIMESTAMP else c for c in table.columns]
    return pa.Table.from_arrays(columns, names=table.column_names).to_pylist()


@pytest.mark.parametrize("cls", EVENT_TYPES, ids=lambda c: TYPE_NAMES[c])
def test_polars_reads_both_formats(archive_root: Path, cls: type[Event]) -> None:
    expected = by_type(all_events())[cls]
    jsonl, part = files(archive_root, cls)
    df = pl.read_parquet(part)
    df = df.with_columns(pl.col(pl.Datetime).dt.epoch("ns"))
    assert exact(rows_to_events(cls, df.to_dicts())) == exact(expected)
    df = pl.read_ndjson(jsonl, infer_schema_length=None)
    assert exact(rows_to_events(cls, df.to_dicts())) == exact(expected)


@pytest.mark.parametrize("cls", EVENT_TYPES, ids=lambda c: TYPE_NAMES[c])
def test_duckdb_views_read_both_formats(archive_root: Path, cls: type[Event]) -> None:
    expected = by_type(all_events())[cls]
    name = TYPE_NAMES[cls]
    ts_cols = [f.name for f in schema(cls) if f.type == TIMESTAMP]
    select = ", ".join(
        f"epoch_ns({f.name}) AS {f.name}" if f.name in ts_cols else f.name for f in schema(cls)
    )
    for source in ("jsonl", "parquet"):
        con = open_archive(archive_root, source=source).connect()  # type: ignore[arg-type]
        table = con.sql(f"SELECT {select} FROM {name}").to_arrow_table()
        con.close()
        assert exact(rows_to_events(cls, table.to_pylist())) == exact(expected), source


def test_duckdb_view_spans_jsonl_and_parquet_partitions(tmp_path: Path) -> None:
    day = 86_400 * 10**9
    first, second = all_events()[0], all_events()[1]
    second = msgspec.structs.replace(second, ts_event=second.ts_event + day)
    store = open_store(StorageConfig(root=str(tmp_path), format="jsonl", min_free_mb=0))
    store.append([first])
    store.close()
    store = open_store(StorageConfig(root=str(tmp_path), format="parquet", min_free_mb=0))
    store.append([second])
    store.close()
    archive = open_archive(tmp_path)
    assert [len(p.jsonl) + len(p.parquet) for p in archive.partitions("trades")] == [1, 1]
    query = "SELECT epoch_ns(ts_event) AS t, price FROM trades ORDER BY t"
    out = archive.sql(query, as_="arrow").to_pylist()
    assert out == [
        {"t": first.ts_event, "price": first.price},
        {"t": second.ts_event, "price": second.price},
    ]
    table = archive.read("trades", "BTC/USD", as_="arrow")
    assert table.num_rows == 2
    assert archive.sql(query).to_dict("list") == {
        "t": [first.ts_event, second.ts_event],
        "price": [first.price, second.price],
    }
    assert archive.trades("BTC/USD", as_="polars").height == 2
    assert len(archive.trades("BTC/USD", start=second.ts_event)) == 1
