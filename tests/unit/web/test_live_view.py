"""The dashboard's live view takes a batch as aggregates; what it shows is exact."""

from __future__ import annotations

from mdc.config.schema import Config
from mdc.domain.events import Event, Gap, Integrity, Quote, Trade
from mdc.domain.time import NS_PER_MS
from mdc.pipeline.runtime import Runtime
from mdc.web.live import PRICE_STEP_NS, TAPE_TRADES, LiveView

TRADES_SHOWN = 50

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


def test_counts_quotes_tape_and_price_points_per_symbol_across_batches() -> None:
    live = view()
    first: list[Event] = []
    for i in range(300):  # interleaved symbols, 10 ms apart
        first.append(trade("AAA" if i % 3 else "BBB", T + i * 10 * NS_PER_MS, 100 + i))
        if i % 50 == 0:
            first.append(quote("AAA", T + i, float(i)))
    late = trade("AAA", T + 4000 * NS_PER_MS, 1.0)
    live.ingest(first)
    live.ingest([late, quote("BBB", T, 7.0)])
    aaa, bbb = live.symbols["AAA"], live.symbols["BBB"]
    assert (aaa.trade_count, aaa.version) == (201, 201 + 6)  # every trade and quote
    assert (bbb.trade_count, bbb.version) == (100, 101)
    assert aaa.quote is not None and aaa.quote.bid_price == 250.0
    assert bbb.quote is not None and bbb.quote.bid_price == 7.0
    aaa_trades = [e for e in first if isinstance(e, Trade) and e.symbol == "AAA"] + [late]
    snap = live.snapshot("AAA", trades=TRADES_SHOWN)
    assert [t["price"] for t in snap["trades"]] == [t.price for t in aaa_trades[::-1]][:50]
    assert snap["trade_count"] == 201
    # The path: each batch's last trade of the symbol, one point per PRICE_STEP_NS.
    assert list(aaa.prices) == [(T + 299 * 10 * NS_PER_MS, 399), (late.ts_event, 1.0)]
    assert list(bbb.prices) == [(T + 297 * 10 * NS_PER_MS, 397)]


def test_a_symbol_goes_on_in_its_interval_and_the_tape_is_bounded() -> None:
    live = view()
    live.ingest([trade("AAA", T, 1.0)])
    live.ingest([trade("AAA", T + 10, 2.0)])
    live.ingest([trade("AAA", T + PRICE_STEP_NS, 3.0)])
    assert list(live.symbols["AAA"].prices) == [(T, 2.0), (T + PRICE_STEP_NS, 3.0)]
    live.ingest([trade("BBB", T + i, float(i)) for i in range(TAPE_TRADES)])
    assert live.snapshot("AAA")["trades"] == []  # pushed out of the shared tape
    assert live.snapshot("AAA")["trade_count"] == 3
    assert live.snapshot("BBB", trades=2)["trades"][0]["price"] == TAPE_TRADES - 1


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
