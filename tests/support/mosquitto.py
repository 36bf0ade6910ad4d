"""The machine's Mosquitto for sink tests: started with the documented command when down."""

from __future__ import annotations

import socket
import subprocess
import time

import pytest

URL = "mqtt://127.0.0.1:1883"


def _listening() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 1883), timeout=0.5):
            return True
    except OSError:
        return False


def mosquitto() -> str:
    """The URL of the running broker (python-svc.md's start command when it is down)."""
    if not _listening():
        subprocess.run(["mosquitto", "-d", "-c", "/etc/mosquitto/mosquitto.conf"], check=True)
        deadline = time.monotonic() + 20
        while not _listening() and time.monotonic() < deadline:
            time.sleep(0.2)
    if not _listening():
        pytest.fail("Mosquitto does not listen on 127.0.0.1:1883")
    return URL
