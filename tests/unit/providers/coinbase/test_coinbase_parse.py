"""Coinbase frames → events: values, aggressor side, trade-id continuity, snapshot stamping."""

from __future__ import annotations

import json

import msgspec
import pytest

from mdc.domain.events import BookDelta, BookSnapshot, Gap, Quote, Trade
from mdc.providers.base import ProviderError
from mdc.providers.coinbase.parse import CoinbaseParser
from mdc.providers.connection import Reconnect

# Frames from shared/fixtures/crypto/COINBASE.ws.28.0 (some trimmed to fewer levels).
L2UPDATE = (
    '{"type":"l2update","product_id":"SKL-BTC","changes":[["sell","0.00001306","660.5"]],'
    '"time":"2021-04-17T16:43:37.075687Z"}'
)
MATCH = (
    '{"type":"match","trade_id":280232,"maker_order_id":"2a0da34e-61f7-4c36-88e5-c9dd15927b16",'
    '"taker_order_id":"3c82abaa-c01e-4608-be59-6a1e69742891","side":"sell","size":"985",'
    '"price":"0.00001305","product_id":"SKL-BTC","sequence":177100030,'
    '"time":"2021-04-17T16:43:37.089723Z"}'
)
TICKER = (
    '{"type":"ticker","sequence":333938798,"product_id":"BAND-GBP","price":"14.7775",'
    '"open_24h":"14.6647","volume_24h":"94381.28000000","low_24h":"14.3691","high_24h":"16.55",'
    '"volume_30d":"2295579.57000000","best_bid":"14.7550","best_ask":"14.8060","side":"buy",'
    '"time":"2021-04-17T16:43:30.244075Z","trade_id":881613,"last_size":"0.04"}'
)
SNAPSHOT = (
    '{"type":"snapshot","product_id":"SKL-BTC","asks":[["0.00001306","100.0"]],'
    '"bids":[["0.00001300","50.5"],["0.00001299","7"]]}'
)
TS = 1_700_000_000_000_000_000


def match(trade_id: int, sequence: int, time: str = "2021-04-17T16:43:37.089723Z") -> str:
    msg = json.loads(MATCH)
    msg.update(trade_id=trade_id, sequence=sequence, time=time)
    return json.dumps(msg)


def test_l2update_is_one_delta_per_change() -> None:
    (delta,) = CoinbaseParser().parse(L2UPDATE, TS)
    assert delta == BookDelta(
        symbol="SKL-BTC",
        venue="coinbase",
        provider="coinbase",
        ts_event=1618677817075687000,
        ts_recv=TS,
        side="ask",
        price=0.00001306,
        size=660.5,
    )


def test_match_side_is_the_takers() -> None:
    (trade,) = CoinbaseParser().parse(MATCH, TS)
    assert isinstance(trade, Trade)
    assert (trade.side, trade.price, trade.size, trade.trade_id, trade.seq) == (
        "buy",
        0.00001305,
        985.0,
        "280232",
        177100030,
    )
    assert trade.ts_event == 1618677817089723000


def test_ticker_is_a_quote_without_seq() -> None:
    (quote,) = CoinbaseParser().parse(TICKER, TS)
    assert quote == Quote(
        symbol="BAND-GBP",
        venue="coinbase",
        provider="coinbase",
        ts_event=1618677810244075000,
        ts_recv=TS,
        bid_price=14.755,
        bid_size=0.0,
        ask_price=14.806,
        ask_size=0.0,
    )


def test_trade_id_hole_is_one_gap_and_a_book_resync() -> None:
    parser = CoinbaseParser()
    assert len(parser.parse(match(10, 100), TS)) == 1
    events = parser.parse(match(13, 130, "2021-04-17T16:43:38Z"), TS + 1)
    gap, trade = events
    assert isinstance(gap, Gap) and isinstance(trade, Trade)
    assert (gap.reason, gap.detail) == ("trade_id_gap", "trade ids 11..12 missing (2)")
    assert (gap.from_ts, gap.to_ts) == (1618677817089723000, 1618677818000000000)
    assert parser.resubscribe == {"SKL-BTC"}
    # The snapshot that answers the resubscription clears the request.
    parser.parse(SNAPSHOT, TS + 2)
    assert parser.resubscribe == set()


def test_repeated_or_late_messages_are_dropped() -> None:
    parser = CoinbaseParser()
    parser.parse(match(10, 100), TS)
    assert parser.parse(match(10, 100), TS + 1) == []  # same sequence
    assert parser.parse(match(9, 101), TS + 2) == []  # old trade id, newer sequence
    assert parser.duplicates == 2


def test_reset_forgets_continuity() -> None:
    parser = CoinbaseParser()
    parser.parse(match(10, 100), TS)
    parser.reset()
    assert [type(e) for e in parser.parse(match(20, 200), TS)] == [Trade]


def test_heartbeat_reports_a_lost_tail_trade_once_confirmed() -> None:
    parser = CoinbaseParser()
    parser.parse(match(10, 100), TS)
    beat = '{"type":"heartbeat","sequence":120,"last_trade_id":%d,"product_id":"SKL-BTC",' + (
        '"time":"2021-04-17T16:43:39.5Z"}'
    )
    assert parser.parse(beat % 11, TS) == []  # the match may still be in flight
    (gap,) = parser.parse(beat % 11, TS)
    assert isinstance(gap, Gap) and gap.detail == "trade ids 11..11 missing (1)"
    assert parser.parse(match(12, 140), TS) != []  # continues from the heartbeat's id
    assert parser.parse(beat % 12, TS) == []


def test_untimed_snapshot_waits_for_the_products_next_time() -> None:
    parser = CoinbaseParser()
    assert parser.parse(SNAPSHOT, TS) == []
    snapshot, delta = parser.parse(L2UPDATE, TS + 5)
    assert isinstance(snapshot, BookSnapshot) and isinstance(delta, BookDelta)
    assert (snapshot.ts_event, snapshot.ts_recv) == (delta.ts_event, TS)
    assert snapshot.bids == [(0.000013, 50.5), (0.00001299, 7.0)]
    assert snapshot.asks == [(0.00001306, 100.0)]
    # Later snapshots take the product's last exchange time at once.
    (again,) = parser.parse(SNAPSHOT, TS + 6)
    assert isinstance(again, BookSnapshot) and again.ts_event == delta.ts_event


def test_unknown_types_are_ignored_and_broken_known_ones_raise() -> None:
    parser = CoinbaseParser()
    assert parser.parse('{"type":"auction","product_id":"X"}', TS) == []
    assert parser.ignored == 1
    with pytest.raises(msgspec.ValidationError):
        bad_side = '{"type":"l2update","product_id":"X","changes":[["up","1","2"]],"time":"x"}'
        parser.parse(bad_side, TS)
    with pytest.raises(msgspec.DecodeError):
        parser.parse("{not json", TS)


def test_error_messages() -> None:
    parser = CoinbaseParser()
    with pytest.raises(ProviderError, match="Failed to subscribe"):
        parser.parse('{"type":"error","message":"Failed to subscribe","reason":"no BTC-XYZ"}', TS)
    with pytest.raises(Reconnect, match="slow"):
        parser.parse('{"type":"error","message":"slow consumer"}', TS)
