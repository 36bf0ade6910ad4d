"""Differential testing of a venue parser's compiled kernel against its Python reference.

Both paths get the same frames; every frame's outcome (its events, or the exception it raised)
must be identical, field by field and in order, and so must the parsers' state afterwards.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from types import ModuleType

import msgspec
import pytest

from mdc.config.schema import StorageConfig
from mdc.domain import native
from mdc.domain.events import Event

Outcome = list[Event] | str
"""A frame's events, or ``repr`` of what it raised."""


def require_kernel(module: str) -> ModuleType:
    """The compiled kernel; a failure in CI (which builds every kernel), a skip elsewhere."""
    kernel = native.load(module)
    if kernel is None:
        message = f"{module} is not compiled (make native) or MDC_PURE_PYTHON is set"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return kernel


def outcomes(
    parse: Callable[[bytes, int], list[Event]], frames: Iterable[tuple[int, bytes]]
) -> list[Outcome]:
    """What ``parse`` makes of each (receive time, frame)."""
    out: list[Outcome] = []
    for ts, frame in frames:
        try:
            out.append(parse(frame, ts))
        except Exception as exc:  # the Python path's own errors must be the kernel's too
            out.append(repr(exc))
    return out


def read_capture(path: Path) -> list[tuple[int, bytes]]:
    """(receive time ns, payload) of every frame a cryptofeed capture's client received."""
    frames: list[tuple[int, bytes]] = []
    for line in path.read_bytes().splitlines():
        if line[:1].isdigit():
            ts, _, payload = line.partition(b": ")
            seconds, _, fraction = ts.decode().partition(".")
            frames.append((int(seconds) * 10**9 + int((fraction + "000000000")[:9]), payload))
    return frames


def archive(events: list[Event], root: Path) -> dict[str, bytes]:
    """Every data file the store writes for ``events``, by relative path (not its own
    bookkeeping under ``_mdc``, whose checkpoint carries the wall-clock time)."""
    import mdc.storage

    store = mdc.storage.open_store(StorageConfig(root=str(root)))
    store.append(events)
    store.close()
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.relative_to(root).parts[0].startswith("_")
    }


def flat(results: list[Outcome]) -> list[Event]:
    """The events of every frame that did not raise, in order."""
    return [e for r in results if not isinstance(r, str) for e in r]


def encoded(results: list[Outcome]) -> bytes:
    """All events as the JSON the archive holds (one line each)."""
    encode = msgspec.json.encode
    return b"\n".join(encode(e) for e in flat(results))
