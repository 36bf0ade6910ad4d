"""A download of an archive file the collector is appending to sends the file as it was when
the download began: exactly its Content-Length, never the bytes written since (which made the
server drop the connection: "Server disconnected without sending a response")."""

from __future__ import annotations

import asyncio
from pathlib import Path

from mdc.web.api.storage import DOWNLOAD_CHUNK, prefix_response


def _send(response: object) -> tuple[dict[str, str], bytes]:
    messages: list[dict[str, object]] = []

    async def receive() -> dict[str, object]:
        await asyncio.Event().wait()  # the client never disconnects
        return {}

    async def send(message: dict[str, object]) -> None:
        messages.append(message)

    scope = {"type": "http", "method": "GET", "path": "/", "headers": []}
    asyncio.run(response(scope, receive, send))  # type: ignore[operator]
    head = messages[0]
    headers = {k.decode(): v.decode() for k, v in head["headers"]}  # type: ignore[attr-defined]
    body = b"".join(m.get("body", b"") for m in messages[1:])  # type: ignore[misc]
    return headers, body


def test_a_growing_file_is_sent_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "2025-12-01.jsonl"
    first = b"".join(b'{"n":%d}\n' % i for i in range(3 * DOWNLOAD_CHUNK // 8))
    path.write_bytes(first)
    response = prefix_response(path)
    with path.open("ab") as f:  # the collector appends after the size was taken
        f.write(b'{"n":"later"}\n' * 1000)
    headers, body = _send(response)
    assert headers["content-length"] == str(len(first))
    assert headers["content-disposition"] == 'attachment; filename="2025-12-01.jsonl"'
    assert body == first
