"""The systemd notification protocol, sent by ``mdc collect`` when ``NOTIFY_SOCKET`` is set.

A unit with ``Type=notify`` waits for ``READY=1`` before it counts as started; with
``WatchdogSec=`` systemd passes ``WATCHDOG_USEC`` and restarts the service when no
``WATCHDOG=1`` arrives within it; ``STOPPING=1`` says a stop is under way (the drain may take
a while). The messages are newline-separated ``KEY=VALUE`` lines in one datagram on the
``AF_UNIX`` socket named by ``NOTIFY_SOCKET`` (a leading ``@`` means the abstract namespace).
Protocol: https://www.freedesktop.org/software/systemd/man/latest/sd_notify.html (read
2026-12-03); written here without libsystemd, which would be a C dependency for ten lines.

The watchdog ping runs in the collector's event loop, so a stuck loop (the thing that stops
everything) stops the pings and systemd restarts the collector.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Callable, Mapping
from typing import Final

log = logging.getLogger(__name__)

WATCHDOG_FRACTION: Final = 0.5
"""Ping at half the watchdog interval, as sd_watchdog_enabled(3) advises."""


class SystemdNotifier:
    """Sends notifications to ``NOTIFY_SOCKET``; without it every call does nothing."""

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        env = os.environ if env is None else env
        path = env.get("NOTIFY_SOCKET", "")
        self.address = "\0" + path[1:] if path.startswith("@") else path
        usec = env.get("WATCHDOG_USEC", "")
        pid = env.get("WATCHDOG_PID", "")
        mine = not pid or pid == str(os.getpid())
        self.watchdog_s = int(usec) / 1_000_000 if usec.isdigit() and mine else None
        """Seconds between required pings, when systemd asks for them."""
        self.errors = 0
        self._stopping = False

    @property
    def enabled(self) -> bool:
        return bool(self.address)

    def send(self, *lines: str) -> None:
        """One datagram of ``KEY=VALUE`` lines; a failure is logged once, never raised (the
        collector must not stop because its supervisor went away)."""
        if not self.address:
            return
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
                sock.sendto("\n".join(lines).encode(), self.address)
        except OSError as exc:
            self.errors += 1
            if self.errors == 1:
                log.warning("cannot notify systemd at %s: %s", self.address, exc)

    def stopping(self) -> None:
        """``STOPPING=1``, once: from the stop signal, or when the run ends by itself."""
        if not self._stopping:
            self._stopping = True
            self.send("STOPPING=1", "STATUS=draining and closing the archive")

    async def service(self, ready: Callable[[], bool], status: Callable[[], str]) -> None:
        """A runtime service: ``READY=1`` once ``ready()``, then watchdog pings;
        ``STOPPING=1`` when cancelled at shutdown."""
        if not self.enabled:
            return
        try:
            while not ready():
                await asyncio.sleep(0.05)
            self.send("READY=1", f"STATUS={status()}", f"MAINPID={os.getpid()}")
            if self.watchdog_s is None:
                await asyncio.Event().wait()  # nothing to do until shutdown
                return
            interval = self.watchdog_s * WATCHDOG_FRACTION
            while True:
                self.send("WATCHDOG=1")
                await asyncio.sleep(interval)
        except asyncio.CancelledError:
            self.stopping()
            raise
