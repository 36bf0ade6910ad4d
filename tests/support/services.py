"""The machine's servers for the sink tests, each started with its documented command
(/work/.library/env/machines/python-svc.md) when it is down; a server that does not come up
fails the test, never skips it."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

import pytest


def listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def _ensure(name: str, port: int, start: list[str], timeout: float = 60) -> None:
    if not listening(port):
        subprocess.run(start, check=True)
        deadline = time.monotonic() + timeout
        while not listening(port) and time.monotonic() < deadline:
            time.sleep(0.2)
    if not listening(port):
        pytest.fail(f"{name} does not listen on 127.0.0.1:{port} (started with {start})")


def postgres() -> str:
    versions = sorted(p.name for p in Path("/etc/postgresql").glob("*"))
    if not versions:
        pytest.fail("PostgreSQL is not installed (Debian package postgresql)")
    start = ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "start"]
    _ensure("PostgreSQL", 5432, start)
    return "host=127.0.0.1 dbname=test user=postgres"


def redis_server() -> str:
    _ensure("Redis", 6379, [
        "redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "-::1", "--port", "6379",
        "--save", "", "--appendonly", "no", "--dir", "/var/lib/redis",
        "--logfile", "/var/log/redis/ci.log",
    ])  # fmt: skip
    return "redis://127.0.0.1:6379/0"


def rabbitmq() -> str:
    _ensure("RabbitMQ", 5672, ["rabbitmq-server", "-detached"])
    return "amqp://guest:guest@127.0.0.1:5672/"


def mosquitto() -> str:
    _ensure("Mosquitto", 1883, ["mosquitto", "-d", "-c", "/etc/mosquitto/mosquitto.conf"])
    return "mqtt://127.0.0.1:1883"
