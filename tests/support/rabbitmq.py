"""The machine's RabbitMQ for sink tests: started with the documented command when down."""

from __future__ import annotations

import socket
import subprocess
import time

import pytest

URL = "amqp://guest:guest@127.0.0.1:5672/"


def _listening() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5672), timeout=0.5):
            return True
    except OSError:
        return False


def rabbitmq() -> str:
    """The URL of the running broker (``rabbitmq-server -detached`` when it is down)."""
    if not _listening():
        subprocess.run(["rabbitmq-server", "-detached"], check=True)
        deadline = time.monotonic() + 60
        while not _listening() and time.monotonic() < deadline:
            time.sleep(0.5)
    if not _listening():
        pytest.fail("RabbitMQ does not listen on 127.0.0.1:5672")
    return URL
