"""Lean's CSV rules one by one: numbers, times across DST, paths, quote-bar sides, crypto,
bad rows, and the reader's tolerance (CRLF, trailing newline, fractional ms, 3-column ticks)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from mdc.domain.events import Bar, QuoteBar, Trade
from mdc.domain.time import datetime_to_ns
from mdc.integrations.lean.codec import (
    NEW_YORK,
    Day,
    LeanFormatError,
    Numbers,
    RowReader,
    fmt,
    lean_ticker,
    mdc_symbol,
    quote_bar_out,
    trade_tick_out,
)
from mdc.integrations.lean.paths import LeanFile, parse_path
from mdc.integrations.lean.zipfiles import payload, rows


def utc(*args: int) -> int:
    return datetime_to_ns(datetime(*args, tzinfo=UTC))  # type: ignore[misc]


def test_numbers_are_normalized_like_dotnet() -> None:
    assert [fmt(Decimal(x)) for x in ("9832.00", "0.50", "-0", "1E+2", "5263.799551")] == [
        "9832",
        "0.5",
        "0",
        "100",
        "5263.799551",
    ]
    equity, crypto = Numbers("equity", "polygon"), Numbers("crypto", "coinbase")
    assert equity.price(181.52) == "1815200"
    assert equity.price(2046.666) == "20466660"
    assert equity.price(190.12999999999997) == "1901300"  # a computed value's noise stripped
    assert crypto.price(17205.0) == "17205"
    assert crypto.price(1e-05) == "0.00001"  # never an exponent
    assert crypto.size(31.115892870000003) == "31.11589287"
    assert Numbers("crypto", "lean").size(31.115892870000003) == "31.115892870000003"  # Lean's


def test_ms_since_local_midnight_across_dst_days() -> None:
    summer = Day(date(2013, 10, 7), NEW_YORK)
    assert summer.ms_in("34200000") == utc(2013, 10, 7, 13, 30)  # 09:30 EDT
    assert summer.ms_out(utc(2013, 10, 7, 13, 30)) == "34200000"
    assert summer.ms_in("14400009.367") == utc(2013, 10, 7, 8, 0) + 9_367_000
    assert summer.ms_out(utc(2013, 10, 7, 8, 0) + 9_367_000) == "14400009.367"
    spring = Day(date(2024, 3, 10), NEW_YORK)  # clocks jump 02:00 → 03:00
    assert spring.ms_in("3600000") == utc(2024, 3, 10, 6, 0)  # 01:00 EST
    assert spring.ms_in("34200000") == utc(2024, 3, 10, 13, 30)  # 09:30 EDT
    assert spring.ms_out(utc(2024, 3, 10, 13, 30)) == "34200000"
    assert (spring.start_ns, spring.end_ns) == (utc(2024, 3, 10, 5), utc(2024, 3, 11, 4))


def test_paths_and_entry_names_of_every_kind() -> None:
    cases = {
        ("equity", "usa", "tick", "ibm", "quote", date(2013, 10, 7)): (
            "equity/usa/tick/ibm/20131007_quote.zip",
            "20131007_ibm_Quote_Tick.csv",
        ),
        ("equity", "usa", "minute", "spy", "trade", date(2013, 10, 7)): (
            "equity/usa/minute/spy/20131007_trade.zip",
            "20131007_spy_minute_trade.csv",
        ),
        ("equity", "usa", "daily", "aapl", "trade", None): (
            "equity/usa/daily/aapl.zip",
            "aapl.csv",
        ),
        ("crypto", "coinbase", "tick", "btcusd", "quote", date(2016, 2, 17)): (
            "crypto/coinbase/tick/btcusd/20160217_quote.zip",
            "20160217_btcusd_tick_quote.csv",
        ),
        ("crypto", "coinbase", "daily", "btcusd", "quote", None): (
            "crypto/coinbase/daily/btcusd_quote.zip",
            "btcusd.csv",
        ),
    }
    for args, (rel, entry) in cases.items():
        f = LeanFile(*args)  # type: ignore[arg-type]
        assert (f.rel_path, f.entry_name) == (rel, entry)
        assert parse_path(rel) == f
    with pytest.raises(ValueError, match="no equity hour/daily quote"):
        LeanFile("equity", "usa", "hour", "spy", "quote")
    assert parse_path("equity/usa/factor_files/spy.csv") is None
    assert parse_path("option/usa/minute/spy/20131007_trade.zip") is None


def test_symbols() -> None:
    assert [lean_ticker(s, "crypto") for s in ("BTC/USD", "ETH-USDT")] == ["btcusd", "ethusdt"]
    assert lean_ticker("BRK.B", "equity") == "brk.b"
    assert [mdc_symbol(t, "crypto") for t in ("btcusd", "ethusdt", "xyz")] == [
        "BTC/USD",
        "ETH/USDT",
        "XYZ",
    ]


def test_quote_bar_with_one_side_and_crypto_rows() -> None:
    file = LeanFile("crypto", "coinbase", "minute", "btcusd", "quote", date(2018, 4, 4))
    reader = RowReader(file)
    bar = reader.read(["34200000", "", "", "", "", "0", "6", "7", "8", "9", "10"], 1)
    assert isinstance(bar, QuoteBar) and bar.bid_open is None and bar.ask_close == 9.0
    day = Day(date(2018, 4, 4), UTC)
    assert quote_bar_out(bar, day, "crypto") == "34200000,,,,,0,6,7,8,9,10"
    trades = RowReader(LeanFile("crypto", "coinbase", "tick", "btcusd", "trade", date(2018, 4, 4)))
    three = trades.read(["34200000", "1", "2"], 1)  # the readme's 3 columns
    assert isinstance(three, Trade) and three.conditions == []
    assert trade_tick_out(three, day, "crypto") == "34200000,1,2,0"  # Lean writes 4
    four = trades.read(["34200000", "1", "2", "1"], 2)
    assert isinstance(four, Trade) and four.conditions == ["suspicious"]


def test_foreign_trades_get_lean_exchange_codes_and_no_conditions() -> None:
    t = Trade(
        symbol="SPY", venue="IEX", provider="alpaca", ts_event=utc(2024, 3, 1, 14, 30),
        ts_recv=0, price=500.1, size=100, exchange="V", conditions=["@", "T"],
    )  # fmt: skip
    assert trade_tick_out(t, Day(date(2024, 3, 1), NEW_YORK), "equity") == (
        "34200000,5001000,100,IEX,0,0"
    )


def test_bad_rows_are_named() -> None:
    reader = RowReader(LeanFile("equity", "usa", "minute", "spy", "trade", date(2013, 10, 7)))
    with pytest.raises(LeanFormatError, match="6 columns expected, got 3"):
        reader.read(["1", "2", "3"], 1)
    with pytest.raises(LeanFormatError, match="not a decimal: 'abc'"):
        reader.read(["34200000", "abc", "1", "1", "1", "1"], 1)
    daily = RowReader(LeanFile("equity", "usa", "daily", "spy", "trade"))
    with pytest.raises(LeanFormatError, match="expected yyyyMMdd HH:mm"):
        daily.read(["2013-10-07", "1", "1", "1", "1", "1"], 1)
    ok = daily.read(["19980102 00:00", "136300", "162500", "135000", "162500", "6315000"], 1)
    assert isinstance(ok, Bar) and ok.ts_event == utc(1998, 1, 2) and ok.close == 16.25


def test_reader_tolerates_what_lean_tolerates_and_writer_emits_lean_bytes() -> None:
    assert rows(b"1,2\r\n3,4\r\n\r\n") == [["1", "2"], ["3", "4"]]
    assert rows(b"\xef\xbb\xbf1,2\n3,4\n") == [["1", "2"], ["3", "4"]]
    assert payload(["1,2", "3,4"]) == b"1,2\n3,4"
