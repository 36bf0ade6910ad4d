"""IB's historical-data pacing, enforced before a request is sent rather than learnt from 162.

https://interactivebrokers.github.io/tws-api/historical_limitations.html (read 2026-12-02): for
bars of 30 seconds or less a violation is (1) an identical request within 15 seconds, (2) six or
more requests for the same contract, exchange and tick type within two seconds, or (3) more than
60 requests within any ten-minute period; a ``BID_ASK`` request counts twice. Historical ticks
are paced the same way here. Larger bars are held to (1) and (2) only.

The windows are :class:`~mdc.providers.ratelimit.SlidingWindow` s taken from the process's shared
:class:`~mdc.providers.ratelimit.RateLimiter` (its clock is injectable), so every IB history
client of one process shares the account's budget.
"""

from __future__ import annotations

from typing import Final

from mdc.providers.ib.config import IbConfig
from mdc.providers.ratelimit import RateLimiter

SMALL_BAR_S: Final = 30
PROVIDER: Final = "ib"


class Pacing:
    def __init__(self, limiter: RateLimiter, config: IbConfig) -> None:
        self.limiter = limiter
        self.config = config

    async def wait(self, contract: str, what: str, request: str, small: bool) -> float:
        """Wait until a request may go; return seconds waited.

        ``contract`` names contract and exchange, ``what`` the data type (``TRADES``,
        ``BID_ASK`` …), ``request`` every parameter (two equal strings are identical requests).
        """
        weight = 2 if what == "BID_ASK" else 1
        waited = 0.0
        if self.config.history_identical_s > 0:
            spec = f"1/{self.config.history_identical_s:g}s"
            waited += await self.limiter.window(PROVIDER, f"same:{request}", spec).acquire()
        key = f"contract:{contract}:{what}"
        waited += await self.limiter.window(
            PROVIDER, key, self.config.history_per_contract
        ).acquire(weight)
        if small:
            window = self.limiter.window(PROVIDER, "all", self.config.history_limits)
            waited += await window.acquire(weight)
        return waited
