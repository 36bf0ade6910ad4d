from __future__ import annotations

import pytest

from mdc.domain.time import datetime_to_ns
from mdc.storage.fsutil import from_component, path_component
from mdc.storage.layout import Layout, LayoutSpec, PathInfo, label_range

TS = datetime_to_ns(__import__("datetime").datetime(2024, 3, 1, 14, 30))


@pytest.mark.parametrize(
    ("layout", "expected"),
    [
        ("by_symbol", "BTC%2FUSD/trades/x-2024-03-01.jsonl.zst"),
        ("by_date", "2024-03-01/trades/x-BTC%2FUSD.jsonl.zst"),
        ("by_type", "trades/BTC%2FUSD/x-2024-03-01.jsonl.zst"),
        ("flat", "x-BTC%2FUSD_trades_2024-03-01.jsonl.zst"),
    ],
)
def test_jsonl_paths_per_layout_and_back(layout: str, expected: str) -> None:
    lay = Layout(LayoutSpec(layout=layout, file_prefix="x-"))  # type: ignore[arg-type]
    label = lay.label_of(TS)
    rel = lay.jsonl_path("trades", "BTC/USD", label, None, "zstd")
    assert rel == expected
    assert lay.parse_jsonl(rel) == PathInfo("trades", "BTC/USD", "2024-03-01", None)
    flat = Layout(LayoutSpec(layout=layout, provider_in_path=True))  # type: ignore[arg-type]
    rel = flat.jsonl_path("book_deltas", "AAPL", label, "alpaca", "none")
    assert rel.startswith("alpaca/")
    assert flat.parse_jsonl(rel) == PathInfo("book_deltas", "AAPL", "2024-03-01", "alpaca")


def test_parquet_is_hive_style() -> None:
    lay = Layout(LayoutSpec(provider_in_path=True))
    rel = lay.parquet_dir("trades", "AAPL", "2024-03-01", "polygon")
    assert rel == "parquet/provider=polygon/type=trades/date=2024-03-01/symbol=AAPL"
    assert lay.parse_parquet_dir(rel) == PathInfo("trades", "AAPL", "2024-03-01", "polygon")
    assert lay.parse_parquet_dir("parquet/type=trades/date=nope/symbol=A") is None


@pytest.mark.parametrize(
    ("partition", "label", "span_s"),
    [
        ("daily", "2024-03-01", 86_400),
        ("hourly", "2024-03-01T14", 3_600),
        ("monthly", "2024-03", 31 * 86_400),
    ],
)
def test_partition_labels_and_ranges(partition: str, label: str, span_s: int) -> None:
    lay = Layout(LayoutSpec(partition=partition))  # type: ignore[arg-type]
    assert lay.label_of(TS) == label
    start, end = label_range(label)
    assert start <= TS < end
    assert end - start == span_s * 1_000_000_000


def test_no_partitioning_puts_everything_in_all() -> None:
    lay = Layout(LayoutSpec(partition="none"))
    assert lay.label_of(TS) == lay.label_of(0) == "all"
    assert lay.jsonl_path("quotes", "SPY", "all", None, "none") == "SPY/quotes/all.jsonl"


def test_monthly_rolls_over_the_year() -> None:
    start, end = label_range("2023-12")
    assert end == label_range("2024-01")[0]
    assert start < end


@pytest.mark.parametrize(
    ("name", "component"),
    [
        ("AAPL", "AAPL"),
        ("BRK.B", "BRK.B"),
        ("BTC/USD", "BTC%2FUSD"),
        ("..", "%2E."),
        (".hidden", "%2Ehidden"),
        ("_mdc", "%5Fmdc"),
        ("parquet", "%70arquet"),
        ("a b", "a%20b"),
        ("", "%00"),
    ],
)
def test_path_components_are_safe_and_reversible(name: str, component: str) -> None:
    assert path_component(name) == component
    assert from_component(component) == name
    assert "/" not in component
