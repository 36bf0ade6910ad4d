"""Retry delays: capped exponential backoff with jitter, the one formula every retry loop uses.

Streams reconnecting, REST requests retrying and snapshot fetches all wait the same way, so a
fleet of clients that failed together does not retry together (the jitter) and a long outage
does not turn into hammering (the cap). Pure arithmetic; the random source is injectable.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Final

MAX_DOUBLINGS: Final = 62
"""Beyond this the cap has long been reached; bounding the exponent keeps ``2.0 ** n`` finite
(a stream retrying forever passes 1024 failures after a few hours at a 30 s cap)."""


def backoff_delay(
    attempt: int,
    initial_s: float,
    max_s: float,
    jitter: float = 0.5,
    rng: Callable[[], float] = random.random,
) -> float:
    """Seconds to wait before retry ``attempt`` (1-based).

    ``initial_s`` doubles per attempt up to ``max_s``; the top ``jitter`` fraction of that is
    random (0: fixed delays; 0.5: between half and all of it; 1: anywhere from 0).
    ``rng`` returns a float in [0, 1).
    """
    doublings = min(max(attempt - 1, 0), MAX_DOUBLINGS)
    ceiling = min(max_s, initial_s * 2.0**doublings)
    jitter = min(max(jitter, 0.0), 1.0)
    return ceiling * (1.0 - jitter * rng())
