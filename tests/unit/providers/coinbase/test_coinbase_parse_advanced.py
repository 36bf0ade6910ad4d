"""Advanced Trade frames the stream tests do not reach: errors, duplicates, unknown channels."""

from __future__ import annotations

import json

import pytest

from mdc.domain.events import Gap, Trade
from mdc.providers.base import ProviderError
from mdc.providers.coinbase.parse_advanced import AdvancedParser
from mdc.providers.connection import Reconnect

TS = "2026-12-03T12:00:00.5Z"


def frame(channel: str, seq: int, events: list[dict[str, object]]) -> bytes:
    message = {"channel": channel, "client_id": "", "timestamp": TS, "sequence_num": seq}
    return json.dumps({**message, "events": events}).encode()


def trades(*ids: int) -> list[dict[str, object]]:
    rows = [{"trade_id": str(i), "product_id": "BTC-USD", "price": "1.5", "size": "2",
             "side": "SELL", "time": TS} for i in ids]  # fmt: skip
    return [{"type": "update", "trades": rows}]


def test_a_refused_subscription_is_fatal_and_other_errors_reconnect() -> None:
    parser = AdvancedParser()
    with pytest.raises(ProviderError, match="Failure to subscribe"):
        parser.parse(b'{"type": "error", "message": "Failure to subscribe"}', 1)
    with pytest.raises(Reconnect, match="slow consumer"):
        parser.parse(b'{"type": "error", "message": "slow consumer"}', 1)


def test_repeated_numbers_and_unknown_channels_are_counted_not_stored() -> None:
    parser = AdvancedParser()
    assert len(parser.parse(frame("market_trades", 0, trades(5, 4)), 1)) == 2
    assert parser.parse(frame("market_trades", 0, trades(6)), 2) == []  # sequence_num again
    assert parser.parse(frame("level3", 1, [{"type": "update"}]), 3) == []
    events = parser.parse(frame("market_trades", 2, trades(5, 6)), 4)  # 5 was stored
    assert [e.trade_id for e in events if isinstance(e, Trade)] == ["6"]
    assert (parser.duplicates, parser.ignored, parser.sequence_gaps) == (2, 1, 0)
    (hole,) = parser.parse(frame("heartbeats", 9, [{"heartbeat_counter": 9}]), 5)
    assert isinstance(hole, Gap) and hole.detail.startswith("sequence_num 3..8 missing (6)")
    parser.reset()  # a new connection numbers from 0 again: no hole
    assert parser.parse(frame("heartbeats", 0, [{"heartbeat_counter": 1}]), 6) == []
