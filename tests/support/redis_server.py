"""The machine's Redis for sink tests: started with the documented command when down."""

from __future__ import annotations

import socket
import subprocess
import time

import pytest

URL = "redis://127.0.0.1:6379/0"
START = [
    "redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "-::1", "--port", "6379",
    "--save", "", "--appendonly", "no", "--dir", "/var/lib/redis",
    "--logfile", "/var/log/redis/ci.log",
]  # fmt: skip


def _listening() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


def redis_server() -> str:
    """The URL of the running server (python-svc.md's start command when it is down)."""
    if not _listening():
        subprocess.run(START, check=True)
        deadline = time.monotonic() + 20
        while not _listening() and time.monotonic() < deadline:
            time.sleep(0.2)
    if not _listening():
        pytest.fail("Redis does not listen on 127.0.0.1:6379")
    return URL
