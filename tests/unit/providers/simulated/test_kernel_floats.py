"""The kernel's float text is msgspec's, for the prices and sizes it formats itself (decimals
of 2 and 4 places) and for everything it hands to msgspec."""

from __future__ import annotations

import random

import msgspec
import pytest

from mdc.domain import native
from mdc.pipeline.fastpath import KERNEL

kernel = native.load(KERNEL)
pytestmark = pytest.mark.skipif(
    kernel is None, reason="the kernel is not built (make native) or MDC_PURE_PYTHON is set"
)

EDGES = [
    0.0,
    -0.0,  # a size the wire allows (ge=0): msgspec writes "-0.0"
    1.0,
    0.01,
    0.05,
    0.0001,
    0.00015,
    9.99e-5,
    1e-7,
    100.0,
    123.45,
    0.1 + 0.2,
    1e9 - 0.01,
    1e9,
    1e16,
    1.5e16,
    99_999.9999,
    100_000.0001,
    612_345.5,
    5e-324,
    2.0**53,
    1.7976931348623157e308,
    0.4321,
    7.1,
    1234567.8,
]


def test_edge_values_print_as_msgspec_prints_them() -> None:
    assert kernel is not None
    for x in EDGES:
        assert kernel.json_float(x) == msgspec.json.encode(x), x


def test_random_prices_and_sizes_print_as_msgspec_prints_them() -> None:
    assert kernel is not None
    rng = random.Random(7)
    for _ in range(100_000):
        scale = rng.choice((100, 10_000, 1))
        x = rng.randint(0, 10 ** rng.randint(1, 12)) / scale
        if rng.random() < 0.2:
            x = rng.random() * 10 ** rng.randint(-8, 12)
        assert kernel.json_float(x) == msgspec.json.encode(x), x
