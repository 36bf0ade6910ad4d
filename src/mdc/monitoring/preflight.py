"""Preflight checks for ``mdc doctor``: can this machine run this config, and what to fix.

Each check returns one :class:`Finding` (``ok`` / ``warn`` / ``fail`` and a line naming the
fix). None of them needs a running collector; the port check says when one already answers.
Clock skew is measured against a provider's HTTP ``Date`` header (RFC 9110 §6.6.1, one-second
resolution, so only skews of several seconds are meaningful).
"""

from __future__ import annotations

import os
import platform
import shutil
import socket
import sys
import tempfile
import time
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Final, Literal

import httpx
import msgspec

from mdc.config.load import ConfigError
from mdc.config.schema import Config
from mdc.domain import native
from mdc.providers.registry import check_config, get_spec, used_providers

Level = Literal["ok", "warn", "fail"]
MIN_PYTHON: Final = (3, 11)
MAX_SKEW_S: Final = 2.0
"""Receive timestamps are compared with exchange times; beyond this, fix NTP first."""
WARN_FREE_FACTOR: Final = 2
"""Free space below this many times ``min_free_mb`` is a warning."""
HTTP_TIMEOUT_S: Final = 5.0
MB: Final = 1024 * 1024


class Finding(msgspec.Struct, frozen=True, kw_only=True):
    check: str
    level: Level
    detail: str


def run_checks(
    config: Config, *, time_url: str | None = None, now: Callable[[], float] = time.time
) -> list[Finding]:
    """Every check, in the order an operator fixes things."""
    return [
        python_version(),
        config_valid(config),
        credentials(config),
        storage_writable(config),
        disk_space(config),
        http_port(config),
        clock_skew(config, time_url, now),
        compiled_kernels(),
    ]


def python_version(info: tuple[int, ...] = tuple(sys.version_info[:3])) -> Finding:
    shown = ".".join(map(str, info))
    if info[:2] < MIN_PYTHON:
        need = ".".join(map(str, MIN_PYTHON))
        return Finding(
            check="python", level="fail", detail=f"Python {shown}; mdc needs {need} or newer"
        )
    return Finding(check="python", level="ok", detail=f"Python {shown} on {platform.platform()}")


def compiled_kernels(found: dict[str, bool] | None = None) -> Finding:
    """Whether the hot paths run compiled (``mdc.domain.native``); the Python path is correct
    but slower, so a kernel that did not build is a warning, not a failure."""
    found = native.kernels() if found is None else found
    if native.pure_python():
        detail = f"{native.PURE_ENV}=1: the Python path runs everywhere (slower); unset it"
        return Finding(check="kernels", level="warn", detail=detail)
    missing = [name for name, built in found.items() if not built]
    if missing:
        return Finding(
            check="kernels",
            level="warn",
            detail=f"not compiled: {', '.join(missing)} (their Python path runs, slower); "
            "install a C compiler and the Python headers (gcc, python3-dev), then reinstall mdc",
        )
    if not found:
        return Finding(check="kernels", level="ok", detail="none in this install")
    names = ", ".join(found)
    return Finding(check="kernels", level="ok", detail=f"{len(found)} compiled: {names}")


def config_valid(config: Config) -> Finding:
    try:
        check_config(config)
    except ConfigError as exc:
        return Finding(check="config", level="fail", detail=str(exc))
    return Finding(check="config", level="ok", detail="valid (keys, values, provider sections)")


def credentials(config: Config) -> Finding:
    missing: list[str] = []
    names = used_providers(config)
    for name in names:
        try:
            missing += [f"{name}: {var}" for var in get_spec(name).missing_credentials()]
        except KeyError:
            continue  # an unknown name is the config check's finding
    if missing:
        return Finding(
            check="credentials",
            level="fail",
            detail=f"missing {', '.join(missing)}; set the variables or `mdc credentials set NAME`"
            " (`mdc providers check` then tries them live)",
        )
    return Finding(
        check="credentials", level="ok", detail=f"set for {', '.join(names) or 'no provider'}"
    )


def _existing(path: Path) -> Path:
    """``path`` or its nearest existing parent (the root may not exist yet)."""
    path = path.absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def storage_writable(config: Config) -> Finding:
    root = Path(config.storage.root)
    where = _existing(root)
    if not os.access(where, os.W_OK | os.X_OK):
        return Finding(
            check="permissions",
            level="fail",
            detail=f"cannot write {where} (storage.root {root}): run as its owner, or choose "
            "another storage.root",
        )
    try:
        with tempfile.NamedTemporaryFile(dir=where, prefix=".mdc-doctor-"):
            pass
    except OSError as exc:
        return Finding(
            check="permissions",
            level="fail",
            detail=f"cannot create a file in {where}: {exc.strerror or exc}",
        )
    return Finding(check="permissions", level="ok", detail=f"{where} is writable")


def disk_space(config: Config) -> Finding:
    where = _existing(Path(config.storage.root))
    free = shutil.disk_usage(where).free
    need = config.storage.min_free_mb * MB
    detail = f"{free // MB:,} MB free at {where} (storage.min_free_mb {need // MB:,})"
    if free < need:
        return Finding(
            check="disk",
            level="fail",
            detail=f"{detail}: writing would pause at once; free space or lower the budget",
        )
    if free < WARN_FREE_FACTOR * need:
        return Finding(check="disk", level="warn", detail=f"{detail}: close to the minimum")
    return Finding(check="disk", level="ok", detail=detail)


def http_port(config: Config) -> Finding:
    http = config.http
    if not http.enabled:
        return Finding(check="port", level="ok", detail="HTTP disabled (http.enabled = false)")
    host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(http.host, http.host)
    family = socket.AF_INET6 if ":" in http.host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((http.host, http.port))
        except OSError as exc:
            busy = exc.strerror or str(exc)
        else:
            return Finding(check="port", level="ok", detail=f"{http.host}:{http.port} is free")
    try:
        answer = httpx.get(f"http://{host}:{http.port}/health", timeout=HTTP_TIMEOUT_S)
        if answer.status_code in (200, 503) and "status" in answer.json():
            return Finding(
                check="port",
                level="ok",
                detail=f"{http.host}:{http.port}: a collector answers (health "
                f"{answer.json()['status']})",
            )
    except (httpx.HTTPError, ValueError):
        pass
    return Finding(
        check="port",
        level="fail",
        detail=f"cannot bind {http.host}:{http.port} ({busy}) and no collector answers there: "
        "stop that program or set http.port (MDC_HTTP__PORT)",
    )


def time_source(config: Config) -> str | None:
    """The first HTTP endpoint among the providers the config uses (``*url`` keys)."""
    for name in used_providers(config):
        section = config.providers.get(name, {})
        try:
            spec = get_spec(name)
            defaults = msgspec.to_builtins(spec.config())
        except (KeyError, TypeError, msgspec.ValidationError):
            continue
        for url in _urls({**defaults, **section}):
            if url.startswith(("http://", "https://")):
                return url
    return None


def _urls(data: dict[str, object]) -> list[str]:
    out: list[str] = []
    for key, value in data.items():
        if isinstance(value, dict):
            out += _urls(value)
        elif isinstance(value, str) and key.endswith("url"):
            out.append(value)
    return out


def clock_skew(config: Config, url: str | None, now: Callable[[], float] = time.time) -> Finding:
    url = url or time_source(config)
    if url is None:
        return Finding(
            check="clock",
            level="warn",
            detail="no provider with an HTTP endpoint to compare the clock with; pass --time-url",
        )
    try:
        before = now()
        answer = httpx.head(url, timeout=HTTP_TIMEOUT_S, follow_redirects=False)
        after = now()
    except httpx.HTTPError as exc:
        return Finding(
            check="clock", level="warn", detail=f"cannot reach {url} for its time: {exc}"
        )
    date = answer.headers.get("Date")
    if date is None:
        return Finding(check="clock", level="warn", detail=f"{url} sent no Date header")
    try:
        server = parsedate_to_datetime(date).timestamp()
    except (TypeError, ValueError):
        return Finding(check="clock", level="warn", detail=f"{url}: unreadable Date {date!r}")
    skew = (before + after) / 2 - server
    detail = f"local clock {skew:+.1f} s against {url} (Date: {date})"
    if abs(skew) > MAX_SKEW_S + 1.0:  # the header has one-second resolution
        return Finding(
            check="clock",
            level="fail",
            detail=f"{detail}: receive timestamps would be off; enable NTP (timedatectl "
            "set-ntp true, chrony)",
        )
    return Finding(check="clock", level="ok", detail=detail)
