"""A real `mdc serve` process: reads guarded by the key where the rule says so, and request
bodies bounded as they stream (413 naming the limit, no memory growth)."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Final

import httpx
import pytest
import websockets
from tests.support.serving import served

KEY: Final = "guard-key-7c1d9e2f"
MIB: Final = 1 << 20
BODY_MIB: Final = 150
LIMIT: Final = 64 * 1024


@pytest.fixture
def guarded(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A served archive with a checkpoint and a WAL segment; reads need the key (forced on
    loopback, as a non-loopback bind would), request bodies are capped at 64 KiB."""
    (tmp_path / "SPY" / "trades").mkdir(parents=True)
    (tmp_path / "SPY" / "trades" / "2024-03-01.jsonl").write_text('{"x": 1}\n')
    (tmp_path / "_mdc" / "wal").mkdir(parents=True)
    (tmp_path / "_mdc" / "checkpoint.json").write_text('{"position": 7}')
    (tmp_path / "_mdc" / "wal" / "00000001.wal").write_bytes(b"\0" * 16)
    extra = {
        "MDC_API_KEY": KEY,
        "MDC_HTTP__REQUIRE_KEY_FOR_READS": "true",
        "MDC_HTTP__MAX_BODY_BYTES": str(LIMIT),
    }
    with served(tmp_path, **extra) as running:
        yield running


def test_every_data_read_needs_the_key(guarded: tuple[str, subprocess.Popen[bytes]]) -> None:
    base, _ = guarded
    data = [
        ("/status", {}),
        ("/api/config", {}),
        ("/api/storage/tree", {"path": "_mdc/wal"}),
        ("/api/storage/download", {"path": "_mdc/checkpoint.json"}),
        ("/api/storage/download", {"path": "SPY/trades/2024-03-01.jsonl"}),
        ("/api/storage/coverage", {}),
        ("/api/quality/events", {}),
        ("/api/providers", {}),
        ("/metrics", {}),
        ("/api/stream/token", {}),
    ]
    for path, params in data:
        res = httpx.get(base + path, params=params)
        assert res.status_code == 401, path
        assert res.json()["detail"].startswith("this server serves data only with its API key")
        assert KEY not in res.text
        wrong = httpx.get(base + path, params=params, headers={"X-API-Key": KEY[:-1]})
        assert wrong.status_code == 401, path
    ok = {"X-API-Key": KEY}
    listing = httpx.get(base + "/api/storage/tree", params={"path": "_mdc/wal"}, headers=ok)
    assert [e["name"] for e in listing.json()["entries"]] == ["00000001.wal"]
    checkpoint = httpx.get(
        base + "/api/storage/download", params={"path": "_mdc/checkpoint.json"}, headers=ok
    )
    assert checkpoint.content == b'{"position": 7}'
    for probe in ("/live", "/ready", "/health"):
        assert httpx.get(base + probe).status_code == 200, probe
    # The dashboard's code and the API description carry no data.
    assert httpx.get(base + "/ui/").status_code == 200
    assert httpx.get(base + "/openapi.json").status_code == 200


def test_event_streams_open_with_a_token_not_the_key(
    guarded: tuple[str, subprocess.Popen[bytes]],
) -> None:
    base, _ = guarded
    refused = httpx.get(base + "/api/stream")
    assert refused.status_code == 401
    assert "?token= from GET /api/stream/token" in refused.json()["detail"]
    issued = httpx.get(base + "/api/stream/token", headers={"X-API-Key": KEY}).json()
    assert issued["expires_in_s"] == 60
    assert KEY not in issued["token"]
    with httpx.stream("GET", base + "/api/stream", params={"token": issued["token"]}) as res:
        assert res.status_code == 200
        assert next(res.iter_lines()) == "retry: 2000"
    # A token opens streams only, and a forged one nothing.
    assert httpx.get(base + "/status", params={"token": issued["token"]}).status_code == 401
    forged = issued["token"][:-1] + ("0" if issued["token"][-1] != "0" else "1")
    assert httpx.get(base + "/api/stream", params={"token": forged}).status_code == 401


def test_the_replay_socket_opens_with_the_key_or_a_token(
    guarded: tuple[str, subprocess.Popen[bytes]],
) -> None:
    base, _ = guarded
    url = base.replace("http://", "ws://") + "/api/replay?from=2024-03-01&to=2024-03-01"

    async def first_message(extra: str = "", headers: dict[str, str] | None = None) -> str:
        async with websockets.connect(url + extra, additional_headers=headers) as ws:
            return str(await ws.recv())

    with pytest.raises(websockets.InvalidStatus) as refused:
        asyncio.run(first_message())
    assert refused.value.response.status_code == 403
    hello = json.loads(asyncio.run(first_message(headers={"X-API-Key": KEY})))
    assert hello["type"] == "hello"
    token = httpx.get(base + "/api/stream/token", headers={"X-API-Key": KEY}).json()["token"]
    assert json.loads(asyncio.run(first_message(f"&token={token}")))["type"] == "hello"


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def post_streamed(base: str, path: str, declared: int | None) -> tuple[int, dict[str, str]]:
    """POST a 150 MiB body in 1 MiB chunks while reading the answer, as a hostile client would,
    or (``declared``) only the head announcing that size; returns the status and the JSON body."""
    host, port = base.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)))
    framing = f"Content-Length: {declared}" if declared else "Transfer-Encoding: chunked"
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nX-API-Key: {KEY}\r\n"
        f"Content-Type: application/json\r\n{framing}\r\n\r\n"
    )
    piece = b'{"toml": "' + b"a" * (MIB - 10)

    def write() -> None:
        try:
            sock.sendall(head.encode())
            if declared:
                return  # refused on its declared length: the answer comes before any body
                # (sending it anyway races the server's close: a reset can drop the answer)
            for _ in range(BODY_MIB):
                sock.sendall(b"%x\r\n%b\r\n" % (len(piece), piece))
            sock.sendall(b"0\r\n\r\n")  # a well-formed body: only its size is wrong
        except OSError:
            pass  # the server answered and closed: that is the point

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    answer = b""
    while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
        chunk = sock.recv(65536)
        if not chunk:
            break
        answer += chunk
    sock.close()
    writer.join(30)
    head_part, _, body = answer.partition(b"\r\n\r\n")
    return int(head_part.split()[1]), json.loads(body)


@pytest.mark.parametrize("declared", [None, BODY_MIB * MIB], ids=["chunked", "content-length"])
def test_large_bodies_are_refused_unread(
    guarded: tuple[str, subprocess.Popen[bytes]], declared: int | None
) -> None:
    base, proc = guarded
    before = rss_kib(proc.pid)
    status, body = post_streamed(base, "/api/config/validate", declared)
    assert status == 413
    assert body == {
        "detail": f"request body larger than {LIMIT} bytes (http.max_body_bytes): refused "
        "unread; send a smaller body or raise http.max_body_bytes"
    }
    # 150 MiB sent; the server kept at most a few MiB of it.
    assert rss_kib(proc.pid) - before < 16 * 1024
    # It still serves, and a body under the limit is read as before.
    small = httpx.post(
        base + "/api/config/validate", json={"toml": "[storage]\n"}, headers={"X-API-Key": KEY}
    )
    assert small.status_code == 200, small.text
