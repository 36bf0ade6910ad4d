"""The built Kraken v2 session the benchmark replays is the documented format: every checksum
the builder computed validates in the real v2 parser, and the counts are exact."""

from __future__ import annotations

import json
from collections import Counter
from decimal import Decimal

from tests.support.kraken_v2 import recorded_session

from mdc.providers.kraken.parse_v2 import KrakenV2Parser

PAIRS = {
    "BTC/USD": (Decimal("45000.0"), Decimal("0.1"), (1, 8)),
    "XRP/USD": (Decimal("0.60000"), Decimal("0.00001"), (5, 8)),
    "ADA/BTC": (Decimal("0.0000120"), Decimal("0.0000001"), (7, 8)),
}


def test_every_checksum_of_the_built_session_validates() -> None:
    frames = recorded_session(PAIRS, updates=600)
    parser = KrakenV2Parser(10, {p: p.replace("/", "-") for p in PAIRS})
    counts: Counter[str] = Counter()
    for i, frame in enumerate(frames):
        counts.update(type(e).__name__ for e in parser.parse(frame, i))
    assert len(frames) == 1 + 3 + 600 + 2 * 120
    assert parser.checksums_ok == 3 + 600 and parser.checksums_failed == 0
    assert parser.precision_guessed == 0 and parser.duplicates == 0
    assert counts["BookSnapshot"] == 3 and counts["Trade"] == 120 and counts["Quote"] == 120
    assert counts["Gap"] == 0
    sent = 0
    for frame in frames:
        message = json.loads(frame)
        if message["channel"] == "book" and message["type"] == "update":
            sent += sum(len(d["bids"]) + len(d["asks"]) for d in message["data"])
    assert sent > 600  # levels entering the depth are sent too
    assert counts["BookDelta"] == sent
