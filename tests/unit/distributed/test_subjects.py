"""Subject and message-id design of the bus (docs/scaling.md, "Subjects")."""

from __future__ import annotations

from mdc.distributed.subjects import group, msg_id, subject
from mdc.domain.events import Quote, Trade
from mdc.domain.tokens import token

T = 1_709_303_400_000_000_000


def test_tokens_never_split_or_widen_a_subject() -> None:
    assert token("BTC/USD") == "BTC%2FUSD"
    assert token("a.b*c>d e") == "a%2Eb%2Ac%3Ed%20e"
    assert token("100%") == "100%25"
    assert token("") == "%"
    assert subject("mdc", "host.1", "X.NAS", "trade") == "mdc.host%2E1.X%2ENAS.trade"
    assert msg_id("c1", 42, "X.NAS", "quote") == "c1:42:X%2ENAS.quote"


def test_a_record_splits_by_venue_and_type_in_order() -> None:
    t1 = Trade(symbol="A", venue="V1", provider="p", ts_event=T, ts_recv=T, price=1.0, size=1.0)
    q1 = Quote(
        symbol="A", venue="V1", provider="p", ts_event=T, ts_recv=T,
        bid_price=1.0, bid_size=1.0, ask_price=2.0, ask_size=1.0,
    )  # fmt: skip
    t2 = Trade(symbol="B", venue="V2", provider="p", ts_event=T, ts_recv=T, price=2.0, size=1.0)
    t3 = Trade(symbol="C", venue="V1", provider="p", ts_event=T, ts_recv=T, price=3.0, size=1.0)
    groups = group([t1, q1, t2, t3])
    assert list(groups) == [("V1", "trade"), ("V1", "quote"), ("V2", "trade")]
    assert groups[("V1", "trade")] == [t1, t3]
