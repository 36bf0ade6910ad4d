"""Polygon frames through the real collectors: per-type sequence numbers raise no alarms."""

from __future__ import annotations

import json

from mdc.collectors.chain import Collectors
from mdc.domain.events import Gap, Integrity, Quote, Trade
from mdc.providers.polygon import SPEC
from mdc.providers.polygon.parse import PolygonParser


def test_interleaved_trade_and_quote_sequences_are_not_false_gaps() -> None:
    frame = json.dumps(
        [
            {"ev": "Q", "sym": "AAPL", "bp": 1, "bs": 1, "ap": 2, "as": 1, "t": 1, "q": 50385480},
            {"ev": "T", "sym": "AAPL", "p": 1.5, "s": 1, "t": 2, "q": 3681328},
            {"ev": "Q", "sym": "AAPL", "bp": 1, "bs": 1, "ap": 2, "as": 1, "t": 3, "q": 50385484},
            {"ev": "T", "sym": "AAPL", "p": 1.5, "s": 1, "t": 4, "q": 3681335},
        ]
    )
    events = PolygonParser().parse(frame, 10)
    collectors = Collectors()
    collectors.register_provider(SPEC.name, SPEC.capabilities)
    out = collectors.process(events)
    assert [type(e) for e in out] == [Quote, Trade, Quote, Trade]
    assert not any(isinstance(e, (Gap, Integrity)) for e in out)
    assert [e.seq for e in out] == [50385480, 3681328, 50385484, 3681335]
