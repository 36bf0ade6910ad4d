"""The cached checksum parts agree with a checksum made from scratch; level times by text."""

from __future__ import annotations

import random
import zlib

import pytest

from mdc.providers.kraken.book import PairBook
from mdc.providers.kraken.parse import _latest_ns
from mdc.providers.timestamps import decimal_seconds_ns


def _token(price: str, volume: str) -> str:
    return price.replace(".", "").lstrip("0") + volume.replace(".", "").lstrip("0")


def _reference(asks: dict[str, str], bids: dict[str, str], depth: int) -> int:
    """Kraken's documented checksum over a plain dict book, truncated to ``depth``."""
    top_asks = sorted(asks.items(), key=lambda kv: float(kv[0]))[: min(depth, 10)]
    top_bids = sorted(bids.items(), key=lambda kv: -float(kv[0]))[: min(depth, 10)]
    text = "".join(_token(p, v) for p, v in top_asks) + "".join(_token(p, v) for p, v in top_bids)
    return zlib.crc32(text.encode())


def _truncated(levels: dict[str, str], depth: int, asks: bool) -> dict[str, str]:
    ordered = sorted(levels, key=lambda p: float(p) if asks else -float(p))
    return {p: levels[p] for p in ordered[:depth]}


@pytest.mark.parametrize("depth", [3, 10, 25])
def test_checksum_matches_a_full_recount_after_every_update(depth: int) -> None:
    rng = random.Random(depth)
    prices = [f"{100 + i * 0.05:.5f}" for i in range(-60, 60)]
    asks = {p: f"{rng.uniform(0.1, 9):.8f}" for p in prices[60:80]}
    bids = {p: f"{rng.uniform(0.1, 9):.8f}" for p in prices[40:60]}
    book = PairBook(depth)
    book.load([[p, v, "0"] for p, v in asks.items()], [[p, v, "0"] for p, v in bids.items()])
    book.truncate()
    asks, bids = _truncated(asks, depth, True), _truncated(bids, depth, False)
    for _ in range(2000):
        price = rng.choice(prices)
        volume = "0.00000000" if rng.random() < 0.4 else f"{rng.uniform(0.1, 9):.8f}"
        side, levels = (asks, True) if float(price) >= 100 else (bids, False)
        (book.set_ask if levels else book.set_bid)(price, volume)
        if float(volume) == 0:
            side.pop(price, None)
        else:
            side[price] = volume
        book.truncate()
        asks, bids = _truncated(asks, depth, True), _truncated(bids, depth, False)
        assert book.checksum() == _reference(asks, bids, depth)
        assert book.sizes() == (len(asks), len(bids))


def test_latest_level_time_when_times_are_not_alike() -> None:
    times = ["999999999.9", "1000000000.1", "1000000000", "1000000000.05"]
    levels = [["1", "1", t] for t in times]
    assert _latest_ns(levels) == max(map(decimal_seconds_ns, times)) == 1_000_000_000_100_000_000
    alike = [["1", "1", t] for t in ("1618678123.481570", "1618678132.136369", "1618678123.000001")]
    assert _latest_ns(alike) == 1_618_678_132_136_369_000
    with pytest.raises(ValueError):
        _latest_ns([])
