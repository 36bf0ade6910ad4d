"""The dashboard's live view takes a batch as aggregates; what it shows is exact."""

from __future__ import annotations

from mdc.config.schema import Config
from mdc.domain.events import Event, Gap, Integrity, Quote, Trade
from mdc.domain.time import NS_PER_MS
from mdc.pipeline.runtime import Runtime
from mdc.web.live import PRICE_STEP_NS, TRADES_PER_SYMBOL, LiveView

T = 1_709_251_200_000_000_000


def trade(symbol: str, ts: int, price: float) -> Trade:
    return Trade(
        symbol=symbol, ts_event=ts, ts_recv=ts, price=price, size=1.0, venue="X", provider="p"
    )


def quote(symbol: str, ts: int, bid: float) -> Quote:
    return Quote(
        symbol=symbol, ts_event=ts, ts_recv=ts, bid_price=bid, bid_size=1, ask_price=bid + 1,
        ask_size=1, venue="X", provider="p",
    )  # fmt: skip


def view() -> LiveView:
    """A live view of a runtime that never runs (its store is never touched)."""
    return LiveView.attach(Runtime(Config(), store=object()))  # type: ignore[arg-type]


def test_trades_quotes_and_price_points_per_symbol_across_batches() -> None:
    live = view()
    step = PRICE_STEP_NS
    first: list[Event] = []
    for i in range(300):  # interleaved symbols, 10 ms apart: 25 trades per price interval
        first.append(trade("AAA" if i % 3 else "BBB", T + i * 10 * NS_PER_MS, 100 + i))
        if i % 50 == 0:
            first.append(quote("AAA", T + i, float(i)))
    live.ingest(first)
    live.ingest([trade("AAA", T + 300 * 10 * NS_PER_MS, 1.0), quote("BBB", T, 7.0)])
    aaa = live.symbols["AAA"]
    aaa_trades = [e for e in first if isinstance(e, Trade) and e.symbol == "AAA"]
    assert aaa.trade_count == 200 + 1
    assert aaa.version == 201 + 6  # every trade and quote
    assert list(aaa.trades) == [*aaa_trades, live.symbols["AAA"].trades[-1]][-TRADES_PER_SYMBOL:]
    assert aaa.trades[-1].price == 1.0
    assert aaa.quote is not None and aaa.quote.bid_price == 250.0
    bbb = live.symbols["BBB"]
    assert (bbb.trade_count, bbb.version) == (100, 101)
    assert bbb.quote is not None and bbb.quote.bid_price == 7.0
    # One point per 250 ms interval of ts_event: the last AAA trade in it, at its time. The
    # second batch's trade (at 3000 ms) opens interval 12: the first batch ends in interval 11.
    expected = {}
    for t in [*aaa_trades, aaa.trades[-1]]:
        expected[(t.ts_event - T) // step] = (t.ts_event, t.price)
    assert list(aaa.prices) == list(expected.values())
    assert len(aaa.prices) == 13


def test_the_interval_a_batch_ends_in_goes_on_in_the_next() -> None:
    live = view()
    live.ingest([trade("AAA", T, 1.0), trade("AAA", T + 10, 2.0)])
    live.ingest([trade("AAA", T + 20, 3.0), trade("AAA", T + PRICE_STEP_NS, 4.0)])
    assert list(live.symbols["AAA"].prices) == [(T + 20, 3.0), (T + PRICE_STEP_NS, 4.0)]


def test_gaps_and_integrity_are_tallied_and_kept() -> None:
    live = view()
    gap = Gap(
        symbol="AAA",
        ts_event=T,
        ts_recv=T,
        from_ts=T,
        to_ts=T + 1,
        reason="seq",
        venue="X",
        provider="p",
    )
    bad = Integrity(
        symbol="AAA", ts_event=T, ts_recv=T + 1, kind="crossed", venue="X", provider="p"
    )
    live.ingest([trade("AAA", T, 1.0), gap, bad, gap])
    assert live.tallies() == {"gaps": {"seq": 2}, "integrity": {"crossed": 1}}
    assert [r["type"] for r in live.quality_events()] == ["gap", "integrity", "gap"]
    assert live.quality_version == 3
    assert live.symbols["AAA"].trade_count == 1
