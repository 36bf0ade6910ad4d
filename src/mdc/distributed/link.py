"""A core-NATS connection for the live view that waits for the server as long as it takes.

The live view is best effort: a collector must go on when NATS is slow or absent, and say so
once per outage, not once per retry. So the connection is made here with retries and quiet
callbacks (``connect.connect`` logs every client error, which suits the publisher and the
writers, whose failures matter), and ``state`` says whether it is up.
"""

from __future__ import annotations

import contextlib
import logging
from typing import TYPE_CHECKING

from mdc.config.schema import DistributedConfig
from mdc.distributed.connect import BusError, options, shown

if TYPE_CHECKING:
    from nats.aio.client import Client

log = logging.getLogger(__name__)


class LiveLink:
    """One client, connected in the background; :attr:`client` is None until it is."""

    def __init__(self, cfg: DistributedConfig, name: str) -> None:
        self.cfg = cfg
        self.name = name
        self.client: Client | None = None
        self.failures = 0
        """Connection attempts that failed (nats-py retries every ``reconnect_time_wait``)."""
        self.outages = 0
        """Times the server was found unreachable (each logged once)."""
        self.last_error = ""
        self._down = False

    @property
    def connected(self) -> bool:
        return self.client is not None and self.client.is_connected

    def _went_down(self, why: str) -> None:
        self.last_error = why
        if not self._down:
            self._down = True
            self.outages += 1
            log.warning(
                "%s: NATS at %s unreachable (%s); collecting goes on, the live view waits for it",
                self.name,
                shown(self.cfg.servers),
                why,
            )

    def _came_back(self) -> None:
        if self._down:
            log.info("%s: NATS at %s reachable again", self.name, shown(self.cfg.servers))
        self._down = False

    async def open(self) -> Client:
        """Connect, waiting as long as it takes (cancel to give up): nats-py retries a first
        connect every ``reconnect_time_wait`` by itself and reports each failure to
        ``error_cb``, which is where an outage is noticed."""
        try:
            import nats
        except ImportError:
            raise BusError("the live view needs the nats extra: pip install 'mdc[nats]'") from None

        async def error_cb(exc: Exception) -> None:
            if self.connected:
                log.debug("%s: nats: %s", self.name, exc)
            else:
                self.failures += 1
                why = str(exc) or type(exc).__name__
                log.debug("%s: connection attempt %d failed: %s", self.name, self.failures, why)
                self._went_down(why)

        async def disconnected_cb() -> None:
            if self.client is not None and not self.client.is_closed:
                self._went_down("disconnected")

        async def reconnected_cb() -> None:
            self._came_back()

        nc = await nats.connect(
            name=self.name,
            error_cb=error_cb,
            disconnected_cb=disconnected_cb,
            reconnected_cb=reconnected_cb,
            **options(self.cfg),
        )
        self.client = nc
        self._came_back()
        return nc

    async def close(self) -> None:
        if self.client is not None:
            with contextlib.suppress(Exception):
                await self.client.close()
            self.client = None
