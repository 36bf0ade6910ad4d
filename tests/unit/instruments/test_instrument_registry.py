"""The registry keeps dated versions: past mappings stay answerable after refreshes change or
drop listings; merging follows FIGIs, and symbol joins never guess between two FIGIs."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from mdc.instruments.record import merge
from mdc.instruments.registry import Registry, RegistryError
from mdc.providers.base import SymbolInfo

D1, D2, D3 = date(2026, 1, 5), date(2026, 3, 2), date(2026, 6, 1)


def listing(symbol: str, provider: str = "polygon", **kw: object) -> SymbolInfo:
    return SymbolInfo(
        symbol=symbol, provider=provider, provider_symbol=symbol, asset_class="equity", **kw
    )  # type: ignore[arg-type]


def test_a_renamed_ticker_stays_answerable_as_of_its_old_days(tmp_path: Path) -> None:
    reg = Registry(tmp_path)
    first = reg.store(
        "polygon",
        [
            listing("FB", name="Meta Platforms", composite_figi="BBG1"),
            listing("TWTR", name="Twitter", composite_figi="BBG2"),
        ],
        D1,
    )
    assert (first.listed, first.added, first.changed, first.removed) == (2, 2, 0, 0)
    second = reg.store(
        "polygon", [listing("META", name="Meta Platforms", composite_figi="BBG1")], D2
    )
    assert (second.added, second.changed, second.removed) == (1, 0, 2)
    same = reg.store("polygon", [listing("META", name="Meta Platforms", composite_figi="BBG1")], D3)
    assert (same.added, same.changed, same.removed) == (0, 0, 0)

    assert reg.get("FB") is None  # today
    old = reg.get("FB", as_of=date(2026, 2, 1))
    assert old is not None and old.key == "figi:BBG1" and old.symbol == "FB"
    assert reg.get("META", as_of=date(2026, 2, 1)) is None
    now = reg.get("META")
    assert now is not None and now.key == "figi:BBG1"
    assert reg.get("TWTR", as_of=D2) is None  # gone from D2 on (valid_to is exclusive)
    assert [
        (h["provider_symbol"], h["valid_from"], h["valid_to"]) for h in reg.history("figi:BBG1")
    ] == [("FB", "2026-01-05", "2026-03-02"), ("META", "2026-03-02", None)]
    assert [h.symbol for h in reg.search("meta", as_of=date(2026, 2, 1))] == ["FB"]


def test_a_changed_field_closes_the_old_version(tmp_path: Path) -> None:
    reg = Registry(tmp_path)
    reg.store("finnhub", [listing("XYZ", provider="finnhub", name="Old Name")], D1)
    done = reg.store("finnhub", [listing("XYZ", provider="finnhub", name="New Name")], D2)
    assert (done.added, done.changed, done.removed) == (0, 1, 0)
    assert reg.get("XYZ", as_of=D1).name == "Old Name"  # type: ignore[union-attr]
    assert reg.get("XYZ").name == "New Name"  # type: ignore[union-attr]
    again = reg.store("finnhub", [listing("XYZ", provider="finnhub", name="Newer")], D2)
    assert again.changed == 1  # same day: replaced, no zero-length version kept
    assert len(reg.history(reg.get("XYZ").key)) == 2  # type: ignore[union-attr]


def test_an_empty_full_listing_is_refused_and_search_results_never_close(tmp_path: Path) -> None:
    reg = Registry(tmp_path)
    reg.store(
        "alpaca", [listing("AAPL", provider="alpaca"), listing("MSFT", provider="alpaca")], D1
    )
    with pytest.raises(RegistryError, match="alpaca listed no instruments"):
        reg.store("alpaca", [], D2)
    reg.store("alpaca", [listing("NVDA", provider="alpaca")], D2, complete=False)
    assert {r["provider"]: r["listings"] for r in reg.summary()} == {"alpaca": 3}


def test_symbol_joins_do_not_guess_between_two_figis() -> None:
    merged = merge(
        [
            listing("ABC", composite_figi="BBG-US"),
            listing("ABC", provider="openfigi", composite_figi="BBG-OTHER"),
            listing("ABC", provider="alpaca"),  # which one? neither
            listing("XYZ", provider="alpaca"),
            listing("XYZ", provider="finnhub", figi="BBG-X", composite_figi="BBG-X"),
            listing("XYZ", provider="openfigi", figi="BBG-X-UN", composite_figi="BBG-X"),
        ]
    )
    assert [(m.key, sorted(m.spellings)) for m in merged] == [
        ("figi:BBG-US", ["polygon"]),
        ("figi:BBG-OTHER", ["openfigi"]),
        ("equity:ABC", ["alpaca"]),
        ("figi:BBG-X", ["alpaca", "finnhub", "openfigi"]),
    ]


def test_search_ranks_exact_then_prefix_then_name(tmp_path: Path) -> None:
    reg = Registry(tmp_path)
    reg.store(
        "polygon",
        [
            listing("APP", name="AppLovin"),
            listing("AAPL", name="Apple Inc."),
            listing("APPN", name="Appian"),
            listing("MSFT", name="Microsoft"),
            listing("X_Y", name="100% test"),
        ],
        D1,
    )
    assert [h.symbol for h in reg.search("app")] == ["APP", "APPN", "AAPL"]
    assert [h.symbol for h in reg.search("100%")] == ["X_Y"]
    assert reg.search("%") == []  # no letters or digits: nothing to match
    assert [h.symbol for h in reg.search("app", provider="finnhub")] == []
