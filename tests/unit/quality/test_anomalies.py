"""Each detector fires on its fault, once, and not on the clean stream around it."""

from __future__ import annotations

from mdc.config.schema import QualityConfig
from mdc.domain.events import Bar, Event, Quote, Status, Trade
from mdc.domain.time import NS_PER_S
from mdc.quality.anomalies import AnomalyDetector

T0 = 1_732_631_400 * NS_PER_S  # 2024-11-26 14:30 UTC
S = NS_PER_S


def trade(i: int, price: float = 100.0, size: float = 100, ts: int | None = None) -> Trade:
    ts = T0 + i * S if ts is None else ts
    return Trade(
        symbol="X",
        venue="V",
        provider="p",
        ts_event=ts,
        ts_recv=T0 + i * S,
        price=price + (i % 5) * 0.01,
        size=size + (i % 3),
    )


def quote(i: int, bid: float = 99.9, ask: float = 100.1) -> Quote:
    return Quote(
        symbol="X",
        venue="V",
        provider="p",
        ts_event=T0 + i * S,
        ts_recv=T0 + i * S,
        bid_price=bid,
        bid_size=1,
        ask_price=ask,
        ask_size=1,
    )


def bar(i: int, o: float, h: float, low: float, c: float, v: float) -> Bar:
    return Bar(
        symbol="X",
        venue="V",
        provider="p",
        ts_event=T0 + i * 60 * S,
        ts_recv=T0 + i * 60 * S,
        interval="1m",
        open=o,
        high=h,
        low=low,
        close=c,
        volume=v,
    )


def kinds(events: list[Event], config: QualityConfig | None = None) -> list[tuple[str, int]]:
    detector = AnomalyDetector(config)
    found = detector.process(events) + detector.flush()
    return [(f.kind, (f.ts_event - T0) // S) for f in found]


def clean(n: int) -> list[Event]:
    out: list[Event] = []
    for i in range(n):
        out += [quote(i), trade(i)]
    return out


def test_a_clean_stream_has_no_findings() -> None:
    assert kinds(clean(200)) == []


def test_volume_outlier_and_locked_quote() -> None:
    events = [*clean(40), trade(40, size=50_000), quote(41, 100.0, 100.0), trade(42)]
    assert kinds(events) == [("volume_outlier", 40), ("locked_quote", 41)]


def test_stale_quote_once_per_stretch_and_not_after_a_quiet_tape() -> None:
    events: list[Event] = [quote(0)] + [trade(i) for i in range(1, 200, 10)]
    # Quotes stop at 0 while trades go on every 10 s: stale once the quote is over 60 s old.
    assert kinds(events) == [("stale_quote", 61)]
    quiet: list[Event] = [quote(0), trade(1), trade(500)]
    assert kinds(quiet) == []


def test_no_stale_quote_while_halted() -> None:
    halt = Status(
        symbol="X", venue="V", provider="p", ts_event=T0, ts_recv=T0, kind="t", state="halted"
    )
    events: list[Event] = [quote(0), halt] + [trade(i) for i in range(1, 200, 10)]
    assert kinds(events) == []


def test_timestamps_out_of_order_and_in_the_future() -> None:
    events = [*clean(30), trade(30, ts=T0 + 10 * S), trade(31, ts=T0 + 40 * S)]
    assert kinds(events) == [("ts_out_of_order", 10), ("future_timestamp", 40)]


def test_trade_outside_the_bbo() -> None:
    events = [*clean(30), quote(30, 100.2, 100.4), trade(31)]
    assert kinds(events) == [("trade_outside_bbo", 31)]


def test_crossed_quotes_are_no_reference_for_trades() -> None:
    events = [*clean(30), quote(30, 100.3, 100.1), trade(31)]
    assert kinds(events) == [("crossed_quote", 30)]


def test_inconsistent_bars_and_bar_volume_outliers() -> None:
    bars: list[Event] = [bar(i, 10, 11, 9, 10.5, 1000 + i) for i in range(30)]
    bars += [bar(30, 10, 9.5, 9, 10, 1000), bar(31, 10, 11, 9, 10, -1), bar(32, 10, 11, 9, 10, 1e6)]
    assert kinds(bars) == [("bad_ohlc", 1800), ("bad_ohlc", 1860), ("volume_outlier", 1920)]


def test_a_new_price_level_is_accepted_after_three_spikes() -> None:
    events = clean(40) + [trade(i, price=120.0) for i in range(40, 50)]
    found = kinds(events)
    assert found[:3] == [("price_spike", 40), ("price_spike", 41), ("price_spike", 42)]
    # …then the quotes (still at 100) say the new trades are outside the BBO, not spikes.
    assert {k for k, _ in found[3:]} == {"trade_outside_bbo"}


def test_thresholds_come_from_the_config() -> None:
    events = [*clean(40), trade(40, size=50_000)]
    assert kinds(events, QualityConfig(volume_min_ratio=1000)) == []


def test_a_flat_zero_tape_and_zero_means_do_not_break_the_judge() -> None:
    """A tape of 0.0 prints has a robust scale of 0: the next print is a spike 'inf' robust
    deviations out, not a ZeroDivisionError; two providers whose minute means sum to 0 are not
    compared by a division by 0 either."""
    zeros = [
        Trade(
            symbol="X",
            venue="V",
            provider=p,
            ts_event=T0 + i * S,
            ts_recv=T0 + i * S,
            price=0.0,
            size=1.0,
        )
        for i in range(30)
        for p in ("p", "q")
    ]
    detector = AnomalyDetector(QualityConfig(divergence_minutes=1))
    found = detector.process([*zeros, trade(200, price=5.0, ts=T0 + 200 * S)]) + detector.flush()
    spike = [f for f in found if f.kind == "price_spike"]
    assert [f.detail for f in spike] == ["price 5 is inf robust deviations from the median 0"]
    assert not [f for f in found if f.kind == "provider_divergence"]
