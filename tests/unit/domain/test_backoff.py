"""The one retry-delay formula: capped doubling, jitter taken off the top, never infinite."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from mdc.domain.backoff import backoff_delay


def test_doubles_from_the_initial_delay_up_to_the_cap_without_jitter() -> None:
    delays = [backoff_delay(n, 0.5, 5.0, jitter=0.0) for n in range(1, 8)]
    assert delays == [0.5, 1.0, 2.0, 4.0, 5.0, 5.0, 5.0]


def test_jitter_takes_at_most_its_fraction_off_the_top() -> None:
    assert backoff_delay(3, 1.0, 30.0, jitter=0.5, rng=lambda: 0.0) == 4.0
    assert backoff_delay(3, 1.0, 30.0, jitter=0.5, rng=lambda: 0.999) == 4.0 * (1 - 0.5 * 0.999)
    assert backoff_delay(3, 1.0, 30.0, jitter=1.0, rng=lambda: 0.25) == 3.0


def test_a_stream_failing_for_days_still_gets_the_cap() -> None:
    assert backoff_delay(10**6, 1.0, 30.0, jitter=0.0) == 30.0


@given(
    attempt=st.integers(min_value=-5, max_value=10**9),
    initial=st.floats(min_value=1e-3, max_value=60.0),
    cap=st.floats(min_value=1e-3, max_value=3600.0),
    jitter=st.floats(min_value=-1.0, max_value=2.0),
    r=st.floats(min_value=0.0, max_value=0.999999),
)
def test_always_finite_and_within_the_jitter_band(
    attempt: int, initial: float, cap: float, jitter: float, r: float
) -> None:
    delay = backoff_delay(attempt, initial, cap, jitter=jitter, rng=lambda: r)
    ceiling = min(cap, initial * 2.0 ** max(attempt - 1, 0)) if attempt < 1000 else cap
    assert math.isfinite(delay)
    assert 0.0 <= delay <= ceiling + 1e-12
    assert delay >= ceiling * (1.0 - min(max(jitter, 0.0), 1.0)) - 1e-12
