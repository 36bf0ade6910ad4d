"""Factor and map files from corporate actions (AAPL's 2020 dividend and 4:1 split)."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal

from mdc.domain.events import Bar, CorporateAction
from mdc.domain.time import date_to_ns
from mdc.integrations.lean.factors import factor_file, factor_rows, map_file


def bar(day: date, close: float) -> Bar:
    ts = date_to_ns(day)
    return Bar(
        symbol="AAPL", venue="usa", provider="t", ts_event=ts, ts_recv=ts, interval="1d",
        open=close, high=close, low=close, close=close, volume=1.0,
    )  # fmt: skip


def action(day: date, **kw: float) -> CorporateAction:
    ts = date_to_ns(day)
    kind = "split" if "ratio" in kw else "dividend"
    return CorporateAction(
        symbol="AAPL", venue="usa", provider="t", ts_event=ts, ts_recv=ts, kind=kind, **kw  # type: ignore[arg-type]
    )  # fmt: skip


def test_split_and_dividend_rows_as_lean_writes_them() -> None:
    daily = [bar(date(2020, 8, 3), 435.75), bar(date(2020, 8, 6), 455.61)]
    daily += [bar(date(2020, 8, 27), 500.04), bar(date(2020, 8, 28), 499.23)]
    actions = [action(date(2020, 8, 31), ratio=4.0), action(date(2020, 8, 7), amount=0.82)]
    result = factor_rows(actions, daily)
    pf = (1 - Decimal("0.82") / Decimal("455.61")).quantize(Decimal("1e-7"), ROUND_HALF_EVEN)
    assert str(pf) == "0.9982002"
    assert factor_file(result).decode().split("\n") == [
        f"20200803,{pf},0.25,435.75",
        f"20200806,{pf},0.25,455.61",
        "20200828,1,0.25,499.23",
        "20501231,1,1,0",
    ]
    assert result.problems == []


def test_a_dividend_without_a_reference_close_is_reported_not_guessed() -> None:
    result = factor_rows([action(date(2021, 2, 5), amount=0.205)], [], date(2021, 1, 4))
    assert result.problems == [
        "dividend 0.205 ex 2021-02-05: no daily close for 2021-02-04 in the archive"
    ]
    assert factor_file(result) == b"20210104,1,1,0\n20210204,1,1,0\n20501231,1,1,0"


def test_map_file_of_an_unchanged_ticker() -> None:
    assert map_file("spy", date(1998, 1, 2), "P") == b"19980102,spy,P\n20501231,spy,P\n"
    assert map_file("ibm", date(1998, 1, 2)) == b"19980102,ibm\n20501231,ibm\n"
