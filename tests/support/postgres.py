"""The machine's PostgreSQL for sink tests: started with the documented command when down."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

import pytest

DSN = "host=127.0.0.1 dbname=test user=postgres"


def _listening() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=0.5):
            return True
    except OSError:
        return False


def postgres() -> str:
    """A DSN of the running server (python-svc.md's start command when it is down)."""
    if not _listening():
        versions = sorted(p.name for p in Path("/etc/postgresql").iterdir())
        if not versions:
            pytest.fail("PostgreSQL is not installed (Debian package postgresql)")
        cmd = ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "start"]
        subprocess.run(cmd, check=True)
        deadline = time.monotonic() + 30
        while not _listening() and time.monotonic() < deadline:
            time.sleep(0.2)
    if not _listening():
        pytest.fail("PostgreSQL does not listen on 127.0.0.1:5432")
    return DSN
