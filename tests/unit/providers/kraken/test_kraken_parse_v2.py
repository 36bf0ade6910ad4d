"""Kraken v2 numbers written with the pair's precision, as the book checksum reads them."""

from __future__ import annotations

import pytest

from mdc.providers.kraken.parse_v2 import fixed


@pytest.mark.parametrize(
    ("raw", "decimals", "text"),
    [
        (b"0.001", 8, "0.00100000"),
        (b"45000", 1, "45000.0"),
        (b"45285.2", 1, "45285.2"),
        (b"1.23456789", 8, "1.23456789"),
        (b"1e-05", 8, "0.00001000"),
        (b'"0.5"', 3, "0.500"),
        (b"7", 0, "7"),
    ],
)
def test_fixed(raw: bytes, decimals: int, text: str) -> None:
    assert fixed(raw, decimals) == text
