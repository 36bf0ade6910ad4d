"""The archive read API's one convention: pandas unless ``as_`` says otherwise, dates inclusive,
instants end-exclusive (the CLI's ``--from D --to D`` meaning)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

from mdc.config.schema import StorageConfig
from mdc.domain.events import Trade
from mdc.storage import open_store
from mdc.storage.archive import Archive, open_archive

DAY_NS = 86_400 * 10**9
MAR_1 = 1_709_251_200 * 10**9  # 2024-03-01T00:00:00Z


@pytest.fixture
def archive(tmp_path: Path) -> Archive:
    """Three trades a day apart, each at 14:30 UTC on 1, 2 and 3 March 2024."""
    store = open_store(StorageConfig(root=str(tmp_path), format="jsonl", min_free_mb=0))
    base = MAR_1 + (14 * 3600 + 1800) * 10**9
    store.append(
        [
            Trade(
                symbol="AAPL",
                venue="XNAS",
                provider="simulated",
                ts_event=base + day * DAY_NS,
                ts_recv=base + day * DAY_NS,
                seq=day + 1,
                price=100.0 + day,
                size=1.0,
            )
            for day in range(3)
        ]
    )
    store.close()
    return open_archive(tmp_path)


def test_every_reader_returns_pandas_unless_told(archive: Archive) -> None:
    assert isinstance(archive.trades("AAPL"), pd.DataFrame)
    assert isinstance(archive.read("trades"), pd.DataFrame)
    frame = archive.sql("SELECT price FROM trades ORDER BY price")
    assert isinstance(frame, pd.DataFrame)
    assert frame["price"].tolist() == [100.0, 101.0, 102.0]
    assert isinstance(archive.sql("SELECT 1 AS x", as_="arrow"), pa.Table)
    assert archive.sql("SELECT count(*) AS n FROM trades", as_="polars").item() == 3
    assert isinstance(archive.trades("AAPL", as_="polars"), pl.DataFrame)
    with pytest.raises(ValueError, match="as_ must be arrow, pandas or polars"):
        archive.sql("SELECT 1", as_="numpy")  # type: ignore[arg-type]


def test_a_date_end_keeps_that_whole_day(archive: Archive) -> None:
    def prices(start: object, end: object) -> list[float]:
        return list(archive.trades("AAPL", start, end)["price"])  # type: ignore[arg-type]

    assert prices("2024-03-01", "2024-03-01") == [100.0]
    assert prices("2024-03-01", "2024-03-02") == [100.0, 101.0]
    assert prices(date(2024, 3, 2), date(2024, 3, 3)) == [101.0, 102.0]
    assert prices(None, "2024-03-02") == [100.0, 101.0]


def test_an_instant_end_is_exclusive(archive: Archive) -> None:
    second = MAR_1 + DAY_NS + (14 * 3600 + 1800) * 10**9

    def prices(start: object, end: object) -> list[float]:
        return list(archive.trades("AAPL", start, end)["price"])  # type: ignore[arg-type]

    assert prices(None, second) == [100.0]
    assert prices(second, second + 1) == [101.0]
    assert prices("2024-03-01T00:00:00Z", "2024-03-02T14:30:00Z") == [100.0]
    noon = datetime(2024, 3, 3, 12, tzinfo=UTC)
    assert prices("2024-03-02", noon) == [101.0]
