"""``mdc`` as a user runs it: a clean environment, a free port, and ``mdc serve`` in a real
process that is up (answering ``/live``) before the test talks to it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

MDC = [str(Path(sys.executable).parent / "mdc")]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def env(**extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("MDC_")}
    return base | {"MDC_STORAGE__RAW_CAPTURE": "false"} | extra


def wait_http(url: str, proc: subprocess.Popen[bytes], timeout: float = 20) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()[1].decode()
        try:
            return httpx.get(url, timeout=2)
        except httpx.TransportError:
            time.sleep(0.1)
    raise TimeoutError(url)


@contextmanager
def served(root: Path, **extra: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``mdc serve --data root`` with ``extra`` environment: its base URL and process."""
    port = free_port()
    proc = subprocess.Popen(
        [*MDC, "serve", "--data", str(root), "--port", str(port)],
        env=env(**extra),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/live", proc)
        yield f"http://127.0.0.1:{port}", proc
    finally:
        proc.kill()
        proc.communicate()
