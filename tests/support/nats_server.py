"""The real nats-server for the distributed tests: the machine's shared one, or a private one.

The shared server (127.0.0.1:4222) is started with the documented command when it is down
(/work/.library/env/machines/python-svc.md); tests that restart a server run their own on a free
port with its own store directory, so other tests on the shared server are not disturbed.
"""

from __future__ import annotations

import asyncio
import subprocess
import time
from pathlib import Path

import pytest

from tests.support.net import free_port
from tests.support.services import listening

NATS_SERVER = "/usr/sbin/nats-server"
SHARED_URL = "nats://127.0.0.1:4222"
SHARED_START = [
    "start-stop-daemon", "--start", "--oknodo", "--background", "--exec", NATS_SERVER, "--",
    "-a", "127.0.0.1", "-p", "4222", "-js", "-sd", "/var/lib/nats-server",
    "-l", "/var/log/nats-server.log",
]  # fmt: skip


def _require_binary() -> None:
    if not Path(NATS_SERVER).is_file():
        pytest.fail(f"{NATS_SERVER} not found: install the Debian package nats-server")


def wait_jetstream(url: str, timeout: float = 20.0) -> None:
    """Until the server at ``url`` answers JetStream requests (it is up *and* recovered)."""
    import nats

    async def probe() -> None:
        nc = await nats.connect(url, connect_timeout=1, max_reconnect_attempts=0)
        try:
            await nc.jetstream().account_info()
        finally:
            await nc.close()

    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            asyncio.run(probe())
            return
        except Exception as exc:
            last = exc
            time.sleep(0.2)
    pytest.fail(f"nats-server at {url} does not answer JetStream requests: {last}")


def shared_server() -> str:
    """The machine's nats-server, started with the documented command if it is not up."""
    _require_binary()
    if not listening(4222):
        subprocess.run(SHARED_START, check=True)
    wait_jetstream(SHARED_URL)
    return SHARED_URL


class PrivateServer:
    """A nats-server with JetStream on a free port and its own store directory."""

    def __init__(self, store_dir: Path) -> None:
        _require_binary()
        self.port = free_port()
        self.dir = store_dir
        self.url = f"nats://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        cmd = [NATS_SERVER, "-a", "127.0.0.1", "-p", str(self.port), "-js", "-sd", str(self.dir)]
        log = (self.dir.parent / f"nats-{self.port}.log").open("ab")
        self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
        wait_jetstream(self.url)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=20)
            self.proc = None
